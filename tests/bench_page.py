"""Page benchmark (not a test): how fast the 调解工作台's queue paints, in Debian's Chromium.

    .venv/bin/python -P tests/bench_page.py                                  # the demo, 姚庄镇
    .venv/bin/python -P tests/bench_page.py --db build/city.lbdb --scope 320506
    .venv/bin/python -P tests/bench_page.py --db build/city.lbdb --scope 320506 --open 5000

Serves `--db` with uvicorn in this process (production mode, no warm-up: the queue asks none of
the headline queries), signs a mediator of `--scope` in, and over `--runs` reloads of the queue
prints: the time to the first row painted, to every open dispute of the scope read (pages of
100, one request each), the requests made, the page's JS heap, and the time a search over every
row takes to repaint. `--open N` first copies the store to build/bench-page.lbdb and adds N
open disputes inside the scope (parties, grid, category, list item and a handling step each, as
the demo's have), to see the page with thousands of open disputes in scope.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from api.auth import create_token  # noqa: E402
from api.settings import Settings  # noqa: E402
from graph.embedded import EmbeddedBackend  # noqa: E402
from loaders.load import Loader, MemoryTable  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def add_open(source: Path, target: Path, scope: str, count: int, day: date) -> None:
    """A copy of the store at `source` with `count` open disputes added inside `scope`."""
    target.unlink(missing_ok=True)
    for extra in target.parent.glob(target.name + ".*"):
        extra.unlink()
    shutil.copyfile(source, target)
    graph = EmbeddedBackend(target)
    try:
        grids = [
            r["id"]
            for r in graph.read(
                "MATCH (g:Grid)-[:PART_OF]->(u:Unit) WHERE u.code STARTS WITH $s RETURN g.id AS id",
                {"s": scope},
            )
        ]
        people = [
            r["id"]
            for r in graph.read(
                "MATCH (p:Person)-[:LIVES_IN]->(u:Unit) WHERE u.code STARTS WITH $s "
                "RETURN p.id AS id LIMIT 20000",
                {"s": scope},
            )
        ]
        items = graph.read(
            "MATCH (l:ListItem)-[:HAS_EXPERTISE]->(d:Domain) WHERE l.item_class = '矛盾纠纷化解' "
            "RETURN l.id AS item, d.code AS domain"
        )
        centers = [
            r["id"]
            for r in graph.read(
                "MATCH (c:Center)-[:JURISDICTION]->(u:Unit) WHERE u.code STARTS WITH $s "
                "RETURN c.id AS id",
                {"s": scope},
            )
        ]
        if not (grids and len(people) > 1 and items and centers):
            raise SystemExit(f"{scope}: no grids, people, list items or centers to build on")
        rng = random.Random(20211231)
        tables: dict[str, list[dict[str, str]]] = {
            k: [] for k in ("disputes", "occurred_in", "in_domain", "classified_as", "party_to")
        }
        tables["handled"] = []
        for i in range(count):
            key = f"{scope[:6]}-B{i:06d}"
            reported = day - timedelta(days=rng.randrange(0, 40))
            item = rng.choice(items)
            a, b = rng.sample(people, 2)
            tables["disputes"].append(
                {
                    "id": key,
                    "title": f"基准测试纠纷{i}",
                    "reported_on": reported.isoformat(),
                    "channel": rng.choice(["visit", "hotline", "grid_worker", "app"]),
                    "status": rng.choice(["accepted", "routed", "handling", "tracking"]),
                    "parties": "2",
                    "warning": rng.choice(["", "", "", "", "yellow", "orange", "red"]),
                }
            )
            link = {"from": key, "from_type": "Dispute"}
            tables["occurred_in"].append({**link, "to": rng.choice(grids), "to_type": "Grid"})
            tables["in_domain"].append({**link, "to": item["domain"], "to_type": "Domain"})
            tables["classified_as"].append({**link, "to": item["item"], "to_type": "ListItem"})
            for person, side in ((a, "applicant"), (b, "respondent")):
                tables["party_to"].append(
                    {"from": person, "from_type": "Person", "to": key, "to_type": "Dispute",
                     "side": side}
                )  # fmt: skip
            tables["handled"].append(
                {"from": rng.choice(centers), "from_type": "Center", "to": key,
                 "to_type": "Dispute", "step": "accepted", "on_date": reported.isoformat()}
            )  # fmt: skip
        report = Loader(graph).load_tables(
            [MemoryTable("bench", stem, rows) for stem, rows in tables.items()]
        )
        if report.rejects:
            raise SystemExit(f"rejected: {report.rejects[:3]}")
    finally:
        graph.close()


def serve(settings: Settings) -> tuple[str, threading.Thread, object]:
    import socket

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", thread, server


# Type into the search box and wait for the frame after the page's answer: milliseconds.
REPAINT = """async (text) => {
  const box = document.getElementById('queue-search');
  const started = performance.now();
  box.value = text;
  box.dispatchEvent(new Event('input', {bubbles: true}));
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  return performance.now() - started;
}"""


def measure(url: str, token: str, runs: int, search: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        page.goto(url + "/")
        page.get_by_label("令牌").fill(token)
        page.get_by_role("button", name="登录", exact=True).click()
        page.locator("table.queue tbody tr").first.wait_for(timeout=120_000)
        requests: list[str] = []
        page.on("request", lambda r: r.url.endswith("/graphql") and requests.append(r.url))
        first, whole, counts, searched = [], [], [], []
        total = ""
        for _ in range(runs):
            requests.clear()
            started = time.perf_counter()
            page.reload()
            page.locator("table.queue tbody tr").first.wait_for(timeout=120_000)
            first.append(time.perf_counter() - started)
            done = page.get_by_role("status").filter(has_text="在办").filter(has_text="件")
            done.filter(has_not_text="已读取").wait_for(timeout=600_000)
            whole.append(time.perf_counter() - started)
            counts.append(len(requests))
            total = done.inner_text()
            searched.append(page.evaluate(REPAINT, search) / 1000)
            page.evaluate(REPAINT, "")
        heap = page.evaluate("() => performance.memory ? performance.memory.usedJSHeapSize : 0")
        rows = page.locator("table.queue tbody tr").count()
        browser.close()

    def ms(values: list[float]) -> str:
        return f"median {statistics.median(values) * 1000:,.0f} ms (min {min(values) * 1000:,.0f})"

    print(f"queue: {total}; {rows} rows drawn at first")
    print(f"first row painted:   {ms(first)}")
    print(f"every open dispute:  {ms(whole)}; GraphQL requests {statistics.median(counts):.0f}")
    print(f"search {search!r} repainted: {ms(searched)}")
    print(f"JS heap after the runs: {heap / 2**20:,.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "govgraph.lbdb")
    parser.add_argument("--scope", default="330421111", help="the mediator's jurisdiction")
    parser.add_argument("--open", type=int, default=0, help="open disputes to add in scope")
    parser.add_argument("--day", type=date.fromisoformat, default=date(2021, 12, 31))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--search", default="张", help="what to type in the search box")
    args = parser.parse_args()
    db = args.db
    if args.open:
        db = ROOT / "build" / "bench-page.lbdb"
        started = time.perf_counter()
        add_open(args.db, db, args.scope, args.open, args.day)
        took = time.perf_counter() - started
        print(f"added {args.open} open disputes in {args.scope} in {took:.1f} s")
    with tempfile.TemporaryDirectory() as folder:
        tokens = str(Path(folder) / "tokens.json")
        settings = Settings(_env_file=None, db=str(db), tokens=tokens, warm_up=False)
        token = create_token(tokens, "mediator", args.scope)
        url, thread, server = serve(settings)
        try:
            print(f"{db.name}, a mediator of {args.scope}, {args.runs} runs")
            measure(url, token, args.runs, args.search)
        finally:
            server.should_exit = True  # type: ignore[attr-defined]
            thread.join(10)


if __name__ == "__main__":
    main()

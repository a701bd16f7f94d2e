"""Page benchmark (not a test): how fast the 调解工作台's queue paints and an action is taken,
in Debian's Chromium.

    .venv/bin/python -P tests/bench_page.py                                  # the demo, 姚庄镇
    .venv/bin/python -P tests/bench_page.py --open 500
    .venv/bin/python -P tests/bench_page.py --db build/city.lbdb --scope 320506 --open 2000

Copies `--db` to build/bench-page.lbdb (the workflow writes), reports `--open` disputes there
through the API's `reportDispute` as a dispatcher of the scope's center (received by the
center, so they are in its queue), serves the copy with uvicorn in this process (production
mode), signs that dispatcher in, and over `--runs` rounds prints: the time to the
first queue row painted after a reload (`workQueue` and the tabs' counts in one request), the
rows and the JS heap, the time from typing a dispute's id in the search to its row alone
on screen (the server's search, after the page's 300 ms pause for typing), the time to the
看板 drawn after a reload (`workflowMeasures`), and the time from pressing 确认受理 on a
dispute's page to the answer shown and the dispute read again at its new version.
`--reuse` measures build/bench-page.lbdb as a previous run left it (reporting thousands of
disputes takes a while).
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
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from api.auth import create_token  # noqa: E402
from api.settings import Settings  # noqa: E402
from graph.embedded import EmbeddedBackend  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
REPORT = """mutation ($input: ReportDisputeInput!) { reportDispute(input: $input) {
  dispute { id } userErrors { code message field } } }"""


def copy_store(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    for extra in target.parent.glob(target.name + ".*"):
        shutil.rmtree(extra) if extra.is_dir() else extra.unlink()
    for part in source.parent.glob(source.name + "*"):
        if part.is_file():  # not the folder of ad-hoc Cypher's copies beside it
            shutil.copyfile(part, target.parent / part.name.replace(source.name, target.name, 1))


def places(db: Path, scope: str) -> tuple[str, str, list[str]]:
    """The scope's center, a person living there, and its grids."""
    graph = EmbeddedBackend(db)
    try:
        centers = graph.read(
            "MATCH (c:Center)-[:JURISDICTION]->(u:Unit {code: $code}) RETURN c.id AS id",
            {"code": scope.ljust(12, "0")},
        )
        people = graph.read(
            "MATCH (p:Person)-[:LIVES_IN]->(u:Unit) WHERE u.code STARTS WITH $s "
            "RETURN p.id AS id ORDER BY p.id LIMIT 1",
            {"s": scope},
        )
        grids = graph.read(
            "MATCH (g:Grid)-[:PART_OF]->(u:Unit) WHERE u.code STARTS WITH $s RETURN g.id AS id",
            {"s": scope},
        )
    finally:
        graph.close()
    if not (centers and people and grids):
        raise SystemExit(f"{scope}: no center with that jurisdiction, no people or no grids")
    return centers[0]["id"], people[0]["id"], [g["id"] for g in grids]


def report(url: str, token: str, center: str, grids: list[str], count: int) -> list[float]:
    """`count` disputes reported through the API; the seconds each took."""
    rng = random.Random(20211231)
    took = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        for i in range(count):
            started = time.perf_counter()
            answer = client.post(
                "/graphql",
                json={
                    "query": REPORT,
                    "variables": {
                        "input": {
                            "idempotencyKey": f"bench-{i}",
                            "kind": "DISPUTE",
                            "title": f"基准测试纠纷{i}",
                            "place": rng.choice(grids),
                            "channel": rng.choice(["VISIT", "HOTLINE", "GRID_WORKER", "APP"]),
                            "category": "医疗纠纷",
                            "receiver": f"Center:{center}",
                            "newParties": [{"name": f"测试{i}"}, {"name": f"对方{i}"}],
                        }
                    },
                },
                timeout=120,
            ).json()
            took.append(time.perf_counter() - started)
            errors = answer.get("errors") or answer["data"]["reportDispute"]["userErrors"]
            if errors:
                raise SystemExit(f"report {i} refused: {errors}")
    return took


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


def measure(url: str, token: str, runs: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        page.goto(url + "/")
        page.get_by_label("令牌").fill(token)
        page.get_by_role("button", name="登录", exact=True).click()
        rows = page.locator("table.queue tbody tr")
        rows.first.wait_for(timeout=300_000)
        first, acted = [], []
        for _ in range(runs):
            page.goto(url + "/#/queue")
            started = time.perf_counter()
            page.reload()
            rows.first.wait_for(timeout=300_000)
            first.append(time.perf_counter() - started)
        drawn = rows.count()
        status = page.get_by_role("status").filter(has_text="在办").inner_text()
        heap = page.evaluate("() => performance.memory ? performance.memory.usedJSHeapSize : 0")
        ids = [
            t.split(" · ")[0]
            for t in page.locator('td[data-label="事项"] .sub:not(.parties)').all_inner_texts()
        ]
        searched, board = [], []
        search = page.get_by_label("搜索", exact=True)
        for dispute in ids[-runs:]:  # ids: one row each, where a title may be another's prefix
            search.fill("")
            rows.nth(1).wait_for(timeout=300_000)
            started = time.perf_counter()
            search.fill(dispute)
            page.locator("table.queue tbody tr:only-child").filter(has_text=dispute).wait_for(
                timeout=300_000
            )
            searched.append(time.perf_counter() - started)
        for _ in range(runs):
            page.goto(url + "/#/dashboard")
            started = time.perf_counter()
            page.reload()
            page.locator("table.chart.by-area").wait_for(timeout=300_000)
            board.append(time.perf_counter() - started)
        for dispute in ids[:runs]:
            page.goto(url + "/#/dispute/" + dispute)
            card = page.locator(".actions-card")
            card.get_by_role("button", name="受理", exact=True).click()
            started = time.perf_counter()
            page.get_by_role("button", name="确认受理").click()
            card.get_by_role("status").wait_for()
            card.locator("p.sub").filter(has_text="第 2 版").wait_for()
            acted.append(time.perf_counter() - started)
        browser.close()

    def ms(values: list[float]) -> str:
        return f"median {statistics.median(values) * 1000:,.0f} ms (min {min(values) * 1000:,.0f})"

    print(f"queue: {status}; {drawn} rows drawn")
    print(f"first row painted:       {ms(first)}")
    print(f"search to its row alone: {ms(searched)}")
    print(f"看板 drawn:               {ms(board)}")
    print(f"受理 answered and reread: {ms(acted)}")
    print(f"JS heap after the runs:  {heap / 2**20:,.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "govgraph.lbdb")
    parser.add_argument("--scope", default="330421111", help="the dispatcher's jurisdiction")
    parser.add_argument("--open", type=int, default=50, help="disputes to report in scope")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="measure the last run's copy")
    args = parser.parse_args()
    db = ROOT / "build" / "bench-page.lbdb"
    db.parent.mkdir(exist_ok=True)
    if not args.reuse:
        copy_store(args.db, db)
    center, person, grids = places(db, args.scope)
    with tempfile.TemporaryDirectory() as folder:
        tokens = str(Path(folder) / "tokens.json")
        settings = Settings(_env_file=None, db=str(db), tokens=tokens)
        token = create_token(
            tokens,
            "mediator",
            args.scope,
            person=person,
            unit=f"Center:{center}",
            workflow_role="dispatcher",
        )
        url, thread, server = serve(settings)
        try:
            if not args.reuse:
                took = report(url, token, center, grids, args.open)
                print(
                    f"{args.db.name}: {args.open} disputes reported in {args.scope} in "
                    f"{sum(took):.1f} s (p50 {statistics.median(took) * 1000:,.0f} ms each)"
                )
            print(f"a dispatcher of {center}, {args.runs} runs")
            measure(url, token, args.runs)
        finally:
            server.should_exit = True  # type: ignore[attr-defined]
            thread.join(10)


if __name__ == "__main__":
    main()

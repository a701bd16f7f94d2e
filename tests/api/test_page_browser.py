"""The 调解工作台 (`/`) in Debian's Chromium, with every host but this machine cut off: a town
mediator signs in and works the queue, opens a dispute with its parties, referral, experts and
ladder, and checks a registration; a viewer sees masked data everywhere; every control has a
label and the keyboard reaches it; a phone gets the same screens without sideways scrolling.

What the page shows is compared with what the API answers the same caller (over HTTP, with the
same token) and with the graph itself (Cypher on the demo graph): the page may neither show
more than the API allows nor lose what it gives. Screenshots of each screen, at 1366×768 and at
a phone's 390×844, are written to build/screenshots/ (not committed)."""

import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from api.app import create_app
from api.auth import create_token, revoke_token, token_id
from api.settings import Settings
from graph.embedded import EmbeddedBackend
from loaders.checks import id_check_digit

pytestmark = pytest.mark.slow

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
DESK = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
DAY = "2021-12-31"  # the demo's newest report day: the page offers to look at the graph then
TOWN = "330421111"  # 姚庄镇
PLANTED = "330421-D900001"  # the planted medical dispute in 武长村, 姚庄镇
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_NUMBER = re.compile(r"(?<![\dX])\d{17}[\dX](?![\dX])")


@dataclass
class Site:
    url: str
    tokens: str

    def api(self, query, token=None, **variables):
        """What the API answers this caller (a bearer token, or none for a viewer)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        answer = httpx.post(
            self.url + "/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
            timeout=60,
        ).json()
        assert "errors" not in answer, answer
        return answer["data"]


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_graph, live_server):
    tokens = str(tmp_path_factory.mktemp("page") / "tokens.json")
    settings = Settings(_env_file=None, tokens=tokens)  # production mode: what centers run
    with live_server(create_app(settings, backend=demo_graph)) as url:
        yield Site(url, tokens)


@pytest.fixture(scope="module")
def mediator(site):
    return create_token(site.tokens, "mediator", TOWN)


@contextmanager
def opened(browser, offline, viewport=DESK, expected=()):
    """A fresh browser session (no cookie) cut off from the internet; on leaving, nothing was
    fetched from another host and no script error or refused resource was reported (but the
    console messages `expected` names)."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    tried = offline(page)
    problems = []
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    try:
        yield page
    finally:
        context.close()
    assert tried == []
    assert [p for p in problems if not any(e in p for e in expected)] == []


def flat(text):
    return re.sub(r"\s+", " ", text)


# Where a dispute lies, as the API's `within` has it: its grid's unit, or its parent grid's.
IN_SCOPE = (
    "MATCH (d:Dispute)-[:OCCURRED_IN]->(g:Grid) OPTIONAL MATCH (g)-[:PART_OF]->(direct:Unit) "
    "OPTIONAL MATCH (g)-[:PART_OF]->(:Grid)-[:PART_OF]->(via:Unit) "
    "WITH d, g, coalesce(direct, via) AS u WHERE u.code STARTS WITH $scope "
)


def shot(page, name):
    """The screen as it first shows (`name-1366x768.png`), and the whole page (`…-full.png`)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    stem = f"{name}-{size['width']}x{size['height']}"
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"{stem}.png"))
    page.screenshot(path=str(SHOTS / f"{stem}-full.png"), full_page=True)


def sign_in(page, url, token=None, demo_day=True):
    """Open the page and sign in with `token`, or go on as a viewer; then look at the demo's
    last day, as the page's banner offers (`demo_day`: where the workflow has reported a
    dispute today, the graph is new and no banner offers it)."""
    page.goto(url + "/")
    if token:
        page.get_by_label("令牌").fill(token)
        page.get_by_role("button", name="登录", exact=True).click()
    else:
        page.get_by_role("button", name="不登录，以查看者身份浏览").click()
    page.get_by_role("heading", name="工作台").wait_for()
    if demo_day and page.get_by_label("日期").input_value() != DAY:  # kept for the session
        page.get_by_role("button", name=f"按 {DAY} 查看").click()
    page.get_by_role("status").filter(has_text=re.compile(r"^在办 \d+ 件$")).wait_for()


def expected_queue(graph, scope, day):
    """The open disputes inside `scope` with their clocks on `day`, least time left first,
    computed here from the graph (the rule the page states: the list item's days from the
    report day, 临期 at 80 % used, 超期 after the due day)."""
    rows = graph.read(
        IN_SCOPE + "AND d.outcome IS NULL MATCH (d)-[:CLASSIFIED_AS]->(l:ListItem) "
        "RETURN d.id AS id, d.reported_on AS reported, l.time_limit_days AS days, "
        "g.name AS grid, u.name AS unit",
        {"scope": scope},
    )
    out = []
    for r in rows:
        due = r["reported"] + timedelta(days=r["days"])
        left = (due - day).days
        if left < 0:
            badge, text = "超期", f"超 {-left} 天"
        elif (day - r["reported"]).days >= 0.8 * r["days"]:
            badge, text = "临期", f"剩 {left} 天"
        else:
            badge, text = "正常", f"剩 {left} 天"
        out.append(((left, r["reported"], r["id"]), (r["id"], badge, text), r))
    return [(shown, row) for _, shown, row in sorted(out, key=lambda t: t[0])]


def unlabelled(page):
    """Controls a screen reader could not name (no label, aria-label or text)."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
              'input, select, textarea, button, a[href], [role="tab"]')]
            .filter(el => el.type !== 'hidden')
            .filter(el => {
              const named = el.getAttribute('aria-label')
                || [...(el.labels || [])].map(l => l.textContent).join('')
                || (['BUTTON', 'A'].includes(el.tagName) || el.getAttribute('role') === 'tab'
                    ? el.textContent : '');
              return !named.trim();
            })
            .map(el => el.outerHTML.slice(0, 120))"""
    )


def focused_heading(page):
    """The text of the heading that has the focus, once one has it (the page moves focus to a
    new screen's heading; wait_for_function would need eval, which the page's CSP forbids)."""
    for _ in range(50):
        found = page.evaluate(
            "() => { const a = document.activeElement; "
            "return a.tagName === 'H1' ? a.innerText : null }"
        )
        if found is not None:
            return found
        page.wait_for_timeout(100)
    return None


def everything_shown(page):
    """The page's text with every <details> open."""
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    return page.locator("body").inner_text()


# -- the mediator -----------------------------------------------------------------------------


# -- the workflow: a mediator's day ------------------------------------------------------------


@pytest.fixture(scope="module")
def flow(tmp_path_factory, demo_graph, live_server):
    """The page over a copy of the demo graph that the workflow writes to (the session's demo
    graph is only read), with the 姚庄镇 center a dispatcher acts for."""
    folder = tmp_path_factory.mktemp("flow")
    source = Path(demo_graph.path)
    for part in source.parent.glob(source.name + "*"):
        if part.is_file():  # not the folder of ad-hoc Cypher's copies beside it
            shutil.copyfile(part, folder / part.name)
    graph = EmbeddedBackend(folder / source.name)
    tokens = str(folder / "tokens.json")
    [center] = graph.read(
        "MATCH (c:Center)-[:JURISDICTION]->(u:Unit {code: $code}) "
        "RETURN c.id AS id, c.name AS name",
        {"code": TOWN + "000"},
    )
    [person] = graph.read(
        "MATCH (p:Person)-[:LIVES_IN]->(u:Unit) WHERE u.code STARTS WITH $town "
        "RETURN p.id AS id, p.name AS name ORDER BY p.id LIMIT 1",
        {"town": TOWN},
    )
    with live_server(create_app(Settings(_env_file=None, tokens=tokens), backend=graph)) as url:
        site = Site(url, tokens)
        site.center, site.person = center, person
        site.dispatcher = create_token(
            tokens,
            "mediator",
            TOWN,
            person=person["id"],
            unit=f"Center:{center['id']}",
            workflow_role="dispatcher",
        )
        yield site
    graph.close()


FLOW = """query ($id: ID!) { dispute(id: $id) { workflow { state version allowedActions { action }
  holder { label key name } clocks { name status }
  log { action fromState toState targets { name } reason } } } }"""
QUEUE_API = """query ($view: QueueView!, $search: String) {
  workQueue(view: $view, search: $search) { totalCount items {
  dispute { id } state warning holder { name } clock { name status } } } }"""
VIEWS = ("MINE", "UNIT", "CLAIMABLE", "APPROACHING", "OVERDUE", "ALL")


def words(page):
    """The page's own Chinese tables (zh.js, clock.js), read in the browser."""
    return page.evaluate(
        """async () => { const z = await import('/static/app/zh.js');
          const c = await import('/static/app/clock.js');
          return {action: z.ACTION, state: z.STATE, clock: z.CLOCK, status: c.FLOW_STATUS,
                  warning: z.WARNING, problem: z.PROBLEM}; }"""
    )


def shown_flow(page):
    """A dispute's workflow as the page shows it: version line, buttons, clocks, timeline."""
    page.locator(".actions-card").wait_for()
    return {
        "buttons": page.locator(".actions-card .buttons button").all_inner_texts(),
        "clocks": [
            (c.locator("strong").inner_text(), c.locator(".clock").inner_text())
            for c in page.locator("ul.clocks > li").all()
        ],
        "log": [flat(t) for t in page.locator(".timeline.log .what").all_inner_texts()],
    }


def expected_flow(site, token, dispute, w):
    """The same, from the API's answer to the same caller through the page's tables."""
    f = site.api(FLOW, token, id=dispute)["dispute"]["workflow"]
    return f, {
        "buttons": [w["action"][a["action"].lower()] for a in f["allowedActions"]],
        "clocks": [(w["clock"][c["name"]], w["status"][c["status"]]) for c in f["clocks"]],
        "log": [
            f"{w['action'][e['action']]} {w['state'][e['fromState']]} → {w['state'][e['toState']]}"
            for e in f["log"]
        ],
    }


def shown_queue(page):
    """The queue's rows as shown: id, clock badge, risk, state, holder."""
    page.get_by_role("status").filter(has_text=re.compile(r"^在办 \d+ 件$")).wait_for()
    return [
        tuple(r)
        for r in page.eval_on_selector_all(
            "table.queue tbody tr",
            """rows => rows.map(r => [
              r.querySelector('td[data-label="事项"] .sub').innerText.split(' · ')[0],
              r.querySelector('.clock').innerText,
              r.querySelector('.risk').innerText,
              r.querySelector('td[data-label="状态"] div').firstChild.textContent,
              r.querySelector('td[data-label="当前办理"] div').firstChild.textContent.trim()])""",
        )
    ]


def expected_queue_rows(site, token, view, w, search=None):
    rows = site.api(QUEUE_API, token, view=view, search=search)["workQueue"]["items"]
    return [
        (
            r["dispute"]["id"],
            w["status"][r["clock"]["status"]] if r["clock"] else "无时限",
            w["warning"][r["warning"]] if r["warning"] else "无",
            w["state"][r["state"]],
            r["holder"]["name"] if r["holder"] else "—",
        )
        for r in rows
    ]


def tab_counts(site, token):
    answer = site.api(
        "{ " + " ".join(f"{v}: workQueue(view: {v}) {{ totalCount }}" for v in VIEWS) + " }", token
    )
    return [answer[v]["totalCount"] for v in VIEWS]


def shown_tabs(page):
    return [flat(t).strip() for t in page.get_by_role("tab").all_inner_texts()]


def act(page, button, fill=None):
    """Press an action's button, fill its form (label → value) and confirm; the answer."""
    page.locator(".actions-card .buttons").get_by_role("button", name=button, exact=True).click()
    form = page.get_by_role("form", name=button)
    for label, value in (fill or {}).items():
        field = form.get_by_label(label, exact=True)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.get_by_role("button", name=f"确认{button}").click()
    said = (
        page.locator(".actions-card")
        .get_by_role("status")
        .or_(page.locator(".actions-card").get_by_role("alert"))
    )
    said.first.wait_for()
    text = said.first.inner_text()
    version = re.search(r"第 (\d+) 版", text)
    if version:  # the dispute read again after the answer
        line = page.locator(".actions-card > p.sub").filter(has_text=f"第 {version[1]} 版")
        line.wait_for()
    return text


def test_a_mediator_carries_a_dispute_from_report_to_close(browser, offline, flow):
    """A dispatcher of the 姚庄镇 center reports a dispute, accepts it and dispatches it to the
    grid the referral proposes; the grid worker, on a phone, signs for it, records the
    handling and feeds back; the dispatcher closes it settled at the town. At each step the
    queue, the clock badge, the buttons and the timeline equal the API's answer."""
    site = flow
    token = site.dispatcher
    id_number = "330421198303086590"
    with opened(browser, offline) as page:
        sign_in(page, site.url, token)
        w = words(page)
        header = flat(page.locator("header.top").inner_text())
        who = f"{site.person['name']} · {site.center['name']} · 中心值班 — 调解员 · 姚庄镇 · {TOWN}"
        assert who in header
        assert shown_tabs(page) == [
            f"{t} {n}"
            for t, n in zip(
                ("我的", "本单位", "可抢单", "临期", "超期", "全部在办"),
                tab_counts(site, token),
                strict=True,
            )
        ]
        before = shown_queue(page)
        assert before == expected_queue_rows(site, token, "UNIT", w)

        # 登记: the form reports through reportDispute and opens the new dispute.
        page.get_by_role("link", name="登记").click()
        page.get_by_label("标题").fill("手术费用纠纷")
        page.get_by_label("村（社区）").select_option(label="武长村委会")
        page.get_by_label("网格", exact=True).select_option(label="武长村第1网格")
        page.get_by_label("类别").select_option(label="医疗纠纷")
        page.get_by_label("姓名").nth(0).fill("王小明")
        page.get_by_label("身份证号").nth(0).fill(id_number)
        page.get_by_label("手机号").nth(0).fill("13857321840")
        page.get_by_label("姓名").nth(1).fill("李四海")
        page.get_by_role("button", name="提交登记").click()
        page.get_by_role("heading", name="手术费用纠纷").wait_for()
        dispute = page.url.rsplit("/", 1)[1]
        assert dispute.startswith("330421-W")
        f, expected = expected_flow(site, token, dispute, w)
        assert (f["state"], f["version"], f["holder"]["name"]) == (
            "reported",
            1,
            site.center["name"],
        )
        assert shown_flow(page) == expected
        assert expected["log"] == ["登记上报 新建 → 待受理"]
        assert expected["clocks"] == [("受理", "正常")]
        assert unlabelled(page) == []
        shot(page, "flow-reported")

        # The queue holds it, with its badge, risk, state and holder; the search finds it
        # by the party's name, mobile and ID number as the API shows them to this mediator.
        page.get_by_role("navigation").get_by_role("link", name="工作台").click()
        rows = shown_queue(page)
        assert rows == expected_queue_rows(site, token, "UNIT", w)
        assert [r for r in rows if r[0] == dispute] == [
            (dispute, "正常", "无", "待受理", site.center["name"])
        ]
        parties = site.api(
            "query ($id: ID!) { dispute(id: $id) { participants { party { ... on Person "
            "{ name mobile idNumber } } } } }",
            token,
            id=dispute,
        )["dispute"]["participants"]
        [party] = [p["party"] for p in parties if p["party"]["name"].startswith("王")]
        # 全部在办 holds the town's other open disputes too: a search that finds it alone ran.
        every = expected_queue_rows(site, token, "ALL", w)
        assert len(every) > 1
        page.get_by_role("tab", name=re.compile("^全部在办")).click()
        expect(page.locator("table.queue tbody tr")).to_have_count(len(every))
        assert shown_queue(page) == every
        search = page.get_by_label("搜索", exact=True)
        drawn = page.locator("table.queue tbody tr")
        for text in (party["name"], party["mobile"], party["idNumber"]):
            found = expected_queue_rows(site, token, "ALL", w, search=text)
            assert dispute in [r[0] for r in found] and len(found) < len(every), text
            search.fill(text)  # sent to the server once the typing pauses
            expect(drawn).to_have_count(len(found))
            assert shown_queue(page) == found
            search.fill("")
            expect(drawn).to_have_count(len(every))
        assert [r[0] for r in found] == [dispute]  # an ID number is one person's
        shot(page, "flow-queue")

        # 受理, then 派单 to the grid the referral proposes.
        page.goto(site.url + "/#/dispute/" + dispute)
        assert act(page, "受理") == "已受理（第 2 版，已受理）"
        page.locator(".actions-card .buttons").get_by_role("button", name="派单").click()
        target = page.get_by_label("派往（按分流建议）")
        referral = site.api(
            "query ($id: ID!, $day: Date) { referral(disputeId: $id, asOf: $day) "
            "{ steps { actor { label key name } } } }",
            token,
            id=dispute,
            day=DAY,
        )["referral"]["steps"]
        proposed = [
            f"{s['actor']['label']}:{s['actor']['key']}"
            for s in referral
            if s["actor"]["label"] in ("Grid", "Department", "MediationOrg", "Center")
            and s["actor"]["key"] != site.center["id"]
        ]
        # pre-filled from the referral once the page has read it (the answer may come after
        # the form opens): the same whole value, waited for
        expect(target).to_have_value(proposed[0])
        grid = next(p for p in proposed if p.startswith("Grid:"))
        target.select_option(grid)
        page.get_by_role("button", name="确认派单").click()
        page.locator(".actions-card").get_by_role("status").filter(has_text="已派单").wait_for()
        page.locator(".actions-card > p.sub").filter(has_text="第 3 版").wait_for()
        f, expected = expected_flow(site, token, dispute, w)
        assert (f["state"], f["version"]) == ("dispatched", 3)
        assert shown_flow(page) == expected
        assert expected["log"][1:] == ["受理 待受理 → 已受理", "派单 已受理 → 已派单"]

    # The grid worker, on a phone: the order is in their unit's queue; they sign for it,
    # record the handling and feed back.
    grid_worker = create_token(
        site.tokens, "viewer", person=site.person["id"], unit=grid, workflow_role="grid_worker"
    )
    with opened(browser, offline, PHONE) as phone:
        sign_in(phone, site.url, grid_worker, demo_day=False)
        rows = shown_queue(phone)
        assert rows == expected_queue_rows(site, grid_worker, "UNIT", w)
        assert [r[0] for r in rows] == [dispute]
        assert rows[0][1:4] == ("正常", "无", "已派单")
        parties = phone.locator("table.queue .parties").first.inner_text()
        # A viewer's token: the names masked as the API masks them.
        assert sorted(parties.split("、")) == ["李某", "王某"]
        assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        shot(phone, "flow-grid-worker-queue")
        phone.locator("table.queue a.case").first.click()
        assert act(phone, "签收") == "已签收（第 4 版，办理中）"
        assert (
            act(phone, "记录处置", {"说明（可不填）": "已约双方到村调解室"})
            == "已记录处置（第 5 版，办理中）"
        )
        assert act(phone, "反馈", {"办理结果": "双方达成协议"}) == "已反馈（第 6 版，已反馈）"
        f, expected = expected_flow(site, grid_worker, dispute, w)
        assert shown_flow(phone) == expected
        assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        shot(phone, "flow-grid-worker-dispute")

    # The dispatcher closes it, settled at the town: it leaves the queue.
    with opened(browser, offline) as page:
        sign_in(page, site.url, token, demo_day=False)
        page.goto(site.url + "/#/dispute/" + dispute)
        page.locator(".actions-card").wait_for()
        said = act(page, "办结", {"结果": "SETTLED", "化解层级": "TOWN"})
        assert said == "已办结（第 7 版，已办结）"
        f, expected = expected_flow(site, token, dispute, w)
        assert shown_flow(page) == expected
        assert [(e["action"], e["toState"]) for e in f["log"]] == [
            ("report", "reported"),
            ("accept", "accepted"),
            ("dispatch", "dispatched"),
            ("sign", "handling"),
            ("record", "handling"),
            ("feed_back", "fed_back"),
            ("close", "closed"),
        ]
        assert f["log"][4]["reason"] == "已约双方到村调解室"
        shot(page, "flow-closed")

        # A rule the API checks, shown under the field it names: rating a whistle's response
        # without naming a summoned department (none was summoned).
        refused = site.api(
            """mutation ($input: ActOnDisputeInput!) { actOnDispute(input: $input) {
              userErrors { code message field } } }""",
            token,
            input={
                "disputeId": dispute,
                "action": "RATE_RESPONSE",
                "expectedVersion": 7,
                "idempotencyKey": "refused-rating",
                "rating": 5,
            },
        )["actOnDispute"]["userErrors"]
        [error] = refused
        assert error["field"] == "targets"
        page.locator(".actions-card .buttons").get_by_role("button", name="评价报到").click()
        form = page.get_by_role("form", name="评价报到")
        form.get_by_role("button", name="确认评价报到").click()
        under = form.locator("#act-targets-error")
        under.wait_for()
        assert under.inner_text() == f"{w['problem'][error['code']]}：{error['message']}"
        assert form.get_by_label("评价的部门").get_attribute("aria-invalid") == "true"
        assert site.api(FLOW, token, id=dispute)["dispute"]["workflow"]["version"] == 7
        page.get_by_role("navigation").get_by_role("link", name="工作台").click()
        assert shown_queue(page) == before


def report(site, key, title):
    """A dispute reported through the API by the dispatcher, received by their center."""
    reported = site.api(
        """mutation ($input: ReportDisputeInput!) { reportDispute(input: $input) {
          dispute { id } userErrors { code } } }""",
        site.dispatcher,
        input={
            "idempotencyKey": key,
            "kind": "DISPUTE",
            "title": title,
            "place": "330421-G0332",
            "channel": "VISIT",
            "category": "医疗纠纷",
            "receiver": f"Center:{site.center['id']}",
            "newParties": [{"name": "张三丰"}],
        },
    )["reportDispute"]
    assert reported["userErrors"] == []
    return reported["dispute"]["id"]


def test_a_stale_version_is_said_and_the_dispute_read_again(browser, offline, flow):
    """Two tabs of one dispatcher on one dispute: the second to act is told in Chinese that
    someone acted first, and its page shows the new version and what may be done now."""
    site = flow
    token = site.dispatcher
    dispute = report(site, "stale-test", "宅基地边界纠纷")
    with opened(browser, offline) as first:
        sign_in(first, site.url, token, demo_day=False)
        w = words(first)
        first.goto(site.url + "/#/dispute/" + dispute)
        with first.context.expect_page() as opening:  # a second tab, as a person opens one
            first.evaluate("url => window.open(url)", site.url + "/#/dispute/" + dispute)
        second = opening.value
        for tab in (first, second):
            tab.locator(".actions-card").wait_for()
        assert act(first, "受理") == "已受理（第 2 版，已受理）"
        assert act(second, "受理") == (
            "这件纠纷刚被其他人办理过，页面已重新读取，请核对后再操作。（您看到的是第 1 版）"
        )
        second.locator(".actions-card .sub").filter(has_text="第 2 版").wait_for()
        _, expected = expected_flow(site, token, dispute, w)
        assert shown_flow(second) == expected
        assert expected["log"] == ["登记上报 新建 → 待受理", "受理 待受理 → 已受理"]
        shot(second, "flow-stale")


def test_the_queue_learns_of_a_new_report_within_30_seconds(browser, offline, flow):
    """The queue polls queueChanges every 30 s (the page's clock moved on here): a dispute
    reported elsewhere appears in it without a reload, in its place by time left."""
    with opened(browser, offline) as page:
        page.clock.install()
        sign_in(page, flow.url, flow.dispatcher, demo_day=False)
        w = words(page)
        before = shown_queue(page)
        dispute = report(flow, "poll-test", "相邻关系纠纷")
        page.clock.fast_forward("00:20")
        assert shown_queue(page) == before
        page.clock.fast_forward("00:11")
        page.locator("table.queue tbody tr").filter(has_text=dispute).wait_for()
        rows = shown_queue(page)
        assert rows == expected_queue_rows(flow, flow.dispatcher, "UNIT", w)
        assert len(rows) == len(before) + 1


def test_the_dispute_page_shows_parties_referral_experts_and_ladder_as_the_api_does(
    browser, offline, site, mediator
):
    api = site.api(
        """query ($id: ID!, $day: Date) {
          dispute(id: $id) { title participants { party { ... on Person { name mobile idNumber }
            ... on Organisation { name disputes { id } } } } }
          referral(disputeId: $id, asOf: $day) { steps { part due actor { name }
            contacts { person { name } mobile } } }
          expertPool(disputeId: $id, asOf: $day) { ranked { expert { key name } contact { mobile } }
            excluded { expert { key name } } }
          escalationPath(disputeId: $id, asOf: $day) { ladder { place { name }
            bodies { node { name } holders { person { name } mobile } } } } }""",
        mediator,
        id=PLANTED,
        day=DAY,
    )
    with opened(browser, offline) as page:
        sign_in(page, site.url, mediator)
        page.goto(site.url + "/#/dispute/" + PLANTED)  # loaded without a log: in no work queue
        page.get_by_role("heading", name=api["dispute"]["title"]).wait_for()
        # its clock runs to the responsible department's due day, the server's (in working days)
        due = page.locator(".summary .clock-due")
        due.wait_for()
        department = next(
            s for s in api["referral"]["steps"] if s["part"] == "RESPONSIBLE_DEPARTMENT"
        )
        assert department["due"] == "2022-01-11"
        assert due.inner_text() == "至 2022-01-11"

        parties = page.locator("section", has=page.get_by_role("heading", name="当事人"))
        shown = flat(parties.inner_text())
        person, hospital = (p["party"] for p in api["dispute"]["participants"])
        for value in (person["name"], person["mobile"], person["idNumber"], hospital["name"]):
            assert value in shown
        assert "以往纠纷 0 件" in shown
        assert f"以往纠纷 {len(hospital['disputes']) - 1} 件" in shown  # all but this one

        panel = page.get_by_role("tabpanel")
        page.locator(".referral").wait_for()
        steps = panel.locator(".steps > li h3").all_inner_texts()
        actors = [step["actor"]["name"] for step in api["referral"]["steps"]]
        assert [next(a for a in actors if a in s) for s in steps] == actors
        referral_text = flat(panel.inner_text())
        for step in api["referral"]["steps"]:
            for c in step["contacts"]:
                assert f"{c['person']['name']} {c['mobile']}" in referral_text
        assert "沈洋 13735575788" in referral_text  # the grid's head, in the mediator's town
        assert "钱某 134****8836" in referral_text  # the bureau chief, who lives elsewhere
        shot(page, "mediator-dispute-referral")

        page.get_by_role("tab", name="专家").click()
        experts = page.locator(".experts")
        experts.wait_for()
        ranked = api["expertPool"]["ranked"]
        excluded = api["expertPool"]["excluded"]
        assert experts.locator(".ranked > li strong").all_inner_texts() == [
            x["expert"]["name"] for x in ranked
        ]
        assert f"回避（{len(excluded)}）" in experts.inner_text()
        shot(page, "mediator-dispute-experts")
        page.get_by_role("button", name=f"显示全部 {len(excluded)} 位回避专家").click()
        assert experts.locator(".excluded > li strong").all_inner_texts() == [
            x["expert"]["name"] for x in excluded
        ]
        at = [x["expert"]["key"] for x in excluded].index("330421-P900001")
        sister = experts.locator(".excluded > li").nth(at)
        assert re.sub(r"\s+", "", sister.locator(".path").inner_text()) == (
            f"{excluded[at]['expert']['name']}—关系（亲属嫂子）→{person['name']}"
            f"—当事人（申请人）→纠纷{PLANTED}"
        )
        assert "与当事人相距 1 步关系" in sister.inner_text()

        page.get_by_role("tab", name="上报路径").click()
        ladder = page.locator(".ladder")
        ladder.wait_for()
        rungs = ladder.locator(".rungs > li h3").all_inner_texts()
        ladder_api = api["escalationPath"]["ladder"]
        assert len(rungs) == len(ladder_api) == 5
        assert all(r["place"]["name"] in shown for shown, r in zip(rungs, ladder_api, strict=True))
        assert [r.split(" · ")[0] for r in rungs] == [
            "网格",
            "村（社区）",
            "镇（街道）",
            "县（区）",
            "法院",
        ]
        text = flat(ladder.inner_text())
        for rung in api["escalationPath"]["ladder"]:
            for body in rung["bodies"]:
                assert body["node"]["name"] in text
                for h in body["holders"]:
                    assert f"{h['person']['name']} {h['mobile'] or ''}".strip() in text
        assert unlabelled(page) == []
        shot(page, "mediator-dispute-ladder")


def test_the_registration_form_checks_as_the_loaders_do_and_previews_the_referral(
    browser, offline, site, mediator
):
    with opened(browser, offline) as page:
        sign_in(page, site.url, mediator)
        page.get_by_role("link", name="登记").click()
        page.get_by_role("heading", name="登记").wait_for()
        page.get_by_role("button", name="查看分流建议").click()
        assert (
            page.get_by_role("alert").first.inner_text()
            == "表单有 5 处需要修改，见各项下方的说明。"
        )
        assert page.locator(".error").all_inner_texts() == [
            "请填写标题",
            "请选到网格（或微网格）",
            "请选择类别",
            "请填写姓名或单位名称",
            "请填写姓名或单位名称",
        ]
        wrong_id = "330421198303086591"
        page.get_by_label("姓名").first.fill("陆建国")
        page.get_by_label("身份证号").first.fill(wrong_id)
        page.get_by_label("手机号").first.fill("12345")
        page.get_by_label("类型", exact=True).nth(1).select_option("organisation")
        page.get_by_label("单位名称").fill("嘉善县中医医院")
        page.get_by_label("标题").fill("医疗损害赔偿纠纷")
        page.get_by_role("button", name="查看分流建议").click()
        assert page.locator(".error").all_inner_texts() == [
            "请选到网格（或微网格）",
            "请选择类别",
            f"校验位应为 {id_check_digit(wrong_id[:17])}，不是 1",
            "手机号应为 11 位数字，以 13–19 开头",
        ]
        assert page.get_by_label("身份证号").first.get_attribute("aria-invalid") == "true"
        shot(page, "mediator-report-errors")

        page.get_by_label("身份证号").first.fill(wrong_id[:17] + id_check_digit(wrong_id[:17]))
        page.get_by_label("手机号").first.fill("18892031962")
        page.get_by_label("村（社区）").select_option(label="武长村委会")
        page.get_by_label("网格", exact=True).select_option(label="武长村第1网格")
        page.get_by_label("类别").select_option(label="医疗纠纷")
        page.get_by_role("button", name="查看分流建议").click()
        preview = page.get_by_role("region", name="分流建议（预览）")
        preview.locator(".referral").wait_for()
        api = site.api(
            """query ($d: DisputeDescription!, $day: Date) { referral(description: $d, asOf: $day)
              { steps { actor { name } limit { amount unit } due } } }""",
            mediator,
            d={"place": "330421-G0332", "category": "medical", "parties": 2, "reportedOn": DAY},
            day=DAY,
        )
        text = flat(preview.inner_text())
        shown = preview.locator(".steps > li h3").all_inner_texts()
        assert len(shown) == len(api["referral"]["steps"])
        for s, step in zip(shown, api["referral"]["steps"], strict=True):
            assert step["actor"]["name"] in s
            if step["due"]:
                unit = {"HOURS": "小时", "WORKING_DAYS": "个工作日", "DAYS": "天"}
                limit = f"{step['limit']['amount']} {unit[step['limit']['unit']]}"
                assert f"时限 {limit}，{step['due']} 前" in text
        assert page.get_by_role("button", name="提交登记").is_disabled()
        assert unlabelled(page) == []
        shot(page, "mediator-report-preview")


def test_the_dashboard_shows_the_workflows_figures(browser, offline, site, mediator, demo_graph):
    """The dashboard equals `workflowMeasures` for the same caller, and its counts equal the
    graph's: the disputes with a log reported in the period, and the repeat visitors."""
    reported = demo_graph.read(
        IN_SCOPE + "AND d.reported_on >= $first AND d.reported_on <= $last "
        "AND EXISTS { MATCH (d)-[:LOGGED]->(:DisputeEvent) } RETURN count(*) AS n",
        {"scope": TOWN, "first": date(2021, 1, 1), "last": date.fromisoformat(DAY)},
    )[0]["n"]
    visitors = demo_graph.read(
        IN_SCOPE + "AND d.reported_on >= $first AND d.reported_on <= $last "
        "MATCH (p:Person)-[:PARTY_TO]->(d) WITH p, count(DISTINCT d) AS n WHERE n >= 2 "
        "RETURN p.id AS id, n",
        {"scope": TOWN, "first": date(2021, 1, 1), "last": date.fromisoformat(DAY)},
    )
    with opened(browser, offline) as page:
        sign_in(page, site.url, mediator)
        page.get_by_role("link", name="看板").click()
        page.get_by_role("heading", name=f"2021-01-01 至 {DAY} 登记的纠纷").wait_for()
        shown = shown_dashboard(page)
        m, expected = expected_dashboard(site, mediator, TOWN, "2021-01-01", DAY, "VILLAGE")
        assert shown == expected
        assert m["disputes"] == reported > 0
        most = sorted(((v["id"], v["n"]) for v in visitors), key=lambda t: (-t[1], t[0]))
        assert [(v["person"]["key"], v["disputes"]) for v in m["repeatVisitors"]] == most[:50]
        # by village: every area row is a village of 姚庄镇
        assert m["byArea"] and all(a["area"]["key"].startswith(TOWN) for a in m["byArea"])
        page.get_by_label("分组").select_option("TOWN")
        page.locator("table.by-area tbody tr").filter(has_text="姚庄镇").wait_for()
        town = expected_dashboard(site, mediator, TOWN, "2021-01-01", DAY, "TOWN")[1]
        assert shown_dashboard(page) == town
        assert [r[0] for r in town["areas"]] == ["姚庄镇"]
        assert unlabelled(page) == []
        shot(page, "mediator-dashboard")


# -- the viewer --------------------------------------------------------------------------------


def test_a_viewer_sees_masked_data_everywhere_on_the_page(browser, offline, site, demo_graph):
    admin = create_token(site.tokens, "admin")
    full = site.api(
        """query ($id: ID!, $day: Date) {
          dispute(id: $id) { title participants { party { ... on Person { name } } } }
          referral(disputeId: $id, asOf: $day) { steps { contacts { person { name } } } }
          escalationPath(disputeId: $id, asOf: $day) { ladder { bodies { holders {
            person { name } } } } } }""",
        admin,
        id=PLANTED,
        day=DAY,
    )
    names = {p["party"]["name"] for p in full["dispute"]["participants"] if p["party"]}
    names |= {c["person"]["name"] for s in full["referral"]["steps"] for c in s["contacts"]}
    names |= {
        h["person"]["name"]
        for r in full["escalationPath"]["ladder"]
        for b in r["bodies"]
        for h in b["holders"]
    }
    visitors = site.api(
        """query ($to: Date) { workflowMeasures(from: "2021-01-01", to: $to) {
          repeatVisitors { person { name } } } }""",
        admin,
        to=DAY,
    )["workflowMeasures"]["repeatVisitors"]
    assert len(visitors) == 50  # the dashboard's list, as the admin sees it: in full
    names |= {v["person"]["name"] for v in visitors}
    names = {n for n in names if not n.endswith("某")}
    assert len(names) > 60
    queued = site.api("{ workQueue(view: ALL) { items { dispute { id title } } } }", admin)
    rows = [r["dispute"]["title"] for r in queued["workQueue"]["items"]]  # the viewer's rows
    # a dispute with a log: its timeline names the people who acted, and its holder
    logged = queued["workQueue"]["items"][0]["dispute"]["id"]
    flow = site.api(
        """query ($id: ID!) { dispute(id: $id) { workflow { holder { label name }
          log { actor { label name } } } } }""",
        admin,
        id=logged,
    )["dispute"]["workflow"]
    actors = {e["actor"]["name"] for e in flow["log"] if e["actor"]["label"] == "Person"}
    assert actors
    titles = set(rows)
    assert len(titles) > 10 and "（已隐去）" not in titles
    names |= {n for n in actors if not n.endswith("某")}
    texts = {}
    with opened(browser, offline) as page:
        sign_in(page, site.url)
        assert "查看者（个人信息打码）" in page.locator("header.top").inner_text()
        texts["queue"] = everything_shown(page)
        shot(page, "viewer-queue")

        page.goto(site.url + "/#/dispute/" + PLANTED)
        page.get_by_role("heading", name="（已隐去）").wait_for()
        page.locator(".referral").wait_for()
        texts["referral"] = everything_shown(page)
        shot(page, "viewer-dispute")
        page.get_by_role("tab", name="专家").click()
        page.get_by_role("button", name=re.compile("^显示全部")).click()
        texts["experts"] = everything_shown(page)
        page.get_by_role("tab", name="上报路径").click()
        page.locator(".ladder").wait_for()
        texts["ladder"] = everything_shown(page)
        shot(page, "viewer-dispute-ladder")

        page.get_by_role("link", name="看板").click()
        page.get_by_role("heading", name=re.compile("登记的纠纷$")).wait_for()
        page.locator(".tile").filter(has_text="登记").wait_for()
        texts["dashboard"] = everything_shown(page)
        shot(page, "viewer-dashboard")

        page.goto(site.url + "/#/dispute/" + logged)
        page.locator(".timeline.log").wait_for()
        texts["workflow"] = everything_shown(page)
        shot(page, "viewer-dispute-workflow")
    for where, text in texts.items():
        assert MOBILE.findall(text) == [], where
        assert ID_NUMBER.findall(text) == [], where
        assert sorted(n for n in names if n in text) == [], where
        assert sorted(t for t in titles if t in text) == [], where
    assert texts["queue"].count("（已隐去）") == len(rows)
    assert "陆某" in texts["referral"] and "188****1962" in texts["referral"]
    assert "330421********6590" in texts["referral"]


# -- the keyboard, the phone, the session ----------------------------------------------------


def test_the_keyboard_reaches_the_queue_and_its_tabs(browser, offline, flow):
    report(flow, "keyboard", "邻里噪音纠纷")
    with opened(browser, offline) as page:
        sign_in(page, flow.url, flow.dispatcher, demo_day=False)
        site = flow
        page.get_by_role("link", name="跳到主要内容").focus()
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.innerText") == "工作台"
        assert page.url == site.url + "/#/queue" or page.url == site.url + "/"
        page.get_by_role("tab", name=re.compile("^本单位")).focus()
        page.keyboard.press("ArrowRight")
        focused = page.evaluate(
            "() => { const a = document.activeElement; return [a.innerText, a.ariaSelected] }"
        )
        assert [focused[0].split()[0], focused[1]] == ["可抢单", "true"]
        page.keyboard.press("ArrowLeft")
        first = page.locator("table.queue a.case").first
        first.focus()
        title = first.inner_text()
        page.keyboard.press("Enter")
        page.get_by_role("heading", name=title).wait_for()
        assert focused_heading(page) == title
        page.get_by_role("tab", name="分流建议").focus()
        page.keyboard.press("ArrowRight")
        assert page.evaluate("document.activeElement.innerText") == "专家"
        page.locator(".experts").wait_for()


def test_on_a_phone_the_screens_fit_the_width(browser, offline, site, mediator):
    with opened(browser, offline, PHONE) as page:
        sign_in(page, site.url, mediator)
        wide = "document.documentElement.scrollWidth - window.innerWidth"
        assert page.evaluate(wide) <= 0
        shot(page, "mediator-queue")
        page.goto(site.url + "/#/dispute/" + PLANTED)
        page.locator(".referral").wait_for()
        assert page.evaluate(wide) <= 0
        shot(page, "mediator-dispute")
        page.goto(site.url + "/#/report")
        page.get_by_role("heading", name="登记").wait_for()
        assert page.evaluate(wide) <= 0
        shot(page, "mediator-report")
        page.goto(site.url + "/#/dashboard")
        page.locator(".tile").filter(has_text="登记").wait_for()
        assert page.evaluate(wide) <= 0
        shot(page, "mediator-dashboard")


def test_signing_out_and_a_revoked_token_end_the_session(browser, offline, site):
    me = """async () => (await (await fetch('/graphql', {method: 'POST',
        headers: {'Content-Type': 'application/json', 'X-Requested-With': 'govgraph'},
        body: JSON.stringify({query: '{ me { role scope } }'})})).json()).data.me"""
    lost = "登录已失效（令牌已撤销或无效），请重新登录"
    refused = "the server responded with a status of 401 (Unauthorized)"  # the revoked tokens
    with opened(browser, offline, expected=[refused]) as page:
        token = create_token(site.tokens, "mediator", TOWN)
        sign_in(page, site.url, token)
        assert page.evaluate("document.cookie") == ""  # HttpOnly: the script cannot read it
        assert page.evaluate(me) == {"role": "mediator", "scope": TOWN}
        page.get_by_role("button", name="退出").click()
        page.get_by_role("heading", name="登录调解工作台").wait_for()
        assert page.evaluate(me) == {"role": "viewer", "scope": None}

        # Revoked while the page is open: its next request leads back to the login, which
        # drops the dead cookie, so that browsing as a viewer works at once.
        sign_in(page, site.url, token)
        revoke_token(site.tokens, token_id(token))
        page.get_by_role("link", name="看板").click()
        page.get_by_role("heading", name="登录调解工作台").wait_for()
        assert page.get_by_role("alert").inner_text() == lost
        page.get_by_role("button", name="不登录，以查看者身份浏览").click()
        page.get_by_role("heading", name="看板").wait_for()
        assert page.evaluate(me) == {"role": "viewer", "scope": None}

        # Revoked between two visits: the page opens on the login, saying why.
        other = create_token(site.tokens, "mediator", TOWN)
        page.get_by_role("button", name="登录", exact=True).click()
        sign_in(page, site.url, other)
        revoke_token(site.tokens, token_id(other))
        page.reload()
        page.get_by_role("heading", name="登录调解工作台").wait_for()
        assert page.get_by_role("alert").inner_text() == lost


def test_the_pages_own_rules_in_the_browser(browser, offline, site):
    """The clocks and the ID check, run in Chromium as the page runs them."""
    with opened(browser, offline) as page:
        page.goto(site.url + "/")
        got = page.evaluate(
            """async () => {
              const c = await import('/static/app/clock.js');
              const k = await import('/static/app/checks.js');
              return {
                clocks: ['2021-12-12', '2021-12-13', '2021-12-16', '2021-12-17']
                  .map(d => c.clock('2021-12-01', '2021-12-16', d)),
                none: c.clock('2021-12-01', null, '2021-12-17'),
                ids: ['33042119830308659X', '330421198303086590', '330421198302306590',
                      '33042119830308659', '33042119830308659x']
                  .map(k.idNumberProblem),
                mobiles: ['18892031962', '12892031962', '1889203196'].map(k.mobileProblem),
                spans: [[1500, 'working_days'], [200, 'hours'], [0, 'hours'], [2880, 'days'],
                        [45, 'working_days']].map(([m, u]) => c.span(m, u)),
                when: c.when('2026-12-02T15:38:13+08:00'),
              };
            }"""
        )
    assert got["clocks"] == [
        {"state": "within", "due": "2021-12-16", "left": 4, "over": 0},
        {"state": "approaching", "due": "2021-12-16", "left": 3, "over": 0},
        {"state": "approaching", "due": "2021-12-16", "left": 0, "over": 0},
        {"state": "breached", "due": "2021-12-16", "left": 0, "over": 1},
    ]
    assert got["none"] is None
    assert got["spans"] == ["1 个工作日 1 小时", "3 小时 20 分", "0 分", "2 天", "45 分"]
    assert got["when"] == "2026-12-02 15:38"
    assert id_check_digit("33042119830308659") == "0"
    assert got["ids"] == [
        "校验位应为 0，不是 X",
        None,
        "第 7–14 位（19830230）不是出生日期",
        "身份证号应为 17 位数字加 1 位数字或 X",
        "校验位应为 0，不是 X",
    ]
    assert got["mobiles"] == [
        None,
        "手机号应为 11 位数字，以 13–19 开头",
        "手机号应为 11 位数字，以 13–19 开头",
    ]


# -- the rest of a day's work: bounce and loop, whistle, extension, rating, claim, dashboard -----

MEASURES = """query ($from: Date, $to: Date, $level: AreaLevel!, $within: String) {
  workflowMeasures(from: $from, to: $to, level: $level, within: $within) { disputes
    openByArea { unit { key name } open approaching overdue paused }
    openByHolder { unit { label key name } open approaching overdue paused }
    byArea { area { key name } disputes bounceRate whistleRate onTimeRate
             settledShare { level share } }
    byDepartment { department { key name } orders bounced bounceRate whistled whistleRate
                   onTimeRate }
    repeatVisitors { person { key name } disputes } } }"""


def percent(share):
    """As the page writes a share: JavaScript's toFixed(1) of 100 × share, which rounds the
    exact binary value half up (Python's format rounds half to even)."""
    if share is None:
        return "—"
    return f"{Decimal(100 * share).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def shown_dashboard(page):
    """The dashboard's figures as shown: tiles, and each table's rows as their cells' text."""
    page.locator("table.chart.by-area").wait_for()
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")

    def rows(selector):
        return [
            [flat(c).strip() for c in r]
            for r in page.eval_on_selector_all(
                selector + " tbody tr",
                "rows => rows.map(r => [...r.children].map(c => c.innerText))",
            )
        ]

    return {
        "tiles": [flat(t).strip() for t in page.locator(".tile").all_inner_texts()],
        "open": rows("table.open-by-area"),
        "holders": rows("table.open-by-holder"),
        "areas": rows("table.by-area"),
        "departments": rows("table.by-department"),
        "visitors": [flat(t).strip() for t in page.locator(".visitors > li").all_inner_texts()],
    }


def expected_dashboard(site, token, within, first, last, level):
    """The same, from the API's `workflowMeasures` for the same caller and arguments."""
    m = site.api(MEASURES, token, within=within, level=level, **{"from": first, "to": last})
    m = m["workflowMeasures"]
    total = {
        k: sum(o[k] for o in m["openByArea"]) for k in ("open", "approaching", "overdue", "paused")
    }
    levels = {
        "grid": "网格", "village": "村（社区）", "town": "镇（街道）", "county": "县（区）",
        "court": "法院",
    }  # fmt: skip
    labels = {
        "Department": "部门", "Grid": "网格", "Center": "中心", "Person": "人员",
        "MediationOrg": "调解组织",
    }  # fmt: skip

    def area_row(a):
        share = {s["level"]: s["share"] for s in a["settledShare"]}
        village = share.get("grid", 0) + share.get("village", 0)
        settled = " · ".join(f"{levels[k]} {percent(share[k])}" for k in levels if k in share)
        return [
            a["area"]["name"], str(a["disputes"]), settled or "无已化解",
            percent(village) if share else "—",
            percent(village + share.get("town", 0)) if share else "—",
            percent(a["bounceRate"]), percent(a["whistleRate"]), percent(a["onTimeRate"]),
        ]  # fmt: skip

    departments = sorted(
        m["byDepartment"], key=lambda d: (-(d["bounceRate"] or 0), -d["orders"])
    )  # the page's order: most bounced first (a stable sort, as the page's)
    return m, {
        "tiles": [
            f"{total['open']} 在办",
            f"{total['approaching']} 临期",
            f"{total['overdue']} 超期",
            f"{total['paused']} 挂账暂停",
            f"{m['disputes']} 登记",
        ],
        "open": [
            [
                o["unit"]["name"],
                "",
                *(str(o[k]) for k in ("open", "approaching", "overdue", "paused")),
            ]
            for o in m["openByArea"]
        ],
        "holders": [
            [
                f"{o['unit']['name']} {labels[o['unit']['label']]}",
                *(str(o[k]) for k in ("open", "approaching", "overdue", "paused")),
            ]
            for o in m["openByHolder"]
        ],
        "areas": [area_row(a) for a in m["byArea"]],
        "departments": [
            [
                d["department"]["name"],
                str(d["orders"]),
                str(d["bounced"]),
                "",
                percent(d["bounceRate"]),
                str(d["whistled"]),
                percent(d["whistleRate"]),
                percent(d["onTimeRate"]),
            ]
            for d in departments
        ],
        "visitors": [f"{v['person']['name']} {v['disputes']} 件" for v in m["repeatVisitors"]],
    }


def dashboard(page, url):
    page.goto(url + "/#/dashboard")
    page.get_by_role("heading", name=re.compile("登记的纠纷$")).wait_for()
    return shown_dashboard(page)


ALLOWED = """query ($id: ID!) { dispute(id: $id) { workflow { version counts { bounces loops
  extensions whistles } allowedActions { action proposed { label key name } } } } }"""


def test_a_days_work_bounce_loop_whistle_extension_rating_claim_and_the_dashboard(
    browser, offline, flow
):
    """The town mediator on duty (a dispatcher of the 姚庄镇 center) registers a dispute and
    dispatches it to a grid; the grid bounces it (a dispatcher's error) and gets it back, which
    the page counts as a loop; the grid worker signs, whistles two departments, one of which
    signs for it as that department, and asks for three more days, which the dispatcher
    approves; the grid feeds back, the dispatcher closes it and the party rates it. A second
    dispute is opened to claims and an expert of its domain claims it. The queue's tabs and
    the dashboard equal the API's answers before and after, and move by what was done."""
    site, token = flow, flow.dispatcher
    first, last = "2026-01-01", None
    with opened(browser, offline) as page:
        sign_in(page, site.url, token, demo_day=False)
        w = words(page)
        last = page.get_by_label("日期").input_value()
        first = last[:4] + "-01-01"
        tabs_before = tab_counts(site, token)
        board_before = dashboard(page, site.url)
        m_before, expected = expected_dashboard(site, token, TOWN, first, last, "VILLAGE")
        assert board_before == expected
        shot(page, "day-dashboard-before")

        # 登记 through the page, then 受理 and 派单 to the grid the API proposes.
        page.get_by_role("link", name="登记").click()
        page.get_by_label("标题").fill("医药费赔偿纠纷")
        page.get_by_label("村（社区）").select_option(label="武长村委会")
        page.get_by_label("网格", exact=True).select_option(label="武长村第1网格")
        page.get_by_label("类别").select_option(label="医疗纠纷")
        page.get_by_label("姓名").nth(0).fill("赵文斌")
        page.get_by_label("身份证号").nth(0).fill(
            "33042119790512" + "123" + id_check_digit("33042119790512123")
        )
        page.get_by_label("手机号").nth(0).fill("13957312468")
        page.get_by_label("姓名").nth(1).fill("钱小燕")
        page.get_by_role("button", name="提交登记").click()
        page.get_by_role("heading", name="医药费赔偿纠纷").wait_for()
        dispute = page.url.rsplit("/", 1)[1]
        assert act(page, "受理") == "已受理（第 2 版，已受理）"
        [dispatch] = [
            a for a in site.api(ALLOWED, token, id=dispute)["dispute"]["workflow"]["allowedActions"]
            if a["action"] == "DISPATCH"
        ]  # fmt: skip
        grid = next(
            f"{p['label']}:{p['key']}" for p in dispatch["proposed"] if p["label"] == "Grid"
        )
        assert act(page, "派单", {"派往（按分流建议）": grid}) == "已派单（第 3 版，已派单）"

    grid_worker = create_token(
        site.tokens, "viewer", person=site.person["id"], unit=grid, workflow_role="grid_worker"
    )
    with opened(browser, offline, PHONE) as phone:
        sign_in(phone, site.url, grid_worker, demo_day=False)
        phone.goto(site.url + "/#/dispute/" + dispute)
        said = act(phone, "退单", {"退单原因": "dispatch_error", "理由（必填）": "属卫健部门职责"})
        assert said == "已退单（第 4 版，已受理）"
        shot(phone, "day-bounced")

    with opened(browser, offline) as page:
        sign_in(page, site.url, token, demo_day=False)
        page.goto(site.url + "/#/dispute/" + dispute)
        assert act(page, "派单", {"派往（按分流建议）": grid}) == "已派单（第 5 版，已派单）"
        # Back at the unit that bounced it: a loop, counted on the page as the API counts it.
        counts = site.api(ALLOWED, token, id=dispute)["dispute"]["workflow"]["counts"]
        assert counts == {"bounces": 1, "loops": 1, "extensions": 0, "whistles": 0}
        shown = flat(page.locator(".counts").inner_text())
        assert "退单 1 次" in shown and "回流 1 次" in shown
        assert page.locator(".counts .flagged").inner_text().split() == ["回流", "1", "次"]
        shot(page, "day-loop")

    with opened(browser, offline, PHONE) as phone:
        sign_in(phone, site.url, grid_worker, demo_day=False)
        phone.goto(site.url + "/#/dispute/" + dispute)
        assert act(phone, "签收") == "已签收（第 6 版，办理中）"
        [whistle] = [
            a
            for a in site.api(ALLOWED, grid_worker, id=dispute)["dispute"]["workflow"][
                "allowedActions"
            ]
            if a["action"] == "WHISTLE"
        ]
        departments = whistle["proposed"][:2]
        assert len(departments) == 2 and {d["label"] for d in departments} == {"Department"}
        phone.locator(".actions-card .buttons").get_by_role(
            "button", name="吹哨", exact=True
        ).click()
        form = phone.get_by_role("form", name="吹哨")
        boxes = form.locator("#act-targets input[type=checkbox]")
        assert [flat(t).strip() for t in form.locator("#act-targets label").all_inner_texts()] == [
            d["name"] for d in whistle["proposed"]
        ]
        assert [b.is_checked() for b in boxes.all()] == [False] * len(whistle["proposed"])
        for d in departments:
            form.get_by_label(d["name"], exact=True).check()
        form.get_by_label("理由（必填）").fill("需要卫健、医保部门到场核实")
        form.get_by_role("button", name="确认吹哨").click()
        phone.locator(".actions-card").get_by_role("status").filter(has_text="已吹哨").wait_for()
        phone.locator(".actions-card > p.sub").filter(has_text="第 7 版").wait_for()
        f, expected = expected_flow(site, grid_worker, dispute, w)
        assert shown_flow(phone) == expected
        # each summoned department on its own clocks
        who = [c.locator(".who-acts").inner_text() for c in phone.locator("ul.clocks > li").all()]
        for d in departments:
            assert who.count(d["name"]) == 3  # sign within 1 h, contact within 24 h, on site
        assert [t["name"] for t in f["log"][-1]["targets"]] == [d["name"] for d in departments]
        shot(phone, "day-whistled")

    # The first department signs for the whistle, as that department.
    department = create_token(
        site.tokens, "viewer", person=site.person["id"],
        unit=f"{departments[0]['label']}:{departments[0]['key']}", workflow_role="department",
    )  # fmt: skip
    with opened(browser, offline) as page:
        sign_in(page, site.url, department, demo_day=False)
        rows = shown_queue(page)  # 本单位: what it was summoned to
        assert rows == expected_queue_rows(site, department, "UNIT", w)
        assert dispute in [r[0] for r in rows]
        page.locator("table.queue tbody tr").filter(has_text=dispute).locator("a.case").click()
        assert act(page, "报到签收") == "已报到签收（第 8 版，办理中）"
        f, expected = expected_flow(site, department, dispute, w)
        assert shown_flow(page) == expected
        signed = [c for c in f["clocks"] if c["name"] == "whistle_signed"]
        assert len(signed) == 1  # the other department's sign-in clock still runs
        shot(page, "day-department-signed")

    # The grid worker asks for 3 more days; the dispatcher approves.
    with opened(browser, offline, PHONE) as phone:
        sign_in(phone, site.url, grid_worker, demo_day=False)
        phone.goto(site.url + "/#/dispute/" + dispute)
        said = act(phone, "申请延期", {"延期天数": "3", "理由（必填）": "等待医保部门核算"})
        assert said == "已申请延期（第 9 版，办理中）"
    with opened(browser, offline) as page:
        sign_in(page, site.url, token, demo_day=False)
        page.goto(site.url + "/#/dispute/" + dispute)
        handle = next(
            c for c in site.api(FLOW.replace("clocks { name status }", "clocks { name limit }"),
                                token, id=dispute)["dispute"]["workflow"]["clocks"]
            if c["name"] == "handle"
        )  # fmt: skip
        form_request = page.locator(".actions-card .buttons").get_by_role(
            "button", name="批准", exact=True
        )
        form_request.click()
        request = page.get_by_role("form", name="批准").get_by_label("待审批的申请")
        assert request.locator("option").all_inner_texts()[0].startswith("申请延期 · ")
        page.get_by_role("form", name="批准").get_by_role("button", name="确认批准").click()
        page.locator(".actions-card").get_by_role("status").filter(has_text="已批准").wait_for()
        page.locator(".actions-card > p.sub").filter(has_text="第 10 版").wait_for()
        f, expected = expected_flow(site, token, dispute, w)
        assert shown_flow(page) == expected
        after = site.api(ALLOWED, token, id=dispute)["dispute"]["workflow"]["counts"]
        assert after["extensions"] == 1
        limits = site.api(
            FLOW.replace("clocks { name status }", "clocks { name limit }"), token, id=dispute
        )["dispute"]["workflow"]["clocks"]
        assert [c["limit"] for c in limits if c["name"] == "handle"] == [handle["limit"] + 3]
        assert "延期 1 次" in flat(page.locator(".counts").inner_text())
        shot(page, "day-extended")

    with opened(browser, offline, PHONE) as phone:
        sign_in(phone, site.url, grid_worker, demo_day=False)
        phone.goto(site.url + "/#/dispute/" + dispute)
        assert act(phone, "反馈", {"办理结果": "双方达成赔偿协议"}) == "已反馈（第 11 版，已反馈）"
    with opened(browser, offline) as page:
        sign_in(page, site.url, token, demo_day=False)
        page.goto(site.url + "/#/dispute/" + dispute)
        said = act(page, "办结", {"结果": "SETTLED", "化解层级": "VILLAGE"})
        assert said == "已办结（第 12 版，已办结）"
        parties = site.api(
            "query ($id: ID!) { dispute(id: $id) { participants { party { ... on Person "
            "{ id name } } } } }",
            token,
            id=dispute,
        )["dispute"]["participants"]
        applicant = next(p["party"]["id"] for p in parties if p["party"]["name"].startswith("赵"))

    # The party rates it (评单), signed in as a resident: what they see is masked as the API
    # masks it for them.
    resident = create_token(site.tokens, "viewer", person=applicant, workflow_role="resident")
    with opened(browser, offline, PHONE) as phone:
        sign_in(phone, site.url, resident, demo_day=False)
        phone.goto(site.url + "/#/dispute/" + dispute)
        assert act(phone, "评单", {"评分（1–5）": "4"}) == "已评单（第 13 版，已办结）"
        f, expected = expected_flow(site, resident, dispute, w)
        assert shown_flow(phone) == expected
        assert [(e["action"], e["toState"]) for e in f["log"]] == [
            ("report", "reported"), ("accept", "accepted"), ("dispatch", "dispatched"),
            ("bounce", "accepted"), ("dispatch", "dispatched"), ("sign", "handling"),
            ("whistle", "handling"), ("sign_whistle", "handling"),
            ("request_extension", "handling"), ("approve", "handling"),
            ("feed_back", "fed_back"), ("close", "closed"), ("rate", "closed"),
        ]  # fmt: skip
        shot(phone, "day-rated")

    # A second dispute is opened to claims (抢单); an expert of its domain claims it.
    second = report(site, "claim-test", "医疗费用争议")
    experts = site.api(
        "query ($id: ID!) { expertPool(disputeId: $id) { ranked { expert { key name } } } }",
        token,
        id=second,
    )["expertPool"]["ranked"]
    with opened(browser, offline) as page:
        sign_in(page, site.url, token, demo_day=False)
        page.goto(site.url + "/#/dispute/" + second)
        assert act(page, "受理") == "已受理（第 2 版，已受理）"
        assert act(page, "开放抢单") == "已开放抢单（第 3 版，待抢单）"
    expert = create_token(
        site.tokens, "viewer", person=experts[0]["expert"]["key"], workflow_role="expert"
    )
    with opened(browser, offline) as page:
        sign_in(page, site.url, expert, demo_day=False)
        claimable = expected_queue_rows(site, expert, "CLAIMABLE", w)
        assert second in [r[0] for r in claimable]
        page.get_by_role("tab", name=re.compile("^可抢单")).click()
        expect(page.locator("table.queue tbody tr")).to_have_count(len(claimable))
        assert shown_queue(page) == claimable
        shot(page, "day-expert-claimable")
        page.locator("table.queue tbody tr").filter(has_text=second).locator("a.case").click()
        assert act(page, "抢单") == "已抢单（第 4 版，办理中）"
        f, expected = expected_flow(site, expert, second, w)
        assert shown_flow(page) == expected
        # held by the expert, whose token (a viewer's) sees their own name masked, as the API
        # masks it: the privacy rule knows roles, not who a person is
        assert f["holder"]["key"] == experts[0]["expert"]["key"]
        assert f["holder"]["name"] == experts[0]["expert"]["name"][0] + "某"
        page.get_by_role("navigation").get_by_role("link", name="工作台").click()
        mine = expected_queue_rows(site, expert, "MINE", w)
        assert [r[0] for r in mine] == [second]
        page.get_by_role("tab", name=re.compile("^我的")).click()
        expect(page.locator("table.queue tbody tr")).to_have_count(1)
        assert shown_queue(page) == mine
        shot(page, "day-expert-mine")

    # The queue and the dashboard have moved by what was done, and still equal the API.
    with opened(browser, offline) as page:
        sign_in(page, site.url, token, demo_day=False)
        tabs_after = tab_counts(site, token)
        names = ("我的", "本单位", "可抢单", "临期", "超期", "全部在办")
        assert shown_tabs(page) == [f"{t} {n}" for t, n in zip(names, tabs_after, strict=True)]
        # 全部在办: one more (the claimed one, now the expert's; the first is closed); every
        # other tab as before (the claimed one is neither the dispatcher's nor claimable, and
        # its clock has all its time left).
        assert tabs_after == [*tabs_before[:5], tabs_before[5] + 1]
        shot(page, "day-queue-after")
        board_after = dashboard(page, site.url)
        m_after, expected = expected_dashboard(site, token, TOWN, first, last, "VILLAGE")
        assert board_after == expected
        assert m_after["disputes"] == m_before["disputes"] + 2
        opened_now = sum(o["open"] for o in m_after["openByArea"])
        assert opened_now == sum(o["open"] for o in m_before["openByArea"]) + 1
        expert_row = [o for o in m_after["openByHolder"] if o["unit"]["label"] == "Person"]
        assert [(o["unit"]["key"], o["open"]) for o in expert_row] == [
            (experts[0]["expert"]["key"], 1)
        ]
        whistled = {d["department"]["key"]: d["whistled"] for d in m_after["byDepartment"]}
        before = {d["department"]["key"]: d["whistled"] for d in m_before["byDepartment"]}
        for d in departments:
            assert whistled[d["key"]] == before.get(d["key"], 0) + 1
        assert unlabelled(page) == []
        shot(page, "day-dashboard-after")

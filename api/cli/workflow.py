"""The workflow on the command line: `govgraph report`, `govgraph act`, `govgraph queue` and
`govgraph tick`.

They act as a token's person, unit and workflow role (`--token`, or GOVGRAPH_TOKEN: a token
made by `govgraph token create … --person --unit --workflow-role`), through the same code as
the GraphQL mutations and `workQueue` (`api.acting`, `api.queue`), so the rules, the
idempotency keys, the stale-version check and the masking of personal data are the same.
They open the store read-write: on the embedded store, while no server has it open (a
server owns it; act through its GraphQL then); on Neo4j, beside the servers.

A command's idempotency key defaults to one derived from what it asks (`cli:accept@2`, or the
report's fields), so running the same command again applies nothing and prints the first
answer again.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.markup import escape

from api import acting, queue
from api.auth import Caller, InvalidToken, TokenError, TokenStore
from api.cli.common import Format, FormatOption, backend, console, fail, print_rows, settings
from graph.backend import Backend
from queries.calendar import CHINA_TIME
from queries.flow_rules import ACTIONS
from workflow.clocks import Clock
from workflow.model import Ref, Refusal

# What the people who do the work call each action and state (docs/workflow.md).
ACTION_NAMES = {
    "report": "上报", "accept": "受理", "dispatch": "派单", "offer": "开放抢单/点单",
    "sign": "签收", "claim": "抢单", "order": "点单", "record": "处置记录", "bounce": "退单",
    "approve": "批准", "refuse": "驳回", "request_extension": "申请延期", "park": "挂账",
    "resume": "恢复办理", "escalate": "上交", "whistle": "吹哨", "sign_whistle": "报到签收",
    "contact": "联系", "arrive": "到场", "rate_response": "评价报到", "supervise": "督办",
    "chase": "催办", "feed_back": "反馈", "close": "办结", "rate": "评单", "reopen": "重启",
    "call_back": "回访", "check": "核查履行",
}  # fmt: skip
STATE_NAMES = {
    "new": "未上报", "reported": "待受理", "accepted": "已受理", "dispatched": "已派单",
    "open": "待抢单", "handling": "处置中", "parked": "挂账", "fed_back": "已反馈",
    "closed": "已办结",
}  # fmt: skip
CLOCK_STATUS = {"within": "正常", "approaching": "临期", "breached": "超期", "paused": "暂停"}

TokenOption = Annotated[
    str,
    typer.Option(
        envvar="GOVGRAPH_TOKEN",
        show_envvar=True,
        help="The token you act with (made with --person, --unit and --workflow-role).",
    ),
]
commands = typer.Typer()


def _caller(token: str) -> Caller:
    try:
        return TokenStore(settings().tokens).verify(token.strip())
    except (InvalidToken, TokenError) as exc:
        fail(str(exc))


# -- what is shown ----------------------------------------------------------------------------


def _named(names: Mapping[Ref, str], ref: Ref) -> str:
    """A ref as `name (Label:key)` (`acting.names`), or `Label:key` when it has no name."""
    return f"{names[ref]} ({ref})" if names[ref] else str(ref)


def _minutes(c: Clock) -> str:
    left = c.remaining - c.overdue
    sign = "-" if left.total_seconds() < 0 else ""
    hours, minutes = divmod(int(abs(left.total_seconds()) // 60), 60)
    return f"{sign}{hours}h{minutes:02d}m"


def _clock_text(c: Clock | None) -> str:
    if c is None:
        return ""
    due = c.due.strftime("%Y-%m-%d %H:%M") if c.due else "—"
    return f"{c.name} {CLOCK_STATUS.get(c.status, c.status)} 到期 {due}（余 {_minutes(c)}）"


def _print_refusal(result: Refusal) -> typer.Exit:
    for e in result.errors:
        where = f" [{e.field}]" if e.field else ""
        text = escape(f"{e.code.value}{where}: {e.message}")
        console.print(f"[red]refused:[/red] {text}", highlight=False)
    return typer.Exit(1)


def _print_acted(store: Backend, caller: Caller, acted: acting.Acted, fmt: Format) -> None:
    result = acted.result
    if isinstance(result, Refusal):
        if fmt is Format.json:
            errors = [
                {"code": e.code.value, "message": e.message, "field": e.field}
                for e in result.errors
            ]
            sys.stdout.write(
                json.dumps({"dispute": acted.dispute or None, "userErrors": errors},
                           ensure_ascii=False, indent=2) + "\n"
            )  # fmt: skip
        raise _print_refusal(result)
    event, state = result.event, result.state
    [row] = queue.rows_of(store, [state], acting.now_in_china())
    refs = [*event.targets, *([state.holder] if state.holder else [])]
    names = acting.names(store, caller, refs)
    targets = [_named(names, t) for t in event.targets]
    answer: dict[str, Any] = {
        "dispute": acted.dispute,
        "version": event.version,
        "action": event.action,
        "from": event.from_state,
        "to": event.to_state,
        "holder": _named(names, state.holder) if state.holder else None,
        "targets": targets,
        "clock": _clock_text(row.clock) or None,
        "replayed": result.replayed,
    }
    if fmt is Format.json:
        sys.stdout.write(json.dumps(answer, ensure_ascii=False, indent=2) + "\n")
        return
    again = "（重复请求：未再执行，这是第一次的结果）" if result.replayed else ""
    step = ACTION_NAMES.get(event.action, event.action)
    before, after = event.from_state, event.to_state
    lines = [
        f"{step} {event.action}{again}: {acted.dispute} 版本 {event.version}，"
        f"{STATE_NAMES.get(before, before)} → {STATE_NAMES.get(after, after)} "
        f"({before} → {after})",
    ]
    if answer["holder"]:
        lines.append(f"承办: {answer['holder']}")
    if event.targets:
        lines.append("对象: " + "、".join(targets))
    if answer["clock"]:
        lines.append(f"时限: {answer['clock']}")
    sys.stdout.write("\n".join(lines) + "\n")


def _default_key(*parts: Any) -> str:
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return "cli:" + hashlib.sha256(text.encode()).hexdigest()[:16]


# -- the commands -----------------------------------------------------------------------------


@commands.command()
def report(
    place: Annotated[str, typer.Option(help="The grid or micro-grid id where it happened.")],
    title: Annotated[str, typer.Option(help="What it is about, in a line.")],
    token: TokenOption,
    kind: Annotated[str, typer.Option(help="dispute (between parties) or event (部件/事件).")] = (
        "dispute"
    ),
    channel: Annotated[
        str, typer.Option(help="grid_worker, app, hotline, video, visit or department.")
    ] = "grid_worker",
    category: Annotated[
        str | None, typer.Option(help="Its domain: a code or Chinese name (医疗纠纷).")
    ] = None,
    list_item: Annotated[str | None, typer.Option(help="A responsibility-list item id.")] = None,
    description: Annotated[str | None, typer.Option(help="What happened.")] = None,
    receiver: Annotated[
        str | None, typer.Option(help="Label:key of the receiving center or grid team.")
    ] = None,
    party: Annotated[
        list[str] | None, typer.Option(help="An existing party, Person:key (repeatable).")
    ] = None,
    new_party: Annotated[
        list[str] | None,
        typer.Option(
            help="A new party: name[,mobile[,ID number[,gender]]] (repeatable), validated as "
            "the loaders validate people."
        ),
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="Idempotency key (default: derived from the report).")
    ] = None,
    format: FormatOption = Format.table,
) -> None:
    """Report a dispute or an event (发现/上报) as your token's person."""
    if kind not in ("dispute", "event"):
        fail(f"--kind is dispute or event, not {kind!r}")
    caller = _caller(token)
    new = []
    for text in new_party or ():
        cells = [c.strip() or None for c in text.split(",")]
        if not cells[0] or len(cells) > 4:
            fail(f"--new-party is name[,mobile[,ID number[,gender]]], not {text!r}")
        cells += [None] * (4 - len(cells))
        new.append(acting.NewParty(str(cells[0]), cells[2], cells[1], cells[3]))
    fields = (kind, title, place, category, channel, list_item, description, receiver)
    key = key or _default_key("report", *fields, party or [], new_party or [])
    with backend(settings()) as store:
        acted = acting.report(
            store,
            caller,
            key,
            kind=kind,
            title=title,
            place=place,
            category=category,
            channel=channel,
            list_item=list_item,
            description=description,
            receiver=receiver,
            parties=party or [],
            new_parties=new,
        )
        _print_acted(store, caller, acted, format)


@commands.command()
def act(
    dispute: Annotated[str, typer.Argument(help="The dispute's id.")],
    action: Annotated[str, typer.Argument(help="The action: accept, dispatch, sign, close…")],
    expected_version: Annotated[
        int, typer.Option(help="The version you last saw (`govgraph queue` shows it).")
    ],
    token: TokenOption,
    target: Annotated[
        list[str] | None,
        typer.Option(help="Label:key, e.g. Department:dept-330421-health (repeatable)."),
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why (bounce, escalate, park…).")] = None,
    days: Annotated[int | None, typer.Option(help="Working days more (request_extension).")] = (
        None
    ),
    outcome: Annotated[
        str | None, typer.Option(help="close: settled, unsettled, withdrawn or litigated.")
    ] = None,
    level: Annotated[
        str | None, typer.Option(help="close: the level it was settled at (grid, town…).")
    ] = None,
    rating: Annotated[int | None, typer.Option(help="rate, rate_response: 1 to 5.")] = None,
    request: Annotated[
        int | None, typer.Option(help="approve, refuse: the version of the request.")
    ] = None,
    cause: Annotated[str | None, typer.Option(help="bounce: e.g. dispatch_error.")] = None,
    urgent: Annotated[bool, typer.Option(help="dispatch: with the one-hour arrival.")] = False,
    tough: Annotated[bool, typer.Option(help="whistle: a tough case (5 working days).")] = False,
    satisfied: Annotated[
        bool | None, typer.Option("--satisfied/--unsatisfied", help="call_back.")
    ] = None,
    carried_out: Annotated[
        bool | None, typer.Option("--carried-out/--not-carried-out", help="check.")
    ] = None,
    result: Annotated[str | None, typer.Option(help="record, feed_back: what was done.")] = None,
    key: Annotated[
        str | None,
        typer.Option(help="Idempotency key (default: derived from the action and version)."),
    ] = None,
    format: FormatOption = Format.table,
) -> None:
    """Take an action on a dispute as your token's person (the same rules as actOnDispute)."""
    if action not in ACTIONS or action == "report":
        known = ", ".join(a for a in ACTIONS if a != "report")
        fail(f"{action!r} is not an action (one of {known}; a report is `govgraph report`)")
    caller = _caller(token)
    data: dict[str, Any] = {
        name: value
        for name, value in (
            ("days", days),
            ("outcome", outcome),
            ("settled_level", level),
            ("rating", rating),
            ("request", request),
            ("cause", cause),
            ("urgent", urgent or None),
            ("type", "tough" if tough else None),  # a whistle's kind, as the rule reads it
            ("satisfied", satisfied),
            ("carried_out", carried_out),
            ("result", result),
        )
        if value is not None
    }
    key = key or _default_key(action, expected_version, target or [], reason, data)
    with backend(settings()) as store:
        acted = acting.act(
            store,
            caller,
            dispute,
            action,
            expected_version,
            key,
            targets=target or [],
            reason=reason,
            data=data,
        )
        _print_acted(store, caller, acted, format)


@commands.command("queue")
def queue_command(
    token: TokenOption,
    view: Annotated[
        str, typer.Option(help="mine, unit, claimable, approaching, overdue or all.")
    ] = "all",
    within: Annotated[
        str | None, typer.Option(help="A division prefix; default your scope.")
    ] = None,
    search: Annotated[
        str | None,
        typer.Option(
            help="A dispute's id or title, a party's name, ID number or mobile, a "
            "grid's or holder's name, as you may see them."
        ),
    ] = None,
    state: Annotated[list[str] | None, typer.Option(help="Only this state (repeatable).")] = None,
    warning: Annotated[
        list[str] | None, typer.Option(help="Only this risk colour: red, orange, yellow.")
    ] = None,
    domain: Annotated[str | None, typer.Option(help="Only this domain (code or name).")] = None,
    kind: Annotated[str | None, typer.Option(help="Only dispute, or only event.")] = None,
    first: Annotated[int, typer.Option(help="How many rows.")] = 50,
    format: FormatOption = Format.table,
) -> None:
    """Your work queue: open disputes, least working time left first (as workQueue)."""
    if view.upper() not in queue.VIEWS:
        fail(f"--view is one of {', '.join(v.lower() for v in queue.VIEWS)}, not {view!r}")
    caller = _caller(token)
    filters = queue.Filters(
        search=search,
        states=frozenset(state or ()),
        warnings=frozenset(warning or ()),
        domain=domain,
        kind=kind,
    )
    with backend(settings()) as store:
        try:
            rows = queue.work_queue(store, caller, view.upper(), within, filters=filters)
        except ValueError as exc:
            fail(str(exc))
        shown = rows[: max(first, 0)]
        disputes = [Ref("Dispute", r.state.id) for r in shown]
        holders = [r.state.holder for r in shown if r.state.holder]
        names = acting.names(store, caller, [*disputes, *holders])
        out = [
            {
                "dispute": r.state.id,
                "title": names[Ref("Dispute", r.state.id)],
                "state": r.state.state
                if format is not Format.table
                else f"{STATE_NAMES.get(r.state.state, r.state.state)} ({r.state.state})",
                "version": r.state.version,
                "warning": r.state.warning,
                "holder": _named(names, r.state.holder) if r.state.holder else None,
                "clock": _clock_text(r.clock),
                "due": r.clock.due if r.clock else None,
                "bounces": r.state.counts.get("bounces", 0),
            }
            for r in shown
        ]
    print_rows(out, format, f"工作队列 {view.lower()}: {len(rows)} 件")


@commands.command()
def tick(
    now: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M"],
            help="Fire what is due by then (default: now, China time).",
        ),
    ] = None,
) -> None:
    """Run the timers once (for cron): automatic escalations and pre-breach and breach notices
    due, each carried out once however often it runs; a missed run is caught up."""
    when = now.replace(tzinfo=CHINA_TIME) if now and now.tzinfo is None else now
    with backend(settings()) as store:
        recorded = acting.tick(store, when)
    for n in recorded:
        due = n.due.strftime("%Y-%m-%d %H:%M") if n.due else "—"
        sys.stdout.write(f"{n.why} {n.dispute} {n.clock} 到期 {due} → {n.recipient or '—'}\n")
    console.print(f"{len(recorded)} notification(s) recorded", highlight=False)

"""workflow.timers: what falls due by `now`, fired once, however late the run."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest

from api import queue
from api.auth import Caller as ApiCaller
from api.auth import Role
from graph.embedded import EmbeddedBackend
from queries.calendar import CHINA_TIME, Calendar, china_calendar
from queries.rules import Rules, load_rules
from workflow.model import Caller, Command, Facts, Ref, Rung
from workflow.notify import Notification, Outbox
from workflow.state import DisputeState
from workflow.store import EventStore, Outcome
from workflow.timers import due_firings, run_timers

RULES = load_rules("330421")
TOWN_CENTER = Ref("Center", "center-330421001")
COUNTY_CENTER = Ref("Center", "center-330421")
DISPATCHER = Caller(Ref("Person", "P-D"), "dispatcher", TOWN_CENTER, "330421001")
DEPT = Ref("Department", "dept-330421001-zhzf")
OFFICER = Caller(Ref("Person", "P-O"), "department", DEPT, "330421001")
ADMIN = ApiCaller(Role.ADMIN)


def at(day: str, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute), CHINA_TIME)


def rules_for(state: DisputeState) -> Rules:
    return RULES


def calendar_for(rules: Rules) -> Calendar:
    return china_calendar()


def next_rung(state: DisputeState) -> Rung | None:
    return Rung("county", COUNTY_CENTER)


def handled(store: EventStore) -> None:
    steps: list[tuple[Command, datetime, Facts]] = [
        (
            Command(
                "D1",
                "report",
                Caller(Ref("Person", "P-A"), "resident"),
                0,
                "r",
                (TOWN_CENTER,),
                None,
                {"channel": "app", "title": "占道经营", "place": "330421001001-G01", "parties": 2},
            ),
            at("2024-05-20", 9),
            Facts(target_level="town"),
        ),
        (Command("D1", "accept", DISPATCHER, 1, "a"), at("2024-05-20", 10), Facts()),
        (
            Command("D1", "dispatch", DISPATCHER, 2, "d", (DEPT,)),
            at("2024-05-20", 11),
            Facts(target_level="town", time_limit_days=2, limit_source="list item L2-007"),
        ),
        (Command("D1", "sign", OFFICER, 3, "s"), at("2024-05-20", 11, 30), Facts()),
    ]
    for command, now, facts in steps:
        assert isinstance(store.act(command, facts, now, RULES, china_calendar()), Outcome)


def test_the_firings_due_are_the_same_on_every_run(backend: EmbeddedBackend) -> None:
    store = EventStore(backend)
    handled(store)
    state = store.state("D1")
    assert state is not None
    now = at("2024-05-30", 9)
    first = due_firings([state], now, rules_for, calendar_for)
    assert [(f.kind, str(f.recipient), f.at.isoformat()) for f in first] == [
        ("pre_breach", "Department:dept-330421001-zhzf", "2024-05-22T14:24:00+08:00"),
        ("breach", "Center:center-330421001", "2024-05-23T00:00:00+08:00"),
        ("breach", "Department:dept-330421001-zhzf", "2024-05-23T00:00:00+08:00"),
        ("escalate", "None", "2024-05-23T00:00:00+08:00"),
    ]
    assert due_firings([state], now, rules_for, calendar_for) == first
    keys = {f.key for f in first}
    assert due_firings([state], now, rules_for, calendar_for, keys) == []
    assert due_firings([state], at("2024-05-22", 14), rules_for, calendar_for) == []


def test_a_catch_up_after_downtime_fires_each_missed_firing_once(backend: EmbeddedBackend) -> None:
    store, outbox = EventStore(backend), Outbox(backend)
    handled(store)
    late = at("2024-05-30", 9)  # the server was down from the 21st
    recorded = run_timers(store, outbox, late, rules_for, calendar_for, next_rung)
    clock = "handle@3:Department:dept-330421001-zhzf"
    due = at("2024-05-23")
    assert [(n.why, str(n.recipient), n.clock, n.at, n.due) for n in recorded] == [
        ("pre_breach", "Department:dept-330421001-zhzf", clock, at("2024-05-22", 14, 24), due),
        ("breach", "Center:center-330421001", clock, due, due),
        ("breach", "Department:dept-330421001-zhzf", clock, due, due),
        ("escalated", "Center:center-330421", clock, due, due),
    ]
    assert run_timers(store, outbox, late, rules_for, calendar_for, next_rung) == []
    assert run_timers(store, outbox, at("2024-05-31", 9), rules_for, calendar_for, next_rung) == []
    log = store.log("D1")
    escalations = [e for e in log if e.action == "escalate"]
    assert [(e.version, e.role, e.to_state, e.targets, e.data["auto"]) for e in escalations] == [
        (5, "system", "accepted", (COUNTY_CENTER,), True)
    ]
    assert outbox.all("D1") == [
        Notification(n.id, n.dispute, n.recipient, n.why, n.clock, n.at, n.due) for n in recorded
    ]


def test_an_escalation_appended_after_a_later_event_is_not_missed_by_a_poll(
    backend: EmbeddedBackend,
) -> None:
    """A pass reads the clock once (9:00) and appends its escalations one by one: while it
    works, another dispute is reported at 9:05 and a poll takes 9:05 as its cursor. The
    escalation appended after that is stamped 9:05, so the next poll answers it."""
    store, outbox = EventStore(backend), Outbox(backend)
    handled(store)
    meanwhile = at("2024-05-30", 9, 5)
    cursors = []

    def slow_rung(state: DisputeState) -> Rung | None:  # asked just before the escalation
        reported = store.act(
            Command("D2", "report", Caller(Ref("Person", "P-B"), "resident"), 0, "r",
                    (TOWN_CENTER,), None,
                    {"channel": "app", "title": "噪音", "place": "330421001001-G01", "parties": 2}),
            Facts(target_level="town"), meanwhile, RULES, china_calendar(),
        )  # fmt: skip
        assert isinstance(reported, Outcome)
        cursors.append(queue.cursor(backend))
        return next_rung(state)

    run_timers(store, outbox, at("2024-05-30", 9), rules_for, calendar_for, slow_rung)
    assert cursors == [meanwhile.isoformat(timespec="microseconds")]
    assert [(e.action, e.at) for e in store.log("D1")[-1:]] == [("escalate", meanwhile)]
    rows, removed, cursor = queue.queue_changes(backend, ADMIN, cursors[0], now=meanwhile)
    assert (sorted((r.state.id, r.state.state) for r in rows), removed, cursor) == (
        [("D1", "accepted"), ("D2", "reported")], [], cursors[0]
    )  # fmt: skip


class _Phone:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.down = True

    def send(self, notification: Notification) -> None:
        if self.down:
            raise ConnectionError("gateway down")
        self.sent.append(notification.why)


def test_notifications_the_gateway_could_not_take_are_retried(backend: EmbeddedBackend) -> None:
    store, outbox = EventStore(backend), Outbox(backend)
    handled(store)
    run_timers(store, outbox, at("2024-05-30", 9), rules_for, calendar_for, next_rung)
    phone = _Phone()
    assert outbox.deliver(phone, at("2024-05-30", 9, 1)) == []
    phone.down = False
    assert [n.why for n in outbox.deliver(phone, at("2024-05-30", 9, 2))] == [
        "pre_breach",
        "breach",
        "breach",
        "escalated",
    ]
    assert outbox.deliver(phone, at("2024-05-30", 9, 3)) == []
    assert {n.delivered_at for n in outbox.all()} == {at("2024-05-30", 9, 2)}


class _Killed(Exception):
    pass


class _KilledAfterEscalating(Outbox):
    """The process dies between the escalation's commit and the record of its notice."""

    def record(self, n: Notification) -> bool:
        if n.why == "escalated":
            raise _Killed
        return super().record(n)


def test_a_rerun_after_a_kill_between_an_escalation_and_its_notice_ends_as_a_clean_run(
    backend: EmbeddedBackend, tmp_path: Path
) -> None:
    late = at("2024-05-30", 9)
    clean = EmbeddedBackend(tmp_path / "clean.lbdb")
    clean.init_schema()
    try:
        handled(EventStore(clean))
        run_timers(EventStore(clean), Outbox(clean), late, rules_for, calendar_for, next_rung)
        store = EventStore(backend)
        handled(store)
        with pytest.raises(_Killed):
            run_timers(
                store, _KilledAfterEscalating(backend), late, rules_for, calendar_for, next_rung
            )
        assert [n.why for n in Outbox(backend).all("D1")] == ["pre_breach", "breach", "breach"]
        rerun = run_timers(store, Outbox(backend), late, rules_for, calendar_for, next_rung)
        due, clock = at("2024-05-23"), "handle@3:Department:dept-330421001-zhzf"
        assert rerun == [
            Notification(
                "D1:" + clock + ":escalate:None", "D1", COUNTY_CENTER, "escalated", clock, due, due
            )
        ]
        assert Outbox(backend).all("D1") == Outbox(clean).all("D1")
        assert [(e.version, e.action) for e in store.log("D1")] == [
            (e.version, e.action) for e in EventStore(clean).log("D1")
        ]
    finally:
        clean.close()

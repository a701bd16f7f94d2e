"""Workflow benchmark (not a test): prints figures, asserts nothing.

    .venv/bin/python -P tests/bench_workflow.py [--disputes 2000]

- decide + apply per action, in process (the pure core);
- `EventStore.act` per action on a fresh embedded store (read the log, replay, decide, one
  write transaction), p50/p99;
- replay of a stored log and `clocks` of its state;
- one timer pass (`due_firings`) over `--disputes` open disputes, each in handling with a
  whistle (so six clocks each).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.embedded import EmbeddedBackend  # noqa: E402
from queries.rules import Rules, load_rules  # noqa: E402
from workflow.calendar import CHINA_TIME, Calendar, china_calendar  # noqa: E402
from workflow.clocks import clocks  # noqa: E402
from workflow.decide import decide  # noqa: E402
from workflow.model import Caller, Command, Event, Facts, Ref, Refusal  # noqa: E402
from workflow.state import DisputeState, apply, replay  # noqa: E402
from workflow.store import EventStore, Outcome  # noqa: E402
from workflow.timers import due_firings  # noqa: E402

RULES, CALENDAR = load_rules("330421"), china_calendar()
CENTER, DEPT = Ref("Center", "c"), Ref("Department", "d")
GRID = Ref("Grid", "g")
DISPATCHER = Caller(Ref("Person", "p-d"), "dispatcher", CENTER, "330421")
OFFICER = Caller(Ref("Person", "p-o"), "department", DEPT, "330421")
PARTY = Caller(Ref("Person", "p-a"), "resident")
A, B = Ref("Department", "a"), Ref("Department", "b")


def steps(dispute: str) -> list[tuple[str, Caller, Facts, dict[str, Any], tuple[Ref, ...]]]:
    report = {"channel": "app", "title": "t", "place": "g", "parties": 2}
    return [
        ("report", PARTY, Facts(target_level="town"), report, (CENTER,)),
        ("accept", DISPATCHER, Facts(), {}, ()),
        ("dispatch", DISPATCHER, Facts(target_level="town"), {}, (DEPT,)),
        ("sign", OFFICER, Facts(), {}, ()),
        ("record", OFFICER, Facts(), {"note": "n"}, ()),
        ("feed_back", OFFICER, Facts(), {}, ()),
        (
            "close",
            DISPATCHER,
            Facts(in_scope=True),
            {"outcome": "settled", "settled_level": "town"},
            (),
        ),
        ("rate", PARTY, Facts(is_party=True), {"rating": 5}, ()),
    ]


def _ms(values: list[float]) -> str:
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return f"p50 {statistics.median(values) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms"


def pure(n: int) -> None:
    started, count = time.perf_counter(), 0
    for i in range(n):
        state: DisputeState | None = None
        now = datetime(2024, 5, 20, 9, tzinfo=CHINA_TIME)
        for version, (action, caller, facts, data, targets) in enumerate(steps(f"D{i}")):
            command = Command(f"D{i}", action, caller, version, f"k{version}", targets, None, data)
            event = decide(state, command, facts, now, RULES, CALENDAR)
            assert not isinstance(event, Refusal), event
            state = apply(state or DisputeState(f"D{i}"), event)
            now += timedelta(hours=5)
            count += 1
    elapsed = time.perf_counter() - started
    print(f"decide + apply, in process: {count / elapsed:,.0f} actions/s ({count} actions)")


def stored(n: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        backend = EmbeddedBackend(Path(folder) / "g.lbdb")
        backend.init_schema()
        store = EventStore(backend)
        times: list[float] = []
        for i in range(n):
            now = datetime(2024, 5, 20, 9, tzinfo=CHINA_TIME)
            for version, (action, caller, facts, data, targets) in enumerate(steps(f"D{i}")):
                command = Command(
                    f"D{i}", action, caller, version, f"k{version}", targets, None, data
                )
                started = time.perf_counter()
                outcome = store.act(command, facts, now, RULES, CALENDAR)
                times.append(time.perf_counter() - started)
                assert isinstance(outcome, Outcome), outcome
                now += timedelta(hours=5)
        print(
            f"EventStore.act on the embedded store: {_ms(times)} ({len(times)} actions, one writer)"
        )
        log_times, clock_times = [], []
        for i in range(min(n, 200)):
            started = time.perf_counter()
            state = replay(store.log(f"D{i}"))
            log_times.append(time.perf_counter() - started)
            assert state is not None
            started = time.perf_counter()
            clocks(state, datetime(2024, 6, 1, tzinfo=CHINA_TIME), RULES, CALENDAR)
            clock_times.append(time.perf_counter() - started)
        print(f"read and replay one log of 8 events: {_ms(log_times)}")
        print(f"clocks of one state: {_ms(clock_times)}")
        backend.close()


def open_states(n: int) -> list[DisputeState]:
    state: DisputeState | None = None
    log: list[Event] = []
    now = datetime(2024, 5, 20, 9, tzinfo=CHINA_TIME)
    grid_worker = Caller(Ref("Person", "p-g"), "grid_worker", GRID, "330421")
    plan = [
        (
            "report",
            grid_worker,
            Facts(in_scope=True, target_level="grid"),
            {"channel": "grid_worker", "title": "t", "place": "g", "parties": 2},
            (GRID,),
        ),
        ("accept", grid_worker, Facts(), {}, ()),
        ("sign", grid_worker, Facts(), {}, ()),
        ("whistle", grid_worker, Facts(), {}, (A, B)),
    ]
    for version, (action, caller, facts, data, targets) in enumerate(plan):
        command = Command("W", action, caller, version, f"k{version}", targets, "r", data)
        event = decide(state, command, facts, now, RULES, CALENDAR)
        assert not isinstance(event, Refusal), event
        log.append(event)
        state = apply(state or DisputeState("W"), event)
        now += timedelta(minutes=10)
    template = replay(log)
    assert template is not None
    return [_renamed(template, f"W{i}") for i in range(n)]


def _renamed(state: DisputeState, dispute: str) -> DisputeState:
    from dataclasses import replace

    return replace(state, id=dispute)


def timers(n: int) -> None:
    states = open_states(n)

    def rules_for(state: DisputeState) -> Rules:
        return RULES

    def calendar_for(rules: Rules) -> Calendar:
        return CALENDAR

    now = datetime.combine(date(2024, 6, 20), datetime.min.time(), CHINA_TIME)
    started = time.perf_counter()
    fired = due_firings(states, now, rules_for, calendar_for)
    elapsed = time.perf_counter() - started
    print(
        f"one timer pass over {n:,} open disputes (6 clocks each): {elapsed:.2f} s, "
        f"{len(fired):,} firings due"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--disputes", type=int, default=2000)
    parser.add_argument("--stored", type=int, default=100)
    args = parser.parse_args()
    pure(1000)
    stored(args.stored)
    timers(args.disputes)


if __name__ == "__main__":
    main()

"""The dispute workflow as strangers drive it (api.acting): inputs that name nothing, and what
a refusal leaves behind."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from api import acting, queue
from api.auth import Caller, Role
from loaders.load import load
from queries.calendar import CHINA_TIME
from workflow.model import Refusal
from workflow.store import EventStore

GRID = "330421001001-G01"
CENTER = "Center:center-330421001"
NOW = datetime(2026, 3, 2, 10, tzinfo=CHINA_TIME)
GRID_WORKER = Caller(
    role=Role.VIEWER, person="JS-P-0002", unit=f"Grid:{GRID}", workflow_role="grid_worker"
)
DISPATCHER = Caller(
    role=Role.MEDIATOR,
    scope="330421001",
    person="JS-P-0001",
    unit=CENTER,
    workflow_role="dispatcher",
)


def errors(acted: acting.Acted) -> list[tuple[str, str, str | None]]:
    assert isinstance(acted.result, Refusal), acted.result
    return [(e.code.value, e.message, e.field) for e in acted.result.errors]


def report(graph: Any, key: str, **kw: Any) -> acting.Acted:
    given: dict[str, Any] = {
        "receiver": CENTER,
        "parties": ["Person:JS-P-0003"],
        "place": GRID,
        **kw,
    }
    return acting.report(
        graph,
        GRID_WORKER,
        key,
        kind="dispute",
        title="邻里漏水",
        category=None,
        channel="grid_worker",
        now=NOW,
        **given,
    )


def disputes(graph: Any) -> int:
    return int(graph.read("MATCH (d:Dispute) RETURN count(d) AS n", {})[0]["n"])


def test_a_receiver_target_or_party_that_names_no_node_is_refused_and_nothing_written(
    examples_graph: Any,
) -> None:
    before = disputes(examples_graph)
    assert errors(report(examples_graph, "r1", receiver="Center:center-nowhere")) == [
        ("invalid_input", "no Center with key 'center-nowhere'", "receiver")
    ]
    assert errors(
        report(examples_graph, "r2", parties=["Person:JS-P-0003", "Person:P-NOBODY"])
    ) == [("invalid_input", "no Person with key 'P-NOBODY'", "parties")]
    assert errors(
        report(examples_graph, "r5", parties=["Person:JS-P-0003", "Person:JS-P-0003"])
    ) == [("invalid_input", "named twice: Person:JS-P-0003", "parties")]
    assert disputes(examples_graph) == before

    dispute = report(examples_graph, "r3").dispute
    store = EventStore(examples_graph)
    acting.act(examples_graph, DISPATCHER, dispute, "accept", 1, "a1", now=NOW)
    assert errors(
        acting.act(
            examples_graph,
            DISPATCHER,
            dispute,
            "dispatch",
            2,
            "a2",
            targets=["Grid:330421001001-G99", "Department:dept-gone"],
            now=NOW,
        )
    ) == [
        (
            "invalid_input",
            "no Grid with key '330421001001-G99'; no Department with key 'dept-gone'",
            "targets",
        )
    ]
    acting.act(examples_graph, DISPATCHER, dispute, "sign", 2, "a3", now=NOW)
    assert errors(
        acting.act(
            examples_graph,
            DISPATCHER,
            dispute,
            "whistle",
            3,
            "a4",
            targets=["Department:dept-330421-labour", "Department:dept-330421-nobody"],
            reason="漏水涉及多部门",
            now=NOW,
        )
    ) == [("invalid_input", "no Department with key 'dept-330421-nobody'", "targets")]
    state = store.state(dispute)
    assert state is not None
    assert (state.version, state.state, str(state.holder), state.whistles) == (
        3,
        "handling",
        CENTER,
        (),
    )


def test_a_record_keeps_what_was_done_as_the_clients_send_it(examples_graph: Any) -> None:
    # GraphQL's `result` and `govgraph act --result` both send it as `result`.
    dispute = report(examples_graph, "r4").dispute
    acting.act(examples_graph, DISPATCHER, dispute, "accept", 1, "a1", now=NOW)
    acting.act(examples_graph, DISPATCHER, dispute, "sign", 2, "a2", now=NOW)
    acted = acting.act(
        examples_graph,
        DISPATCHER,
        dispute,
        "record",
        3,
        "a3",
        data={"result": "上门调解一次"},
        now=NOW,
    )
    assert not isinstance(acted.result, Refusal)
    assert dict(acted.result.event.data) == {"note": "上门调解一次", "step": "tracking"}
    [*_, stored] = EventStore(examples_graph).log(dispute)
    assert dict(stored.data) == {"note": "上门调解一次", "step": "tracking"}


def test_a_grid_workers_scope_takes_in_grids_nested_at_any_depth(
    backend: Any, example_files: list[Path], write_csv: Any
) -> None:
    # 苏州 nests grids four levels deep: a grid inside the micro-grid W03 is the worker's too.
    deep = "330421001001-G01-W03-X1"
    grids = write_csv(
        "deep.grids.csv",
        [
            ["id", "name", "level", "kind", "grid_class", "households", "population", "urban"],
            [deep, "日晖社区第一网格第三微网格一号楼", "3", "micro", "", "12", "30", "true"],
        ],
    )
    part_of = write_csv(
        "deep.part_of.csv",
        [["from", "to", "from_type", "to_type"], [deep, "330421001001-G01-W03", "Grid", "Grid"]],
    )
    assert load(backend, [*example_files, grids, part_of]).rejects == []
    acted = report(backend, "r6", place=deep, receiver=f"Grid:{GRID}")
    assert not isinstance(acted.result, Refusal), acted.result
    rows = queue.work_queue(backend, GRID_WORKER, "ALL", now=NOW)
    assert [(r.state.id, r.state.state, r.state.report["place"]) for r in rows] == [
        (acted.dispute, "reported", deep)
    ]

"""The structure as of a day: a grid redrawn or a center closed is on the ladder and in the
referral while it exists, and not after (graph.temporal.holds_on in the named queries)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from graph.embedded import EmbeddedBackend
from loaders.load import load
from queries import read_model
from queries.escalation import escalation_path
from queries.referral import DisputeDescription, referral


@pytest.fixture(params=["cypher", "read model"])
def redrawn(
    examples_graph: EmbeddedBackend, write_csv: Any, request: pytest.FixtureRequest
) -> EmbeddedBackend:
    """The examples after a 2023 redrawing: 日晖社区's first grid ends with 2022 and a new
    grid, with its own head, takes its micro-grid on from 2023; the community's center closes
    with 2022 (a village with no body that day is no rung). Answered by Cypher, and again
    with the read model (queries.read_model) attached after the load."""
    files = [
        write_csv(
            "redrawn.grids.csv",
            [
                ["id", "name", "level", "kind", "valid_from", "valid_to"],
                ["330421001001-G01", "日晖社区第一网格", "1", "basic", "", "2022-12-31"],
                ["330421001001-G05", "日晖社区第五网格", "1", "basic", "2023-01-01", ""],
            ],
        ),
        write_csv(
            "redrawn.centers.csv",
            [
                ["id", "name", "kind", "level", "valid_to"],
                ["center-330421001001", "日晖社区矛调中心", "mediation", "village", "2022-12-31"],
            ],
        ),
        write_csv("redrawn.people.csv", [["id", "name"], ["JS-P-0901", "吴新"]]),
        write_csv(
            "redrawn.serves_in.csv",
            [
                ["from", "to", "role", "valid_from"],
                ["JS-P-0901", "330421001001-G05", "head", "2023-01-01"],
            ],
        ),
        write_csv(
            "redrawn.part_of.csv",
            [
                ["from", "to", "from_type", "to_type"],
                ["330421001001-G05", "330421001001", "Grid", "Unit"],
                ["330421001001-G01-W03", "330421001001-G05", "Grid", "Grid"],
            ],
        ),
    ]
    assert load(examples_graph, files).rejects == []
    if request.param == "read model":
        model = read_model.attach(examples_graph)
        assert model is not None and model.nodes["Grid"]["330421001001-G05"]["valid_from"]
    return examples_graph


def rungs(graph: EmbeddedBackend, day: date) -> list[tuple[str, list[str]]]:
    ladder = escalation_path(graph, grid_id="330421001001-G01-W03", as_of=day).ladder
    return [(step.place.key, [body.node.key for body in step.bodies]) for step in ladder]


COUNTY = [
    "center-330421",
    "dept-330421-court",
    "dept-330421-health",
    "dept-330421-justice",
    "dept-330421-labour",
]


def test_a_grid_that_ended_in_2022_is_on_the_ladder_of_2021_not_of_2023(
    redrawn: EmbeddedBackend,
) -> None:
    assert rungs(redrawn, date(2021, 6, 1)) == [
        ("330421001001-G01-W03", ["330421001001-G01-W03"]),
        ("330421001001-G01", ["330421001001-G01"]),
        ("330421001001", ["center-330421001001"]),
        ("330421001000", ["center-330421001"]),
        ("330421000000", COUNTY),
    ]
    assert rungs(redrawn, date(2023, 6, 1)) == [
        ("330421001001-G01-W03", ["330421001001-G01-W03"]),
        ("330421001001-G05", ["330421001001-G05"]),
        ("330421001000", ["center-330421001"]),
        ("330421000000", COUNTY),
    ]


def test_the_referral_leaves_out_what_did_not_exist_that_day(redrawn: EmbeddedBackend) -> None:
    def actors(day: date) -> list[tuple[str, str, str]]:
        described = DisputeDescription(place="330421001001-G01-W03", category="medical")
        found = referral(redrawn, description=described, as_of=day)
        return [(s.part, s.level, s.actor.key) for s in found.steps]

    assert actors(date(2021, 6, 1)) == [
        ("first_responder", "grid", "330421001001-G01-W03"),
        ("higher_grid", "grid", "330421001001-G01"),
        ("mediation_body", "county", "med-330421-medical"),
    ]
    assert actors(date(2023, 6, 1)) == [
        ("first_responder", "grid", "330421001001-G01-W03"),
        ("higher_grid", "grid", "330421001001-G05"),
        ("mediation_body", "county", "med-330421-medical"),
    ]

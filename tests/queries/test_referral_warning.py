"""A stored dispute gets its warning colour from the graph, as the same facts described do."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from graph.embedded import EmbeddedBackend
from loaders.load import load
from queries.referral import DisputeDescription, referral

GRID = "330421001001-G01-W03"
DISPUTE_HEADER = ["id", "title", "reported_on", "channel", "parties", "warning"]
PARTY_HEADER = ["from", "to", "from_type", "to_type", "side"]


def _load(
    graph: EmbeddedBackend,
    write_csv: Callable[..., Path],
    disputes: Sequence[Sequence[object]],
    parties: Sequence[Sequence[object]],
) -> None:
    people = [["id", "name"]] + [[f"W-P-{n:02d}", f"张{n:02d}"] for n in range(1, 16)]
    files = [
        write_csv("w.people.csv", people),
        write_csv("w.disputes.csv", [DISPUTE_HEADER, *disputes]),
        write_csv("w.party_to.csv", [PARTY_HEADER, *parties]),
        write_csv(
            "w.occurred_in.csv",
            [["from", "to", "from_type", "to_type"]]
            + [[d[0], GRID, "Dispute", "Grid"] for d in disputes],
        ),
        write_csv(
            "w.in_domain.csv",
            [["from", "to", "from_type", "to_type"]]
            + [[d[0], "property", "Dispute", "Domain"] for d in disputes],
        ),
    ]
    assert load(graph, files).rejects == []


def test_a_stored_fifteen_party_dispute_without_a_colour_is_red_as_described(
    examples_graph: EmbeddedBackend, write_csv: Callable[..., Path]
) -> None:
    parties = [[f"W-P-{n:02d}", "W-1", "Person", "Dispute", "applicant"] for n in range(1, 16)]
    _load(examples_graph, write_csv, [["W-1", "欠薪纠纷", "2024-05-20", "visit", 15, ""]], parties)
    stored = referral(examples_graph, dispute_id="W-1", as_of=date(2024, 5, 20))
    described = referral(
        examples_graph,
        description=DisputeDescription(place=GRID, category="property", parties=15),
        as_of=date(2024, 5, 20),
    )
    assert (stored.parties, stored.warning, stored.group) == (15, "red", True)
    assert (described.parties, described.warning, described.group) == (15, "red", True)


def test_a_stored_dispute_of_a_third_visit_is_orange(
    examples_graph: EmbeddedBackend, write_csv: Callable[..., Path]
) -> None:
    """One party's third dispute within the year (the window of `[warnings] visits_days`);
    a dispute reported after the one asked about does not count, nor one a year before."""
    days = ["2023-05-01", "2024-01-10", "2024-03-02", "2024-05-20", "2024-06-01"]
    disputes = [[f"W-{i}", "欠薪纠纷", day, "visit", 2, ""] for i, day in enumerate(days, 1)]
    parties = [["W-P-01", f"W-{i}", "Person", "Dispute", "applicant"] for i in range(1, 6)]
    parties += [
        [f"W-P-{i + 1:02d}", f"W-{i}", "Person", "Dispute", "respondent"] for i in range(1, 6)
    ]
    _load(examples_graph, write_csv, disputes, parties)
    colours = [referral(examples_graph, dispute_id=f"W-{i}").warning for i in range(1, 6)]
    assert colours == [None, "yellow", "orange", "orange", "orange"]

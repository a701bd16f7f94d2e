"""`Tie.query_one`, the ties of one source key: the same rows as `Tie.query` for that key,
less its row of nulls for a source without ties, both ways and as of a day."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from api.graphql.cypher import Tie

TIES = [
    Tie("Person", "SERVES_IN", "Grid"),
    Tie("Grid", "SERVES_IN", "Person", outgoing=False),
    Tie("Person", "LIVES_IN", "Unit"),
    Tie("Unit", "PART_OF", "Unit"),
    Tie("Unit", "PART_OF", "Unit", outgoing=False),
]


def _sorted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=repr)


def _sources(graph: Any, tie: Tie) -> list[str]:
    """A few keys of `tie.source` with ties (the most first), one without if any, and one of
    no node."""
    key = "id" if tie.source != "Unit" else "code"
    arrow = "-[:" + tie.rel + "]->" if tie.outgoing else "<-[:" + tie.rel + "]-"
    rows = graph.read(
        "MATCH (a:" + tie.source + ")" + arrow + "(:" + tie.target + ") RETURN a." + key
        + " AS k, count(*) AS c ORDER BY c DESC, k LIMIT 3"
    )  # fmt: skip
    lonely = graph.read(
        "MATCH (a:" + tie.source + ") WHERE NOT EXISTS { MATCH (a)" + arrow + "(:" + tie.target
        + ") } RETURN a." + key + " AS k ORDER BY k LIMIT 1"
    )  # fmt: skip
    assert len(rows) == 3
    return [r["k"] for r in rows + lonely] + ["no-such-key"]


@pytest.mark.parametrize("tie", TIES, ids=lambda t: f"{t.source}-{t.rel}-{t.outgoing}")
def test_one_keys_ties_are_the_batchs(demo_graph, tie):
    days = [None, date(2021, 6, 1), date(2015, 1, 1)] if tie.temporal else [None]
    for key in _sources(demo_graph, tie):
        for day in days:
            dated = {"as_of": day} if day is not None else {}
            batch = demo_graph.read(tie.query(as_of=day is not None), {"keys": [key], **dated})
            one = demo_graph.read(tie.query_one(as_of=day is not None), {"key": key, **dated})
            ties = [r for r in batch if any(v is not None for c, v in r.items() if c != "key")]
            assert _sorted(one) == _sorted(ties)
            if key == "no-such-key":
                assert one == [] and batch == []

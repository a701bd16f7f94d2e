"""Paths, contacts and masking: the result types the headline queries share."""

from __future__ import annotations

from datetime import date

import pytest

from queries.escalation import Body, Escalation, EscalationStep
from queries.explain import Contact, GraphPath, NodeRef, NotFound, Reason, RelRef, masked
from queries.flow_rules import Limit

PERSON = NodeRef("Person", "p1", "欧阳修")
GRID = NodeRef("Grid", "g1", "一号网格")
DISPUTE = NodeRef("Dispute", "d1", "欧阳某与张三宅基地纠纷")


def test_a_path_reads_as_cypher_and_keeps_one_node_more_than_rels() -> None:
    path = GraphPath.at(PERSON).then(RelRef("SERVES_IN", detail="head"), GRID)
    assert str(path) == "(Person p1 欧阳修)-[:SERVES_IN head]->(Grid g1 一号网格)"
    back = GraphPath.at(GRID).then(RelRef("OCCURRED_IN", False), DISPUTE)
    assert str(path.join(back)).endswith("<-[:OCCURRED_IN]-(Dispute d1 欧阳某与张三宅基地纠纷)")
    assert (len(path), path.start, path.end) == (1, PERSON, GRID)
    with pytest.raises(ValueError, match="one node more"):
        GraphPath((PERSON, GRID))
    with pytest.raises(ValueError, match="cannot join"):
        path.join(GraphPath.at(PERSON))


def test_masked_hides_names_mobiles_and_titles_everywhere() -> None:
    contact = Contact(PERSON, "head", "13812341234", date(2020, 1, 1))
    path = GraphPath.at(PERSON).then(RelRef("SERVES_IN"), GRID)
    step = EscalationStep(
        1,
        "grid",
        GRID,
        (Body(GRID, "grid_team", "basic", (contact,), path),),
        Limit(amount=3),
        None,
        None,
        "r",
        path,
    )
    result = Escalation(GRID, DISPUTE, date(2021, 1, 1), (step,), ())
    hidden = masked(result)
    body = hidden.ladder[0].bodies[0]
    assert body.holders == (
        Contact(NodeRef("Person", "p1", "欧阳某"), "head", "138****1234", date(2020, 1, 1)),
    )
    assert body.path.nodes == (NodeRef("Person", "p1", "欧阳某"), GRID)
    assert hidden.dispute == NodeRef("Dispute", "d1", "（已隐去）")
    assert hidden.grid == GRID and result.ladder[0].bodies[0].holders == (contact,)
    assert masked(Reason("grid-first", "text")) == Reason("grid-first", "text")


def test_not_found_says_what_was_not_found() -> None:
    assert str(NotFound("no grid with id 'x'")) == "no grid with id 'x'"
    assert isinstance(NotFound("x"), LookupError)

"""Which labels and types a query reads and a write changes (graph.labels): kept results are
dropped by a write to anything they read, and only then."""

from pathlib import Path

from graph.labels import EVERYTHING, changed_by, read_by

QUERIES = Path(__file__).resolve().parents[2] / "queries"


def test_every_alternative_of_a_relationship_pattern_is_read():
    query = (
        "MATCH (p:Person {id: $id})-[t:RELATED_TO|WORKS_IN|:MEMBER_OF| PARTY_TO*1..3]-(e:Expert) "
        "RETURN e.id"
    )
    read = read_by(query)
    assert {"RELATED_TO", "WORKS_IN", "MEMBER_OF", "PARTY_TO", "Dispute"} <= read
    assert EVERYTHING not in read


def test_a_write_to_the_third_alternative_invalidates_what_read_it():
    """queries/expert_conflicts.cypher walks PARTY_TO as the last of four alternatives: a new
    party (a dispute's report) must drop the pools kept from it."""
    text = (QUERIES / "expert_conflicts.cypher").read_text(encoding="utf-8")
    read = read_by(text)
    assert "PARTY_TO" in read and "MEMBER_OF" in read
    written = changed_by(
        "MATCH (a:Person {id: $a}), (b:Dispute {id: $b}) CREATE (a)-[:PARTY_TO {rid: $rid}]->(b)"
    )
    assert written == {"PARTY_TO"}
    assert written & read


def test_node_label_alternatives_and_a_write_elsewhere():
    assert read_by("MATCH (n:Grid|Center) RETURN n.id") == {"Grid", "Center"}
    event = changed_by("CREATE (e:DisputeEvent {id: $id})")
    assert event == {"DisputeEvent"}
    assert not event & read_by("MATCH (n:Grid|Center) RETURN n.id")

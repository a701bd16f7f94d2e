import pytest

from graph.ddl import embedded_ddl, ident, neo4j_ddl, node_table, rel_table
from graph.schema import SCHEMA


def test_node_table_statement():
    assert node_table(SCHEMA.node("Domain")) == (
        "CREATE NODE TABLE IF NOT EXISTS Domain(code STRING, name STRING, source STRING, "
        "PRIMARY KEY (code))"
    )


def test_rel_table_lists_every_endpoint_pair_and_the_identity_column():
    assert rel_table(SCHEMA.rel("PART_OF")) == (
        "CREATE REL TABLE IF NOT EXISTS PART_OF(FROM Unit TO Unit, FROM Grid TO Unit, "
        "FROM Grid TO Grid, rid STRING, source STRING)"
    )


def test_node_tables_come_before_the_relationship_tables_that_name_them():
    statements = embedded_ddl()
    kinds = [s.split()[1] for s in statements]
    assert kinds == ["NODE"] * len(SCHEMA.stored_nodes) + ["REL"] * len(SCHEMA.stored_rels)
    assert len(SCHEMA.stored_nodes) == len(SCHEMA.nodes) + 4  # the log and provenance: 2 + 2


def test_neo4j_constraints_cover_every_key_and_every_relationship_identity():
    statements = neo4j_ddl()
    assert (
        "CREATE CONSTRAINT person_id IF NOT EXISTS FOR (n:Person) REQUIRE n.id IS UNIQUE"
        in statements
    )
    assert (
        "CREATE CONSTRAINT serves_in_rid IF NOT EXISTS FOR ()-[r:SERVES_IN]-() "
        "REQUIRE r.rid IS UNIQUE" in statements
    )
    constraints = [s for s in statements if s.startswith("CREATE CONSTRAINT")]
    assert len(constraints) == len(SCHEMA.stored_nodes) + len(SCHEMA.stored_rels)
    assert (
        "CREATE CONSTRAINT disputeevent_id IF NOT EXISTS FOR (n:DisputeEvent) "
        "REQUIRE n.id IS UNIQUE" in statements
    )
    assert all("IF NOT EXISTS" in s for s in statements)


@pytest.mark.parametrize("name", ["Person)-[x]-(", "a b", "1abc", "", "x;DROP"])
def test_ident_refuses_anything_but_a_plain_name(name):
    with pytest.raises(ValueError, match="not a valid identifier"):
        ident(name)

import pytest

from graph.ddl import (
    RID,
    SchemaGaps,
    StoredTable,
    embedded_ddl,
    embedded_gaps,
    ident,
    neo4j_ddl,
    node_table,
    rel_table,
)
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


def _as_stored(schema_tables: list[str]) -> dict[str, StoredTable]:
    """The tables `embedded_ddl` creates, as a store would list them."""
    stored = {}
    for n in SCHEMA.stored_nodes:
        stored[n.label] = StoredTable({p.name: p.type.value for p in n.properties})
    for r in SCHEMA.stored_rels:
        columns = {RID: "STRING"} | {p.name: p.type.value for p in r.properties}
        stored[r.type] = StoredTable(columns, frozenset(r.endpoints))
    return {name: table for name, table in stored.items() if name in schema_tables}


def test_a_store_holding_the_whole_schema_lacks_nothing():
    names = [n.label for n in SCHEMA.stored_nodes] + [r.type for r in SCHEMA.stored_rels]
    gaps = embedded_gaps(_as_stored(names))
    assert gaps == SchemaGaps() and not gaps


def test_an_older_store_gets_what_was_declared_since_and_nothing_else():
    names = [n.label for n in SCHEMA.stored_nodes] + [r.type for r in SCHEMA.stored_rels]
    stored = _as_stored([name for name in names if name != "RATED"])
    dispute = stored["Dispute"]
    stored["Dispute"] = StoredTable({k: v for k, v in dispute.columns.items() if k != "warning"})
    handled = stored["HANDLED"]
    stored["HANDLED"] = StoredTable(handled.columns, handled.pairs - {("Department", "Dispute")})
    assert embedded_gaps(stored) == SchemaGaps(
        missing=(
            "Dispute.warning",
            "the relationship table RATED",
            "HANDLED from Department to Dispute",
        ),
        statements=(
            "ALTER TABLE Dispute ADD warning STRING",
            rel_table(SCHEMA.rel("RATED")),
            "ALTER TABLE HANDLED ADD FROM Department TO Dispute",
        ),
    )


def test_what_no_addition_mends_is_a_conflict():
    names = [n.label for n in SCHEMA.stored_nodes] + [r.type for r in SCHEMA.stored_rels]
    stored = _as_stored(names)
    stored["Dispute"] = StoredTable(dict(stored["Dispute"].columns) | {"parties": "STRING"})
    stored["RATED"] = StoredTable(stored["RATED"].columns)  # a node table by that name
    assert embedded_gaps(stored) == SchemaGaps(
        conflicts=(
            "Dispute.parties is STRING in the store, INT64 here",
            "RATED is not a relationship table in the store",
        )
    )


def test_a_retired_column_is_dropped_and_is_no_gap_for_a_reader():
    """Assertion's `fact`, which an older govgraph wrote: its key begins with it."""
    names = [n.label for n in SCHEMA.stored_nodes] + [r.type for r in SCHEMA.stored_rels]
    stored = _as_stored(names)
    stored["Assertion"] = StoredTable(dict(stored["Assertion"].columns) | {"fact": "STRING"})
    gaps = embedded_gaps(stored)
    assert gaps == SchemaGaps(statements=("ALTER TABLE Assertion DROP fact",))
    assert not gaps

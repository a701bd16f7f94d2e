"""The embedded store's small reference tables are made without LadybugDB's primary-key hash
index (its in-memory part costs every process that opens the store 3.3 MiB a table), and are
written, read and tied to as the other tables are (graph/embedded.py, UNINDEXED)."""

import pytest

from graph.ddl import RID, embedded_ddl
from graph.embedded import UNINDEXED, EmbeddedBackend
from graph.schema import SCHEMA

ORGANISATION = SCHEMA.node("Organisation")
PERSON = SCHEMA.node("Person")
WORKS_IN = SCHEMA.rel("WORKS_IN")


def organisation(number, name=None):
    return {
        "id": f"ORG{number:04d}",
        "name": name or f"{number}号单位",
        "kind": "企业",
        "source": "test",
    }


def organisations(backend):
    return backend.read(
        "MATCH (o:Organisation) RETURN o.id AS id, o.name AS name, o.kind AS kind ORDER BY id"
    )


def test_only_the_reference_tables_are_made_without_their_index(backend):
    indexed = {row["t"] for row in backend.read("CALL show_indexes() RETURN table_name AS t")}
    stored = {n.label for n in SCHEMA.stored_nodes}
    unindexed = stored - indexed
    assert unindexed == {"Domain", "ExpertPool", "Department", "Center", "ListItem", "Organisation"}
    assert indexed < stored
    assert unindexed == UNINDEXED


def test_a_store_made_with_every_index_keeps_them_when_its_schema_is_brought_up(tmp_path):
    store = EmbeddedBackend(tmp_path / "g.lbdb")
    try:
        store.write([(statement, {}) for statement in embedded_ddl()])  # as govgraph made it
        store.init_schema()
        indexed = {row["t"] for row in store.read("CALL show_indexes() RETURN table_name AS t")}
        assert indexed == {n.label for n in SCHEMA.stored_nodes}
    finally:
        store.close()


@pytest.mark.parametrize("bulk", [True, False])
def test_a_table_without_its_index_takes_batch_after_batch(backend, bulk):
    # more than a few new rows a batch (a COPY's size) into a table already holding some
    first = [organisation(n) for n in range(150)]
    second = [organisation(n, "改名") for n in range(100, 300)]  # 50 held, 150 new
    backend.upsert_nodes(ORGANISATION, first, bulk=bulk)
    backend.upsert_nodes(ORGANISATION, second, bulk=bulk)
    expected = [
        {"id": f"ORG{n:04d}", "name": "改名" if n >= 100 else f"{n}号单位", "kind": "企业"}
        for n in range(300)
    ]
    assert organisations(backend) == expected
    assert backend.read(
        "MATCH (o:Organisation {id: $id}) RETURN o.name AS name", {"id": "ORG0120"}
    ) == [{"name": "改名"}]


def test_a_table_without_its_index_refuses_a_key_twice(backend):
    backend.upsert_nodes(ORGANISATION, [organisation(1)], bulk=True)
    with pytest.raises(Exception, match="duplicated primary key"):
        backend.write(
            [("CREATE (:Organisation {id: $id, name: 'x', kind: 'y'})", {"id": "ORG0001"})]
        )
    assert organisations(backend) == [{"id": "ORG0001", "name": "1号单位", "kind": "企业"}]


@pytest.mark.parametrize("bulk", [True, False])
def test_ties_to_a_table_without_its_index_are_copied_and_merged(backend, bulk):
    backend.upsert_nodes(ORGANISATION, [organisation(n) for n in range(3)], bulk=True)
    people = [
        {**dict.fromkeys(p.name for p in PERSON.properties), "id": f"P{n}", "name": f"人{n}"}
        for n in range(3)
    ]
    backend.upsert_nodes(PERSON, people, bulk=True)
    ties = [
        {
            **dict.fromkeys(p.name for p in WORKS_IN.properties),
            "from": f"P{n}",
            "to": f"ORG{n:04d}",
            RID: f"w{n}",
        }
        for n in range(3)
    ]
    backend.upsert_rels(WORKS_IN, {("Person", "Organisation"): ties}, bulk=bulk)
    assert backend.read(
        "MATCH (p:Person)-[:WORKS_IN]->(o:Organisation) "
        "RETURN p.id AS person, o.id AS org ORDER BY person"
    ) == [{"person": f"P{n}", "org": f"ORG{n:04d}"} for n in range(3)]

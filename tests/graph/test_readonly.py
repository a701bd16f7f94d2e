"""Hostile statements the read-only check must refuse, and reads it must let through."""

import pytest

from graph.readonly import NotReadOnly, check_read_only

READS = [
    "MATCH (n:Person) RETURN n.name LIMIT 5",
    "match (g:Grid)-[:PART_OF*1..3]->(u:Unit {code: $code}) return g.kind, count(*)",
    "OPTIONAL MATCH (p:Person)-[s:SERVES_IN]->(g:Grid) WITH p, count(g) AS n RETURN p, n",
    "UNWIND $ids AS i MATCH (p:Person {id: i}) RETURN p.id ORDER BY p.id SKIP 10 LIMIT 10",
    "MATCH (n) RETURN n.id UNION MATCH (m) RETURN m.id",
    "MATCH (d:Dispute) RETURN COUNT { MATCH (d)<-[:PARTY_TO]-() } AS parties",
    "CALL show_tables() RETURN *",
    "MATCH (p:Person) RETURN p;",
    "MATCH (p:Person {name: $create}) RETURN p",  # a parameter named like a keyword
]

HOSTILE = [
    # a forbidden word is refused anywhere, in strings, comments and names too
    "MATCH (p:Person) WHERE p.name = 'CREATE (x)' RETURN p",  # a keyword inside a string
    "MATCH (p:Person) RETURN p.name AS `DELETE`",  # a keyword as a quoted name
    "MATCH (p:Person) WHERE p.set = 1 RETURN p.delete",  # keywords as property names
    "MATCH (p:Person) // DELETE everything\nRETURN p",  # a keyword in a comment
    "MATCH (p:Person) /* SET p.x = 1 */ RETURN p",
    "CREATE (:Person {id: 'x'})",
    "create (:Person {id: 'x'})",
    "CrEaTe (:Person {id: 'x'})",
    "MATCH (p:Person) DETACH DELETE p",
    "MATCH (p:Person) DELETE p",
    "MATCH (p:Person) SET p.name = 'x'",
    "MATCH (p:Person) REMOVE p.name",
    "MERGE (p:Person {id: 'x'})",
    "MATCH (p) RETURN p // harmless\n; MATCH (q) DELETE q",
    "MATCH (p) RETURN p; MATCH (q) RETURN q",
    "MATCH (p) WITH p /* comment */ DELETE p",
    "MATCH (p) WITH p /* unclosed comment DELETE p",
    "LOAD FROM '/etc/passwd' RETURN *",
    "load from '/etc/passwd' (header=false) return *",
    "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row",
    "COPY Person FROM '/tmp/people.csv'",
    "COPY (MATCH (p:Person) RETURN p.*) TO '/tmp/out.csv'",
    "INSTALL httpfs",
    "ATTACH '/tmp/other.lbdb' AS other (dbtype lbug)",
    "EXPORT DATABASE '/tmp/dump'",
    "IMPORT DATABASE '/tmp/dump'",
    "DROP TABLE Person",
    "ALTER TABLE Person ADD x INT64",
    "BEGIN TRANSACTION",
    "CHECKPOINT",
    "CALL { MATCH (p:Person) DELETE p }",
    "MATCH (p) CALL { WITH p SET p.x = 1 } RETURN p",
    "CALL dbms.security.createUser('x', 'y', false)",
    "CALL apoc.cypher.runWrite('MATCH (n) DELETE n', {})",
    "CALL db.clearQueryCaches()",
    "MATCH (p) FOREACH (x IN [1] | SET p.y = x)",
    "MATCH (p) RETURN p UNION MATCH (q) DETACH DELETE q RETURN q",
    "ＣＲＥＡＴＥ (:Person {id: 'x'})",  # full-width letters
    "СREATE (:Person {id: 'x'})",  # a Cyrillic С
    "MATCH (p) RETURN p /* */ ; DROP TABLE Person",
    # Refused under one of the two readings of the backslash, so refused.
    "MATCH (p:Person) WHERE p.name = 'x\\' DELETE p //' RETURN p",
    "MATCH (p:Person) WHERE p.name = 'unclosed RETURN p",
    "USE other MATCH (n) RETURN n",
    "",
    "   // only a comment",
]


@pytest.mark.parametrize("query", READS)
def test_reads_are_allowed(query):
    check_read_only(query)


@pytest.mark.parametrize("query", HOSTILE)
def test_anything_but_a_read_is_refused(query):
    with pytest.raises(NotReadOnly):
        check_read_only(query)


def test_the_refusal_says_what_and_where():
    with pytest.raises(NotReadOnly) as refused:
        check_read_only("MATCH (p:Person)\nDETACH DELETE p")
    assert str(refused.value) == (
        "DETACH at offset 17: only reading is allowed here "
        "(MATCH, OPTIONAL MATCH, WITH, UNWIND, RETURN, ORDER BY, SKIP, LIMIT, UNION); "
        "the word is refused inside strings and comments too: pass values as $parameters"
    )


def test_a_procedure_off_the_allow_list_is_named():
    with pytest.raises(NotReadOnly) as refused:
        check_read_only("CALL apoc.meta.graph()")
    assert str(refused.value).startswith("CALL apoc.meta.graph at offset 0: only these")


def test_hostile_cases_are_many():
    assert len(HOSTILE) >= 30

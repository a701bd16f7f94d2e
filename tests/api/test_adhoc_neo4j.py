"""Ad-hoc Cypher on a Neo4j backend: an admin's runs on the store, checked; any other role's
is refused with a 501 that says why (no de-identified copy can be made there)."""

from pathlib import Path

import pytest

from api.adhoc import Refused, ask
from api.audit import AuditLog
from api.settings import Settings


def _ask(graph, tmp_path: Path, role: str, query: str):
    settings = Settings(_env_file=None, audit_log=str(tmp_path / "audit.jsonl"))
    log = AuditLog(Path(settings.audit_log))
    return ask(graph, settings, log, who="t", role=role, query=query, params={})


def test_an_admin_reads_neo4j_and_others_are_told_why_not(neo4j_backend, tmp_path):
    neo4j_backend.write([("CREATE (:Domain {code: $c, name: $n})", {"c": "x", "n": "测试"})])
    answer = _ask(neo4j_backend, tmp_path, "admin", "MATCH (d:Domain) RETURN d.name AS name")
    assert (answer.columns, answer.rows, answer.truncated) == (["name"], [{"name": "测试"}], False)
    with pytest.raises(Refused) as refused:
        _ask(neo4j_backend, tmp_path, "admin", "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l")
    assert refused.value.status == 400
    with pytest.raises(Refused) as refused:
        _ask(neo4j_backend, tmp_path, "researcher", "MATCH (d:Domain) RETURN d.name AS name")
    assert refused.value.status == 501
    assert "Neo4j" in str(refused.value)

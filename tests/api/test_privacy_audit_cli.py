"""`govgraph cypher` tells Cypher from a library query's name as the notebook does: Cypher
written without a space (tabs and newlines from an editor, or none at all) is run, not looked
up as a name."""

import json

import pytest
from typer.testing import CliRunner

from api.adhoc import close_all
from api.cli import app as cli_app

DOMAINS = [{"code": "labour"}, {"code": "medical"}, {"code": "property"}]


@pytest.fixture
def cli(tmp_path, examples_graph, monkeypatch):
    monkeypatch.setenv("GOVGRAPH_DB", str(examples_graph.path))
    monkeypatch.setenv("GOVGRAPH_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    monkeypatch.setenv("GOVGRAPH_RESEARCH_COPIES", str(tmp_path / "copies"))
    examples_graph.close()  # the CLI opens the store itself
    yield CliRunner()
    close_all()


@pytest.mark.parametrize(
    "query",
    [
        "MATCH\t(d:Domain)\tRETURN\td.code\tAS\tcode\tORDER\tBY\tcode",
        "MATCH (d:Domain)\nRETURN d.code AS code\nORDER BY code".replace(" ", "\n"),
        "MATCH(d:Domain)\nRETURN\nd.code\tAS\tcode\tORDER\tBY\tcode",
    ],
)
def test_cypher_without_a_space_is_run(cli, query):
    result = cli.invoke(cli_app, ["cypher", query, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == DOMAINS


def test_a_name_is_still_a_library_query(cli):
    result = cli.invoke(cli_app, ["cypher", " domain ", "-p", "code=medical", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"code": "medical", "name": "医疗纠纷"}]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--role", "researcher"], "--role researcher"),
        (["--role", "viewer"], "--role viewer"),
        (["--within", "330421"], "--within 330421"),
        (["--type", "Person"], "--type"),
        (["--format", "parquet"], "--format parquet"),
    ],
)
def test_a_neo4j_admin_seed_refuses_what_would_ask_for_less(cli, tmp_path, options, named):
    """The seed is the whole graph raw: a researcher's role or a county asked for got every
    person's mobile and ID number, with no word that the option was ignored."""
    out = tmp_path / "seed"
    result = cli.invoke(cli_app, ["export", str(out), "--neo4j-admin", *options])
    assert result.exit_code == 2
    assert " ".join(result.output.split()) == (
        f"error: --neo4j-admin writes the whole graph raw (an admin's export), so it takes no "
        f"{named}; leave it out, or export without --neo4j-admin"
    )
    assert not out.exists()


def test_a_neo4j_admin_seed_is_an_admins(cli, tmp_path):
    out = tmp_path / "seed"
    result = cli.invoke(cli_app, ["export", str(out), "--neo4j-admin", "--role", "admin"])
    assert result.exit_code == 0, result.output
    assert "13967301475" in (out / "nodes" / "Person.csv").read_text(encoding="utf-8")

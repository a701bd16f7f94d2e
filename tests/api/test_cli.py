import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from graph.ddl import SchemaGaps


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVGRAPH_DB", str(tmp_path / "g.lbdb"))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, [str(a) for a in args])

    return invoke


def test_init_is_safe_to_run_twice(run, tmp_path):
    first, second = run("init"), run("init")
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert second.output.replace("\n", "") == f"schema ready in {tmp_path / 'g.lbdb'}"


def test_load_divisions_prints_one_reconciliation_line_per_table(run):
    result = run("load", "divisions", "--within", "330421", "--no-progress")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "divisions:330421: read 186 = loaded 186 + rejected 0 + duplicates 0",
        "divisions:330421: read 185 = loaded 185 + rejected 0 + duplicates 0",
    ]


def test_load_divisions_needs_a_code(run):
    result = run("load", "divisions")
    assert result.exit_code == 2
    assert "give the code to load, e.g. --within 330421" in result.output


def test_an_unknown_division_code_is_a_clear_error(run):
    result = run("load", "divisions", "--within", "330499")
    assert result.exit_code == 2
    assert "330499" in result.output and "嘉兴市" in result.output


def test_rejected_rows_exit_1_and_are_written_to_the_rejects_file(run, tmp_path):
    (tmp_path / "t.domains.csv").write_text(
        "code,name\nmedical,医疗纠纷\n,无代码\n", encoding="utf-8"
    )
    result = run("load", "t.domains.csv", "--no-progress")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "t.domains.csv: read 2 = loaded 1 + rejected 1 + duplicates 0",
        "1 problems written to govgraph-rejects.csv",
    ]
    assert (tmp_path / "govgraph-rejects.csv").read_text(encoding="utf-8").splitlines() == [
        "file,line,column,value,reason",
        "t.domains.csv,3,code,,a value is required",
    ]


def test_cypher_prints_json_and_takes_parameters(run, tmp_path):
    (tmp_path / "t.domains.csv").write_text(
        "code,name\nmedical,医疗纠纷\nlabour,劳动争议\n", encoding="utf-8"
    )
    assert run("load", "t.domains.csv", "--no-progress").exit_code == 0
    result = run(
        "cypher",
        "MATCH (d:Domain) WHERE d.code IN $codes RETURN d.code AS code, "
        "d.name AS name ORDER BY code",
        "--param",
        'codes:=["medical"]',
        "--format",
        "json",
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [{"code": "medical", "name": "医疗纠纷"}]


def test_cypher_runs_a_named_library_query_with_text_parameters(run):
    assert run("load", "divisions", "--within", "330421", "--no-progress").exit_code == 0
    result = run("cypher", "county_summary", "-p", "county=330421000000", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [
        {
            "county": "330421000000",
            "name": "嘉善县",
            "towns": 9,
            "villages": 174,
            "grids": 0,
            "micro_grids": 0,
            "grid_staff": 0,
            "centers": 0,
            "departments": 0,
            "disputes": 0,
        }
    ]


def test_cypher_refuses_anything_but_reading(run):
    run("init")
    result = run("cypher", "CREATE (:Domain {code: 'x', name: 'x'})")
    assert result.exit_code == 2
    assert result.output == (
        "error: CREATE at offset 0: only reading is allowed here (MATCH, OPTIONAL MATCH, "
        "WITH, UNWIND, RETURN, ORDER BY, SKIP, LIMIT, UNION); the word is refused inside "
        "strings and comments too: pass values as $parameters\n"
    )


def test_cypher_cannot_read_server_files(run):
    run("init")
    result = run("cypher", "LOAD FROM '/etc/passwd' RETURN *")
    assert result.exit_code == 2
    assert "root:" not in result.output
    assert result.output.startswith("error: LOAD at offset 0: only reading is allowed here")


def test_a_named_query_with_a_missing_parameter_is_refused(run):
    run("init")
    result = run("cypher", "county_summary")
    assert result.exit_code == 2
    assert "county_summary takes $county; missing ['county']" in result.output


EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "examples").glob("*.csv"))


@pytest.fixture
def examples_loaded(run):
    assert run("load", "divisions", "--within", "330421", "--no-progress").exit_code == 0
    assert run("load", *EXAMPLES, "--no-progress").exit_code == 0
    return run


def test_an_admin_export_loads_back_as_the_same_graph(examples_loaded, tmp_path, monkeypatch):
    from graph.dump import dump
    from graph.embedded import EmbeddedBackend

    assert examples_loaded("export", tmp_path / "out", "--role", "admin").exit_code == 0
    monkeypatch.setenv("GOVGRAPH_DB", str(tmp_path / "copy.lbdb"))
    result = examples_loaded("load", *sorted((tmp_path / "out").glob("*.csv")), "--no-progress")
    assert result.exit_code == 0
    original, copy = EmbeddedBackend(tmp_path / "g.lbdb"), EmbeddedBackend(tmp_path / "copy.lbdb")
    try:
        assert dump(copy) == dump(original)
    finally:
        original.close()
        copy.close()


def test_a_viewer_export_holds_no_mobile_or_id_number(examples_loaded, tmp_path):
    assert examples_loaded("export", tmp_path / "out").exit_code == 0
    text = "".join(p.read_text(encoding="utf-8-sig") for p in (tmp_path / "out").glob("*.csv"))
    assert re.findall(r"1[3-9]\d{9}|\d{17}[\dX]", text) == []
    assert "138****" in text or "****" in text


def test_a_neo4j_admin_export_prints_the_import_command(examples_loaded, tmp_path):
    result = examples_loaded("export", tmp_path / "seed", "--neo4j-admin", "--files-at", "/import")
    assert result.exit_code == 0
    command = result.stdout.strip().splitlines()[-1]
    assert command.startswith("neo4j-admin database import full neo4j --id-type=string ")
    assert "--nodes=Person=/import/nodes/Person.csv" in command
    assert (tmp_path / "seed" / "import.sh").exists()


def test_token_create_prints_the_token_once_and_stores_only_its_hash(run, tmp_path, monkeypatch):
    monkeypatch.setenv("GOVGRAPH_TOKENS", str(tmp_path / "tokens.json"))
    result = run("token", "create", "--role", "mediator", "--scope", "330421")
    assert result.exit_code == 0
    token = result.stdout.strip()
    stored = (tmp_path / "tokens.json").read_text(encoding="utf-8")
    assert len(token) >= 32 and token not in stored
    assert '"mediator"' in stored and '"330421"' in stored


def test_tokens_are_listed_and_revoked_by_id(run, tmp_path, monkeypatch):
    from api.auth import token_id

    monkeypatch.setenv("GOVGRAPH_TOKENS", str(tmp_path / "tokens.json"))
    first = run("token", "create", "--role", "viewer").stdout.strip()
    second = run("token", "create", "--role", "mediator", "--scope", "330421").stdout.strip()
    listed = run("token", "list")
    assert listed.exit_code == 0
    assert token_id(first) in listed.output and token_id(second) in listed.output
    assert first not in listed.output and second not in listed.output
    revoked = run("token", "revoke", token_id(second))
    assert revoked.exit_code == 0
    assert revoked.output.startswith(f"revoked token {token_id(second)} (mediator for 330421,")
    after = run("token", "list")
    assert token_id(second) not in after.output and "1 token(s)" in after.output
    again = run("token", "revoke", token_id(second))
    assert (again.exit_code, again.output.startswith("error: no token has that id")) == (2, True)


def test_a_mediator_token_needs_a_scope(run, tmp_path, monkeypatch):
    monkeypatch.setenv("GOVGRAPH_TOKENS", str(tmp_path / "tokens.json"))
    result = run("token", "create", "--role", "mediator")
    assert result.exit_code == 2
    assert result.output.startswith("error: ")
    assert not (tmp_path / "tokens.json").exists()


def test_referral_prints_the_steps_masked_for_a_viewer(examples_loaded):
    result = examples_loaded("referral", "--dispute", "JS-2024-0137", "--format", "json")
    assert result.exit_code == 0
    answer = json.loads(result.stdout)
    steps = [(s["order"], s["part"], s["level"], s["actor"]["key"], s["rule"])
             for s in answer["steps"]]  # fmt: skip
    assert steps == [
        (1, "first_responder", "grid", "330421001000-Z02", "grid-first"),
        (2, "mediation_body", "county", "med-330421-medical", "mediation-before-litigation"),
    ]
    assert answer["dispute"]["name"] == "（已隐去）"
    assert re.findall(r"1[3-9]\d{9}", result.stdout) == []


def test_an_admin_sees_the_contacts_in_full(examples_loaded):
    result = examples_loaded("referral", "--dispute", "JS-2024-0137", "--role", "admin",
                             "--format", "json")  # fmt: skip
    answer = json.loads(result.stdout)
    assert answer["dispute"]["name"] == "术后并发症赔偿纠纷"
    [contact] = answer["steps"][1]["contacts"]
    assert re.fullmatch(r"1[3-9]\d{9}", contact["mobile"])


def test_escalation_climbs_from_a_micro_grid(examples_loaded):
    result = examples_loaded("escalation", "--grid", "330421001001-G01-W03", "--format", "json")
    assert result.exit_code == 0
    ladder = [
        (s["level"], s["place"]["key"], s["rule"]) for s in json.loads(result.stdout)["ladder"]
    ]
    assert ladder == [
        ("grid", "330421001001-G01-W03", "grid-first"),
        ("grid", "330421001001-G01", "part-of-ladder"),
        ("village", "330421001001", "part-of-ladder"),
        ("town", "330421001000", "escalates-to"),
        ("county", "330421000000", "escalates-to"),
    ]  # no court rung: the example files do not locate the court in the county


def test_an_unknown_dispute_is_a_clear_error(examples_loaded):
    result = examples_loaded("referral", "--dispute", "NOPE")
    assert (result.exit_code, result.output) == (2, "error: no dispute with id 'NOPE'\n")


def test_cypher_caps_rows_masks_by_role_and_audits_every_query(
    examples_loaded, tmp_path, monkeypatch
):
    from api.audit import verify

    monkeypatch.setenv("GOVGRAPH_CYPHER_ROW_CAP", "2")
    people = "MATCH (p:Person) RETURN p.id AS id, p.name AS name ORDER BY id"
    viewer = examples_loaded("cypher", people, "--format", "json")
    admin = examples_loaded("cypher", people, "--format", "json", "--role", "admin")
    refused = examples_loaded("cypher", "MATCH (p:Person) DELETE p")
    assert (viewer.exit_code, admin.exit_code, refused.exit_code) == (0, 0, 2)
    shown, raw = json.loads(viewer.stdout), json.loads(admin.stdout)
    assert [r["id"] for r in shown] == [r["id"] for r in raw] and len(raw) == 2
    assert [r["name"] for r in shown] == [r["name"][0] + "某" for r in raw]
    # only cap + 1 rows are fetched, so how many more matched is not counted
    assert "truncated: more than 2 rows matched, 2 shown (GOVGRAPH_CYPHER_ROW_CAP)" in viewer.output
    log = tmp_path / "data" / "audit.jsonl"
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [
        (r["who"].split(":")[-1], r["outcome"], r["rows"], r["truncated"]) for r in records
    ] == [
        ("viewer", "started", 0, False),
        ("viewer", "accepted", 2, True),
        ("admin", "started", 0, False),
        ("admin", "accepted", 2, True),
        ("viewer", "started", 0, False),
        ("viewer", "refused", 0, False),
    ]
    assert verify(log) is None


def test_version_prints_the_installed_version(run):
    from importlib.metadata import version

    result = run("--version")
    assert (result.exit_code, result.stdout) == (0, f"govgraph {version('govgraph')}\n")


def test_serve_without_a_graph_says_in_one_line_what_to_run(run, tmp_path):
    result = run("serve")
    assert (result.exit_code, result.output) == (
        2,
        f"error: there is no graph at {tmp_path / 'g.lbdb'} (GOVGRAPH_DB): build the demo with "
        "`govgraph demo`, or your own with `govgraph init` and `govgraph load FILE…`\n",
    )


def test_an_empty_answer_says_0_rows(run):
    run("init")
    result = run("cypher", "MATCH (d:Domain) RETURN d.code AS code")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "\n", "0 rows\n")


def test_an_unknown_named_query_suggests_the_nearest_names(run):
    run("init")
    result = run("cypher", "county_sumary")
    assert result.exit_code == 2
    assert result.output.startswith(
        "error: no query named 'county_sumary'; did you mean county_summary or counts_by_label? "
        "the library has: conflict_paths, counts_by_label, county_summary, "
    )


def test_csv_for_excel_starts_with_a_byte_order_mark(run, tmp_path):
    (tmp_path / "t.domains.csv").write_text("code,name\nmedical,医疗纠纷\n", encoding="utf-8")
    assert run("load", "t.domains.csv", "--no-progress").exit_code == 0
    query = "MATCH (d:Domain) RETURN d.code AS code, d.name AS name"
    plain = run("cypher", query, "--format", "csv")
    excel = run("cypher", query, "--format", "csv", "--bom")
    assert plain.stdout.splitlines() == ["code,name", "medical,医疗纠纷"]
    assert excel.stdout.splitlines() == ["\ufeffcode,name", "medical,医疗纠纷"]


def test_a_load_names_the_grids_that_reach_no_unit(run, tmp_path):
    grids = tmp_path / "x.grids.csv"
    grids.write_text("id,name,level,kind\nX-G1,孤立网格,1,basic\n", encoding="utf-8")
    result = run("init"), run("load", grids, "--no-progress")
    assert result[1].exit_code == 0
    assert result[1].output.splitlines() == [
        "x.grids.csv: read 1 = loaded 1 + rejected 0 + duplicates 0",
        "warning: 1 grids reach no unit up PART_OF, so they lie in no place (no within filter, "
        "jurisdiction or ladder finds them): X-G1; give each a PART_OF row to its village (or "
        "to a parent grid that has one)",
    ]


def test_cypher_on_a_store_given_by_a_relative_path(examples_loaded, monkeypatch):
    """The default GOVGRAPH_DB is relative (./data/govgraph.lbdb): the confined process that
    answers ad-hoc Cypher starts in another folder and must still find its copy."""
    from api.adhoc import close_all

    monkeypatch.setenv("GOVGRAPH_DB", "g.lbdb")  # the fixture's store, from its folder
    try:
        result = examples_loaded(
            "cypher", "MATCH (d:Domain) RETURN count(*) AS n", "--role", "admin", "--format", "json"
        )
    finally:
        close_all()
    assert (result.exit_code, json.loads(result.output)) == (0, [{"n": 3}])


def test_the_demos_token_acts_for_the_town_center_as_its_first_mediator(demo_graph):
    from api.cli.demo import demo_dispatcher

    assert demo_dispatcher(demo_graph) == {
        "person": "330421-P013875",
        "unit": "Center:330421-C009",
        "workflow_role": "dispatcher",
    }


def test_a_store_made_by_an_older_govgraph_is_refused_until_init_adds_what_it_lacks(
    run, tmp_path, example_files
):
    from graph.embedded import EmbeddedBackend

    assert run("init").exit_code == 0
    assert run("load", *example_files, "--no-progress").exit_code == 0
    read = "MATCH (d:Dispute) RETURN d.id AS id, d.title AS title ORDER BY id"
    store = EmbeddedBackend(tmp_path / "g.lbdb")
    before = store.read(read)
    for older in (  # what the schema declared since such a store was made
        "ALTER TABLE Dispute DROP warning",
        "DROP TABLE RATED",
        "ALTER TABLE HANDLED DROP FROM Department TO Dispute",
    ):
        store.write([(older, {})])
    store.close()
    db = tmp_path / "g.lbdb"

    refused = run("cypher", "MATCH (d:Dispute) RETURN count(d) AS n", "--format", "json")
    assert (refused.exit_code, refused.output.replace("\n", "")) == (
        2,
        f"error: the store at {db} was made by an older govgraph: it lacks Dispute.warning, "
        "the relationship table RATED, HANDLED from Department to Dispute; run "
        f"`GOVGRAPH_DB={db} govgraph init` once to add them (it changes no data), then try again",
    )
    assert run("init").exit_code == 0
    store = EmbeddedBackend(tmp_path / "g.lbdb", read_only=True)
    try:
        assert store.schema_gaps() == SchemaGaps()
        assert store.read(read) == before and before != []
        assert store.read("MATCH (d:Dispute) WHERE d.warning IS NOT NULL RETURN d.id") == []
    finally:
        store.close()
    answered = run("cypher", "MATCH (d:Dispute) RETURN count(d) AS n", "--format", "json")
    assert (answered.exit_code, json.loads(answered.output)) == (0, [{"n": len(before)}])


def test_a_store_that_no_addition_mends_is_refused_by_init_too(run, tmp_path):
    from graph.embedded import EmbeddedBackend

    assert run("init").exit_code == 0
    store = EmbeddedBackend(tmp_path / "g.lbdb")
    store.write([("ALTER TABLE Dispute DROP parties", {})])
    store.write([("ALTER TABLE Dispute ADD parties STRING", {})])
    store.close()
    db = tmp_path / "g.lbdb"
    message = (
        f"the store at {db} does not fit this govgraph's schema and cannot be brought up to it "
        "by adding to it: Dispute.parties is STRING in the store, INT64 here. Load its source "
        "files into a new store (GOVGRAPH_DB naming another path), or restore a backup made by "
        "this version"
    )
    for command in (("init",), ("cypher", "MATCH (d:Dispute) RETURN count(d) AS n")):
        result = run(*command)
        assert (result.exit_code, result.output.replace("\n", "")) == (2, f"error: {message}")


def test_a_command_that_writes_refuses_a_new_store_with_no_graph_in_it(run, tmp_path):
    result = run("tick")  # opened for writing: the store is created, with no table in it
    assert (result.exit_code, result.output.replace("\n", "")) == (
        2,
        f"error: there is no graph at {tmp_path / 'g.lbdb'}; build one with `govgraph demo` or "
        "`govgraph init` and `govgraph load`, or point GOVGRAPH_DB at it",
    )


def test_load_fills_an_empty_type_in_bulk_batches_and_upserts_in_batches(
    run, monkeypatch, tmp_path
):
    """`govgraph load` fills a type the store holds nothing of GOVGRAPH_BULK_BATCH_SIZE rows at
    a time (each COPY commits with a checkpoint: small ones cost a first load three times the
    CPU) and merges into a type that holds data GOVGRAPH_BATCH_SIZE rows at a time."""
    from graph.embedded import EmbeddedBackend

    written: list[tuple[bool, int]] = []
    upsert = EmbeddedBackend.upsert_nodes

    def counted(self, node_type, rows, *, bulk):
        if node_type.label == "Person":
            written.append((bulk, len(rows)))
        return upsert(self, node_type, rows, bulk=bulk)

    monkeypatch.setattr(EmbeddedBackend, "upsert_nodes", counted)
    monkeypatch.setenv("GOVGRAPH_BATCH_SIZE", "4")
    # 8, not 10: a file at most a quarter over the bulk batch goes in one COPY
    monkeypatch.setenv("GOVGRAPH_BULK_BATCH_SIZE", "8")
    people = tmp_path / "t.people.csv"
    people.write_text("id,name\n" + "".join(f"P{i},张{i}\n" for i in range(12)), "utf-8")
    assert run("load", people, "--no-progress").exit_code == 0
    assert run("load", people, "--no-progress").exit_code == 0
    assert written == [(True, 8), (True, 4), (False, 4), (False, 4), (False, 4)]

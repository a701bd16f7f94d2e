"""The whole schema described, as GraphiQL and code generators show it: every type, field,
argument, input field and enum value carries a description; and a report with no party told
what a dispute needs."""

import asyncio

import httpx
from graphql import get_introspection_query

from api.app import create_app
from api.auth import create_token
from api.graphql.context import Context
from api.graphql.schema import build_schema
from api.settings import Settings


class Empty:
    def read(self, query, params=None):
        return []


def _introspect():
    """The full introspection query, as tests/api/test_clients.py runs it."""
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    schema = build_schema(Settings(_env_file=None, mode="development"))
    result = asyncio.run(schema.execute(query, context_value=Context(Empty())))
    assert result.errors is None
    return {t["name"]: t for t in result.data["__schema"]["types"]}


def _undescribed(types):
    missing = []
    for name, t in sorted(types.items()):
        if name.startswith("__"):
            continue
        if not t["description"]:
            missing.append(name)
        for f in t["fields"] or []:
            if not f["description"]:
                missing.append(f"{name}.{f['name']}")
            missing += [
                f"{name}.{f['name']}({a['name']})" for a in f["args"] if not a["description"]
            ]
        missing += [f"{name}.{f['name']}" for f in t["inputFields"] or [] if not f["description"]]
        missing += [f"{name}.{v['name']}" for v in t["enumValues"] or [] if not v["description"]]
    return missing


def test_every_type_field_argument_input_field_and_enum_value_is_described():
    assert _undescribed(_introspect()) == []


def test_the_workflow_s_enums_say_what_each_value_means():
    types = _introspect()
    problems = {v["name"]: v["description"] for v in types["WorkflowProblem"]["enumValues"]}
    assert problems["SELF_APPROVAL"] == "The unit that asked may not approve its own request."
    states = {v["name"]: v["description"] for v in types["WorkflowState"]["enumValues"]}
    assert states["PARKED"] == "挂账: every clock stopped, with approval."


def test_a_dispute_reported_with_no_party_is_told_it_needs_one(tmp_path, examples_graph):
    settings = Settings(
        _env_file=None,
        tokens=str(tmp_path / "tokens.json"),
        audit_log=str(tmp_path / "audit.jsonl"),
    )
    grid = "330421001001-G01"
    token = create_token(
        settings.tokens,
        "viewer",
        person="JS-P-0002",
        unit=f"Grid:{grid}",
        workflow_role="grid_worker",
    )
    query = """mutation($input: ReportDisputeInput!) { reportDispute(input: $input) {
      dispute { id } userErrors { code message field } } }"""
    given = {
        "idempotencyKey": "r-1",
        "kind": "DISPUTE",
        "title": "邻里纠纷",
        "place": grid,
        "channel": "APP",
    }

    async def report():
        transport = httpx.ASGITransport(app=create_app(settings, backend=examples_graph))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            response = await c.post(
                "/graphql",
                json={"query": query, "variables": {"input": given}},
                headers={"authorization": f"Bearer {token}"},
            )
        return response.json()

    assert asyncio.run(report()) == {
        "data": {
            "reportDispute": {
                "dispute": None,
                "userErrors": [
                    {
                        "code": "INVALID_INPUT",
                        "message": "a dispute needs at least one party, given in `parties` or "
                        "`newParties`",
                        "field": "parties",
                    }
                ],
            }
        }
    }

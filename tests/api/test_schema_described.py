"""The whole schema described, as GraphiQL and code generators show it: every type, field,
argument, input field and enum value carries a description."""

import asyncio

from graphql import get_introspection_query

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

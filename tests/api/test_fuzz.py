"""Fuzzing the GraphQL endpoint in-process, as a viewer (no token).

Two tests, both bounded by a fixed number of examples, derandomised so every run asks the same
questions. Neither times anything: an answer is judged by what it is, however long it took
(schemathesis' own 10 s read timeout is lifted: `workflowMeasures` over the whole demo graph
takes about 10 s, which is a figure for a benchmark, not a failure of this test):

- schemathesis builds queries for every root field from the schema, with arguments drawn from
  its generators and from dictionaries of real keys (so lookups find something). No answer
  may be a 5xx or carry an error marked INTERNAL_SERVER_ERROR, and no `data` may hold an
  11-digit mobile, an 18-digit ID number or a dispute title.
- schemathesis picks a few fields at random, so it seldom asks for personal data. The second
  test asks for it on purpose, along every path that reaches a person or a dispute, with
  hypothesis drawing the keys and arguments, and checks each value is masked.
"""

import asyncio
import json
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig

from api.app import create_app
from api.auth import ANONYMOUS
from api.graphql.context import Context
from api.graphql.schema import build_schema
from api.settings import Settings
from graph.masking import WITHHELD

pytestmark = pytest.mark.slow

MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
READ_TIMEOUT = 600  # seconds: a hang still ends the test, a slow answer does not
BOUNDS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": list(HealthCheck),
}


def _values(data, key):
    """Every value stored under `key` anywhere in a JSON answer."""
    if isinstance(data, dict):
        for k, v in data.items():
            if k == key:
                yield v
            yield from _values(v, key)
    elif isinstance(data, list):
        for item in data:
            yield from _values(item, key)


def assert_nothing_personal(data):
    text = json.dumps(data, ensure_ascii=False)
    assert not MOBILE.search(text), text
    assert not ID_NUMBER.search(text), text
    assert set(_values(data, "title")) <= {WITHHELD}, text


def _keys(graph, query):
    return [r["k"] for r in graph.read(query)]


@pytest.fixture(scope="module")
def known(demo_graph):
    """Real keys to fuzz with: people who serve or are party to disputes, grids, disputes…"""
    first = "MATCH (n:{label}) RETURN n.{key} AS k ORDER BY k LIMIT {n}"
    found = {
        label: _keys(demo_graph, first.format(label=label, key="id", n=n))
        for label, n in [
            ("Grid", 20),
            ("Dispute", 20),
            ("Center", 10),
            ("Department", 10),
            ("MediationOrg", 10),
            ("PartyOrg", 10),
            ("Organisation", 10),
            ("ExpertPool", 10),
            ("ListItem", 10),
        ]
    }
    found["Person"] = _keys(
        demo_graph,
        "MATCH (p:Person)-[:SERVES_IN]->() RETURN DISTINCT p.id AS k ORDER BY k LIMIT 20",
    ) + _keys(demo_graph, "MATCH (p:Person)-[:PARTY_TO]->() RETURN p.id AS k ORDER BY k LIMIT 10")
    found["Unit"] = _keys(demo_graph, first.format(label="Unit", key="code", n=40))
    found["Domain"] = _keys(demo_graph, first.format(label="Domain", key="code", n=30))
    found["within"] = ["330421", "331127", "330421002", "331127001001", "330421000000"]
    return found


def _config(known):
    lookups = {
        "person": "Person", "grid": "Grid", "dispute": "Dispute", "center": "Center",
        "department": "Department", "mediationOrg": "MediationOrg", "partyOrg": "PartyOrg",
        "organisation": "Organisation", "pool": "ExpertPool", "listItem": "ListItem",
    }  # fmt: skip
    parameters = {
        f"Query.{f}.id": {"dictionary": label, "probability": 0.9} for f, label in lookups.items()
    }
    parameters |= {
        "Query.unit.code": {"dictionary": "Unit", "probability": 0.9},
        "Query.domain.code": {"dictionary": "Domain", "probability": 0.9},
        "Query.*.within": {"dictionary": "within", "probability": 0.7},
        "Query.*.domain": {"dictionary": "Domain", "probability": 0.5},
        "Query.*.pool": {"dictionary": "ExpertPool", "probability": 0.5},
        "Query.*.first": {"dictionary": "pages", "probability": 0.8},
    }
    dictionaries = {name: {"values": values} for name, values in known.items()}
    dictionaries["pages"] = {"values": [0, 1, 5, 20, 100]}
    return SchemathesisConfig.from_dict({"dictionaries": dictionaries, "parameters": parameters})


def test_fuzzing_finds_no_server_error_and_no_unmasked_personal_data(tmp_path, demo_graph, known):
    app = create_app(
        Settings(_env_file=None, mode="development", tokens=str(tmp_path / "t.json")),
        backend=demo_graph,
    )
    schema = schemathesis.graphql.from_asgi("/graphql", app, config=_config(known))
    seen = {"answers": 0, "with_data": 0}

    @settings(max_examples=150, **BOUNDS)
    @given(case=schema.as_strategy())
    def check(case):
        response = case.call(timeout=READ_TIMEOUT)
        assert response.status_code < 500, response.text
        case.validate_response(response, checks=[not_a_server_error])
        payload = response.json()
        codes = [e.get("extensions", {}).get("code") for e in payload.get("errors") or []]
        assert "INTERNAL_SERVER_ERROR" not in codes, payload
        # Only `data` is searched: error messages may echo the fuzzer's own input.
        assert_nothing_personal(payload.get("data"))
        seen["answers"] += 1
        seen["with_data"] += any((payload.get("data") or {}).values())

    check()
    assert seen["answers"] >= 100 and seen["with_data"] >= 30, seen


PERSON = "{ id name mobile idNumber }"
PATHS = {
    "person": "person(id: $id) " + PERSON,
    "people": "people(within: $within, first: $first) { items " + PERSON + " }",
    "experts": "people(pool: $pool, first: $first) { items " + PERSON + " }",
    "team": "grid(id: $id) { team(asOf: $asOf) { person " + PERSON + " } }",
    "posts": "center(id: $id) { staff(asOf: $asOf) { person " + PERSON + " } }",
    "staff": "department(id: $id) { staff(asOf: $asOf) { person " + PERSON + " } }",
    "mediators": "mediationOrg(id: $id) { mediators(asOf: $asOf) { person " + PERSON + " } }",
    "leaders": "partyOrg(id: $id) { leaders(asOf: $asOf) { person " + PERSON + " } }",
    "dispute": "dispute(id: $id) { title participants { party { ... on Person " + PERSON
    + " } } handling { handler { ... on Person " + PERSON + " } } }",
    "disputes": "disputes(within: $within, first: $first) { items { title participants { "
    "party { ... on Person " + PERSON + " } } } }",
}  # fmt: skip
KEY = {"person": "Person", "team": "Grid", "posts": "Center", "staff": "Department",
       "mediators": "MediationOrg", "leaders": "PartyOrg", "dispute": "Dispute"}  # fmt: skip
TYPES = {"id": "ID!", "within": "String", "first": "Int!", "pool": "ID", "asOf": "Date"}


def test_personal_data_reached_any_way_is_masked_for_a_viewer(demo_graph, known):
    schema = build_schema(Settings(_env_file=None))
    people_seen = []

    @st.composite
    def requests(draw):
        path = draw(st.sampled_from(sorted(PATHS)))
        text = PATHS[path]
        values = {
            "id": draw(st.sampled_from(known[KEY[path]])) if path in KEY else None,
            "within": draw(st.sampled_from([None, *known["within"]])),
            "first": draw(st.integers(0, 100)),
            "pool": draw(st.sampled_from(known["ExpertPool"])),
            "asOf": draw(st.none() | st.dates().map(str)),
        }
        used = {k: v for k, v in values.items() if "$" + k in text}
        declared = ", ".join(f"${k}: {TYPES[k]}" for k in used)
        return f"query ({declared}) {{ {text} }}", used

    @settings(max_examples=60, **BOUNDS)
    @given(request=requests())
    def check(request):
        query, variables = request
        context = Context(demo_graph, ANONYMOUS)
        result = asyncio.run(
            schema.execute(query, variable_values=variables, context_value=context)
        )
        assert result.errors is None, (query, result.errors)
        assert_nothing_personal(result.data)
        for name in _values(result.data, "name"):
            assert name.endswith("某"), (query, name)
        people_seen.extend(_values(result.data, "idNumber"))

    check()
    assert len(people_seen) >= 100  # the paths did reach people

"""The GraphQL schema against graph/schema.py, and the committed SDL against the code."""

from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    get_named_type,
)
from strawberry.printer import print_schema

from api.graphql.enums import CHOICES
from api.graphql.schema import build_schema, sdl
from api.graphql.types import NODE_TYPES
from graph.schema import SCHEMA, Type

SDL = Path(__file__).resolve().parents[2] / "api" / "schema.graphql"
SCALARS = {Type.STRING: "String", Type.INT64: "Int", Type.BOOL: "Boolean", Type.DATE: "Date"}


@pytest.fixture(scope="module")
def schema():
    return build_schema()._schema


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(w.title() for w in rest)


def test_the_committed_sdl_is_the_code():
    # To regenerate: .venv/bin/python -m api.graphql.schema > api/schema.graphql
    assert SDL.read_text(encoding="utf-8") == sdl()
    assert sdl() == print_schema(build_schema()) + "\n"


def test_every_node_type_has_a_graphql_type_of_that_name():
    assert sorted(NODE_TYPES) == sorted(n.label for n in SCHEMA.nodes)
    assert all(cls.__name__ == label for label, cls in NODE_TYPES.items())


@pytest.mark.parametrize("node", SCHEMA.nodes, ids=lambda n: n.label)
def test_each_property_is_a_field_of_its_declared_type_nullability_and_description(schema, node):
    gql = schema.type_map[node.label]
    assert isinstance(gql, GraphQLObjectType)
    assert gql.description == node.description
    for p in node.properties:
        field = gql.fields[_camel(p.name)]
        required = isinstance(field.type, GraphQLNonNull)
        named = get_named_type(field.type)
        if p.name == node.key and node.key == "id":
            expected = "ID"
        elif p.choices:
            expected = CHOICES[(node.label, p.name)].__name__
        else:
            expected = SCALARS[p.type]
        assert (named.name, required) == (expected, p.required), p.name
        assert field.description.startswith(p.description), p.name
        assert ("Personal data" in field.description) == (p.mask is not None), p.name


def test_the_types_hold_no_property_the_schema_does_not_declare(schema):
    for node in SCHEMA.nodes:
        gql = schema.type_map[node.label]
        scalars = {
            name
            for name, f in gql.fields.items()
            if isinstance(get_named_type(f.type), GraphQLScalarType | GraphQLEnumType)
            and not f.args
            and not isinstance(_unwrap(f.type), GraphQLList)
        }
        assert scalars == {_camel(p.name) for p in node.properties}, node.label


def _unwrap(t):
    return t.of_type if isinstance(t, GraphQLNonNull) else t


def test_enums_hold_exactly_the_schema_choices():
    for (owner, prop), enum in CHOICES.items():
        declared = (
            SCHEMA.node(owner) if owner in {n.label for n in SCHEMA.nodes} else SCHEMA.rel(owner)
        ).property(prop)
        assert tuple(e.value for e in enum) == declared.choices, (owner, prop)
    choices = {(n.label, p.name) for n in SCHEMA.nodes for p in n.properties if p.choices} | {
        ("SERVES_IN", "role"),
        ("HANDLED", "step"),
        ("PARTY_TO", "side"),
    }
    assert set(CHOICES) == choices


def test_every_type_field_and_argument_is_described(schema):
    missing = []
    for name, t in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Boolean", "ID", "Float"}:
            continue
        if not t.description:
            missing.append(name)
        if isinstance(t, GraphQLObjectType):
            for fname, f in t.fields.items():
                if not f.description:
                    missing.append(f"{name}.{fname}")
                missing += [
                    f"{name}.{fname}({a})" for a, arg in f.args.items() if not arg.description
                ]
    assert missing == [], missing


def test_unions_say_who_can_be_a_party_and_a_handler(schema):
    party, handler = schema.type_map["Party"], schema.type_map["Handler"]
    assert isinstance(party, GraphQLUnionType) and isinstance(handler, GraphQLUnionType)
    assert [t.name for t in party.types] == ["Person", "Organisation"]
    assert [t.name for t in handler.types] == ["Person", "Center", "MediationOrg", "Department"]


def test_the_headline_queries_are_root_fields_beside_the_lookups_and_lists(schema):
    fields = schema.query_type.fields
    assert {"referral", "expertPool", "escalationPath"} <= set(fields)
    assert {"pool", "pools", "grid", "grids", "unit", "units", "person", "people"} <= set(fields)

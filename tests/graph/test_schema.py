from pathlib import Path

from graph.docs import render
from graph.schema import SCHEMA, Mask, Type

ROOT = Path(__file__).resolve().parents[2]


def test_docs_schema_md_is_generated_from_the_schema():
    assert (ROOT / "docs" / "schema.md").read_text(encoding="utf-8") == render(), (
        "docs/schema.md is stale: run `make docs`"
    )


def test_every_relationship_endpoint_is_a_node_type():
    labels = {n.label for n in SCHEMA.nodes}
    dangling = [
        (r.type, pair) for r in SCHEMA.rels for pair in r.endpoints if not set(pair) <= labels
    ]
    assert dangling == []


def test_every_identity_property_is_declared():
    missing = [
        (r.type, name)
        for r in SCHEMA.rels
        for name in r.identity
        if name not in {p.name for p in r.properties}
    ]
    assert missing == []


def test_every_key_is_a_required_property_and_every_record_has_a_source():
    for n in SCHEMA.nodes:
        assert n.property(n.key).required, n.label
        assert "source" in {p.name for p in n.properties}, n.label
    for r in SCHEMA.rels:
        assert "source" in {p.name for p in r.properties}, r.type


def test_file_stems_and_names_are_unique():
    names = [t.file for t in (*SCHEMA.nodes, *SCHEMA.rels)]
    names += [n.label for n in SCHEMA.nodes] + [r.type for r in SCHEMA.rels]
    assert len(names) == len(set(names))


def test_personal_data_is_flagged_with_its_mask():
    masked = {(n.label, p.name): p.mask for n in SCHEMA.nodes for p in n.properties if p.mask}
    assert masked == {
        ("Person", "name"): Mask.NAME,
        ("Person", "id_number"): Mask.ID_NUMBER,
        ("Person", "mobile"): Mask.MOBILE,
        ("Dispute", "title"): Mask.TEXT,
    }


def test_posts_and_memberships_carry_temporal_validity():
    temporal = {
        r.type for r in SCHEMA.rels if {"valid_from", "valid_to"} <= {p.name for p in r.properties}
    }
    assert temporal == {
        "SERVES_IN",
        "MEMBER_OF",
        "LEADS",
        "WORKS_IN",
        "HOLDS_POST",
        "STATIONED_AT",
        "IN_POOL",
        "MEDIATES_IN",
    }


def test_the_structure_carries_validity_too():
    """Villages merge and grids are redrawn (the 2023 division table is not the articles'):
    units, grids, departments and centers say when they exist, as ties do."""
    dated = {
        n.label
        for n in SCHEMA.nodes
        if {"valid_from", "valid_to"} <= {p.name for p in n.properties}
    }
    assert dated == {"Unit", "Grid", "Department", "Center"}
    assert {SCHEMA.node(label).property("valid_to").type for label in dated} == {Type.DATE}


def _choice_properties():
    for kind in (*SCHEMA.nodes, *SCHEMA.rels):
        owner = kind.label if hasattr(kind, "label") else kind.type
        for p in kind.properties:
            if p.choices:
                yield owner, p


def test_every_choice_has_a_chinese_name_and_each_name_stands_for_one_choice():
    for owner, p in _choice_properties():
        names = [name for name, _ in p.names]
        assert len(names) == len(set(names)), (owner, p.name)
        assert {choice for _, choice in p.names} == set(p.choices), (owner, p.name)
        assert not set(names) & set(p.choices), (owner, p.name)


def test_a_property_tells_a_choice_from_its_name():
    role = SCHEMA.rel("SERVES_IN").property("role")
    assert [role.choice(t) for t in ("head", "网格长", "指导员", "网格员", "")] == [
        "head",
        "head",
        "instructor",
        None,
        None,
    ]
    gender = SCHEMA.node("Person").property("gender")
    assert [gender.choice(t) for t in ("男", "女性", "female", "M")] == [
        "male",
        "female",
        "female",
        None,
    ]

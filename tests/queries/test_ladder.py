"""queries/ladder.py: the kernel the features stand on, so that no feature imports another."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

QUERIES = Path(__file__).resolve().parents[2] / "queries"
FEATURES = ("escalation", "referral", "experts", "brokerage", "flow_rules")


def _imported(module: str) -> set[str]:
    tree = ast.parse((QUERIES / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("queries."):
            found.add((node.module or "").removeprefix("queries."))
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("queries.") for a in node.names}
    return found


@pytest.mark.parametrize("feature", FEATURES)
def test_no_feature_module_imports_another(feature: str) -> None:
    assert _imported(feature) & set(FEATURES) == set()


def test_the_features_that_climb_the_chain_stand_on_the_kernel() -> None:
    assert {f for f in FEATURES if "ladder" in _imported(f)} == {
        "escalation",
        "referral",
        "experts",
    }

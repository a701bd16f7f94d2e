"""docs/workflow.md's table of actions is the rules' (`make docs` writes it)."""

from __future__ import annotations

from queries.rules import load_rules
from workflow.docs import PAGE, rewritten


def test_the_table_of_actions_in_docs_is_the_rules() -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert rewritten(text, load_rules()) == text
    assert "| `bounce` | dispatched, handling | (stays, or the effect decides) |" in text

"""The catalogue of named queries in docs/queries.md, made from the files' own headers.

    python -m queries.docs          # rewrites the catalogue between its two markers

A test fails when the catalogue is stale. The researchers' `research_*` queries are described,
with real output, in docs/research.md instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

from queries.library import _HEADER, named_queries, variants

DOCS = Path(__file__).resolve().parents[1] / "docs" / "queries.md"
BEGIN = "<!-- named queries: made by `python -m queries.docs` from the files' headers -->"
END = "<!-- end of named queries -->"


def catalogue() -> str:
    """One section per named query (research queries aside): what it answers, its
    parameters and columns, as its header says, and its dialect variants."""
    sections = []
    for name, query in sorted(named_queries().items()):
        if name.startswith("research_"):
            continue
        dialects = sorted(d for (n, d) in variants() if n == name)
        title = f"### `{name}`" + "".join(f" (variant: `{name}.{d}.cypher`)" for d in dialects)
        lines = [title, ""]
        for line in query.text.splitlines():
            match = _HEADER.match(line.strip())
            if match:
                lines.append(f"- {match[1]}: {match[2].strip()}")
        sections.append("\n".join(lines))
    return "\n\n".join(sections) + "\n"


def rewritten(text: str) -> str:
    """`text` (docs/queries.md) with the catalogue between its markers made afresh."""
    head, begin, rest = text.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"docs/queries.md needs the markers {BEGIN!r} and {END!r}")
    return head + BEGIN + "\n\n" + catalogue() + "\n" + END + tail


def main() -> None:
    DOCS.write_text(rewritten(DOCS.read_text(encoding="utf-8")), encoding="utf-8")
    sys.stdout.write(f"wrote the catalogue of named queries into {DOCS}\n")


if __name__ == "__main__":
    main()

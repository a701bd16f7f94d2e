"""Which node labels and relationship types a query reads, and which a write changes.

The read model (`queries.read_model`) stays valid across a write that changes nothing it
reads: a dispute's event leaves the ladders, teams and pools as they were. Both sides are read
from the Cypher text, conservatively:

- a query *reads* every label and type its patterns name, and both ends of every type it
  names (a pattern may leave an end unlabelled); a relationship pattern with no type reads
  everything (`EVERYTHING`);
- a write *changes* the labels and types its CREATE or MERGE clauses name, and the labels of
  the variables its SET, REMOVE and DELETE clauses name; a variable whose label the text does
  not give changes everything.
"""

from __future__ import annotations

import re
from functools import cache

from graph.schema import SCHEMA

EVERYTHING = "*"

# `(var:Label` and `[var:TYPE` (with an optional variable): a label or type named in a pattern,
# with its alternatives (`[:A|B|C]`, `[:A|:B]`, `(n:A|B)`).
_NAMED = re.compile(r"[(\[]\s*(\w*)\s*:\s*(\w+(?:\s*\|\s*:?\s*\w+)*)")
_UNTYPED = re.compile(r"-\[\s*\w*\s*(?:\{[^}]*\})?\s*\*?[\d.]*\s*\]-|--|<--|-->")
_CLAUSE = re.compile(
    r"\b(CREATE|MERGE|SET|REMOVE|DETACH\s+DELETE|DELETE|MATCH|OPTIONAL\s+MATCH|WITH|RETURN"
    r"|UNWIND|WHERE|LOAD\s+FROM|COPY|ON\s+CREATE|ON\s+MATCH)\b",
    re.IGNORECASE,
)
# What a SET, REMOVE or DELETE changes: the variable at the start of each comma-separated item.
_TARGET = re.compile(r"(?:^|,)\s*([A-Za-z_]\w*)")


# `(var)` standing alone (not a call's argument, not an end of a relationship pattern).
_BARE = re.compile(r"(?<![\w>-])\(\s*([A-Za-z_]\w*)\s*\)(?!\s*[<-])")


@cache
def _known() -> frozenset[str]:
    return frozenset(n.label for n in SCHEMA.stored_nodes) | frozenset(
        r.type for r in SCHEMA.stored_rels
    )


def _ends(type_: str) -> set[str]:
    rel = next((r for r in (*SCHEMA.rels, *SCHEMA.log_rels) if r.type == type_), None)
    return {label for pair in rel.endpoints for label in pair} if rel else set()


def _named(query: str) -> list[tuple[str, str]]:
    """Each (variable, label or type) a pattern names, one pair per alternative."""
    return [
        (var, name.strip(" :")) for var, names in _NAMED.findall(query) for name in names.split("|")
    ]


_NOISE = re.compile(r"//[^\n]*|'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def _code(query: str) -> str:
    """The query without its comments and string literals."""
    return _NOISE.sub(" ", query)


@cache
def read_by(query: str) -> frozenset[str]:
    """The labels and types `query` reads (`EVERYTHING` when it cannot tell)."""
    query = _code(query)
    if _UNTYPED.search(query):
        return frozenset({EVERYTHING})
    found = _named(query)
    labelled = {var for var, _ in found if var}
    named = {name for _, name in found if name in _known()}
    if not named or any(var not in labelled for var in _BARE.findall(query)):
        return frozenset({EVERYTHING})  # a node of any label
    for name in list(named):
        named |= _ends(name)
    return frozenset(named)


def changed_by(query: str) -> frozenset[str]:
    """The labels and types the write `query` changes (`EVERYTHING` when it cannot tell)."""
    query = _code(query)
    bound = {var: name for var, name in _named(query) if var and name in _known()}
    parts = _CLAUSE.split(query)
    changed: set[str] = set()
    # parts: [before, keyword, body, keyword, body, …]
    for keyword, body in zip(parts[1::2], parts[2::2], strict=True):
        clause = " ".join(keyword.upper().split())
        if clause in ("CREATE", "MERGE", "COPY"):
            if clause == "COPY":
                changed.add(body.split()[0] if body.split() else EVERYTHING)
                continue
            changed |= {name for _, name in _named(body) if name in _known()}
        elif clause in ("SET", "REMOVE", "DELETE", "DETACH DELETE", "ON CREATE", "ON MATCH"):
            for var in _TARGET.findall(body.strip()):
                changed.add(bound.get(var, EVERYTHING))
    unknown = {c for c in changed if c != EVERYTHING and c not in _known()}
    return frozenset((changed - unknown) | ({EVERYTHING} if unknown else set()))

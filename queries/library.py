"""Named queries: one `.cypher` file each, opened by a header that says what it answers.

    // answers: how many grids, staff and disputes a county holds
    // parameters: $county (12-digit division code)
    // columns: county, name, grids, …

Parameters are checked against the header before the query runs: LadybugDB answers a query
with a missing parameter with no rows rather than an error.

Dialects: `name.cypher` keeps to the Cypher both stores read alike. Where that is impossible
(shortest paths, `labels(n)` being a string on LadybugDB and a list on Neo4j) a variant
`name.<dialect>.cypher` beside it, with the same header, holds the other store's form; `run`
picks the variant of the backend's `dialect` attribute ("neo4j"; the embedded store has none
and reads as "ladybug") where one exists.

A backend with a read model attached (`queries.read_model`, when the API opens the graph)
has the structural queries the headline questions read answered from memory, with the rows
their Cypher gives; every other query, and every query of a backend without one, reads the
store.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from graph.backend import Backend, Row
from queries import read_model

_HEADER = re.compile(r"^//\s*(answers|parameters|columns):\s*(.*)$")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class UnknownQuery(KeyError):
    def __str__(self) -> str:  # KeyError's own puts the message in quotes
        return str(self.args[0])


class BadParameters(ValueError):
    pass


@dataclass(frozen=True)
class NamedQuery:
    name: str
    text: str
    answers: str
    parameters: tuple[str, ...]
    columns: tuple[str, ...]


def _parse(name: str, text: str) -> NamedQuery:
    header: dict[str, str] = {}
    for line in text.splitlines():
        match = _HEADER.match(line.strip())
        if match:
            header[match[1]] = match[2].strip()
    params = tuple(dict.fromkeys(_PARAM.findall(header.get("parameters", ""))))
    columns = tuple(c.strip() for c in header.get("columns", "").split(",") if c.strip())
    if "answers" not in header or "columns" not in header:
        raise ValueError(f"{name}.cypher needs '// answers:' and '// columns:' header lines")
    return NamedQuery(name, text, header["answers"], params, columns)


@cache
def named_queries() -> dict[str, NamedQuery]:
    """Every `name.cypher` file, by name (the portable form, which LadybugDB runs)."""
    found = {}
    for entry in resources.files("queries").iterdir():
        if entry.name.endswith(".cypher") and entry.name.count(".") == 1:
            name = entry.name.removesuffix(".cypher")
            found[name] = _parse(name, entry.read_text(encoding="utf-8"))
    return found


@cache
def variants() -> dict[tuple[str, str], NamedQuery]:
    """Every `name.<dialect>.cypher` file, by (name, dialect)."""
    found = {}
    for entry in resources.files("queries").iterdir():
        if entry.name.endswith(".cypher") and entry.name.count(".") == 2:
            name, dialect = entry.name.removesuffix(".cypher").split(".")
            found[(name, dialect)] = _parse(name, entry.read_text(encoding="utf-8"))
    return found


def get_query(name: str, dialect: str | None = None) -> NamedQuery:
    """The query `name`, in `dialect`'s variant where there is one."""
    if dialect is not None and (name, dialect) in variants():
        return variants()[(name, dialect)]
    try:
        return named_queries()[name]
    except KeyError:
        near = difflib.get_close_matches(name, named_queries(), n=3, cutoff=0.5)
        hint = f"did you mean {' or '.join(near)}? " if near else ""
        known = ", ".join(sorted(named_queries()))
        raise UnknownQuery(f"no query named {name!r}; {hint}the library has: {known}") from None


def dialect_of(backend: Backend) -> str:
    """The backend's Cypher dialect: its `dialect` attribute, "ladybug" when it has none."""
    return str(getattr(backend, "dialect", "ladybug"))


def run(backend: Backend, name: str, **params: Any) -> list[Row]:
    """Run a named query, in the backend's dialect, with exactly the parameters its header
    declares."""
    query = get_query(name, dialect_of(backend))
    missing = [p for p in query.parameters if p not in params]
    unknown = [p for p in params if p not in query.parameters]
    if missing or unknown:
        raise BadParameters(
            f"{name} takes {', '.join('$' + p for p in query.parameters) or 'no parameters'}"
            + (f"; missing {missing}" if missing else "")
            + (f"; unknown {unknown}" if unknown else "")
        )
    rows = read_model.answer(backend, query, params)
    return backend.read(query.text, params) if rows is None else rows

"""Peers for the benchmark of issue 15: SQLite and networkx as stand-in backends.

The three headline questions (queries/referral.py, experts.py, escalation.py) read every row
through named queries (`queries.library.run` → `backend.read(text, params)`). A peer is an
object with that `read`: it knows each named query's text (and its dialect variants), answers
the ones the questions read from its own data (SQL over SQLite, walks over a networkx graph)
with the same columns, and raises `NotNamed` for any other text. The product's own rule code
then runs over the peer, so only the data access differs. A peer has no read model
(queries.read_model): every question reads its data every time.

Both peers load the same generated files as the product (CSV, an empty cell is NULL, values
typed by graph.schema) and the same division rows (`loaders.divisions`).
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph.backend import Params, Row
from graph.schema import NODE_TYPES, REL_TYPES, NodeType, RelType, Type
from graph.temporal import holds_on, valid_on
from loaders.divisions import divisions_within
from queries.library import named_queries, variants

# networkx is imported where a graph is made (`load_networkx`): the bench's processes of the
# other systems (the product's, SQLite's) would carry its 9 MiB in their resident figure
if TYPE_CHECKING:
    import networkx as nx

# The named queries the three questions read (a run on the demo, instrumented, found these;
# a peer raises for any other text, so a question reading another one fails the validation).
READ = (
    "dispute_facts",
    "grid_step",
    "unit_step",
    "grid_teams",
    "grid_party_orgs",
    "ladder_unit_bodies",
    "ladder_stationed_departments",
    "liaison_bodies",
    "referral_unit_bodies",
    "party_visits",
    "referral_item",
    "domain",
    "professional_grids",
    "dispute_orgs",
    "place_units",
    "dispute_parties",
    "expert_candidates",
    "pool_places",
    "expert_load",
    "expert_conflicts",
    "conflict_paths",
)
DATE_COLUMNS = {"since", "until", "reported_on", "settled_on", "stationed_from", "stationed_to"}
TIES = ("RELATED_TO", "WORKS_IN", "MEMBER_OF", "PARTY_TO")  # the conflict walk's relationships


class NotNamed(LookupError):
    """A read whose text is not one of the named queries a peer answers."""


# -- the files --------------------------------------------------------------------------------

_BY_FILE: dict[str, NodeType | RelType] = {t.file: t for t in (*NODE_TYPES, *REL_TYPES)}


def _typed(kind: NodeType | RelType) -> dict[str, Callable[[str], Any]]:
    parse: dict[Type, Callable[[str], Any]] = {
        Type.INT64: int,
        Type.DOUBLE: float,
        Type.BOOL: lambda s: s.strip().lower() in ("true", "1", "yes"),
        Type.DATE: date.fromisoformat,
    }
    return {p.name: parse[p.type] for p in kind.properties if p.type in parse}


def _rows(kind: NodeType | RelType, rows: Iterable[dict[str, str]]) -> Iterator[dict[str, Any]]:
    typed = _typed(kind)
    for row in rows:
        yield {k: (typed[k](v) if k in typed else v) if v != "" else None for k, v in row.items()}


def tables(files: Sequence[Path], divisions: Sequence[str]) -> Iterator[tuple[Any, Iterator]]:
    """(node or relationship type, its rows as dicts of typed values) for the division chains
    of `divisions`, then for every file; relationship rows keep `from`, `to`, `from_type` and
    `to_type`."""
    by_label = {t.label: t for t in NODE_TYPES}
    by_type = {t.type: t for t in REL_TYPES}
    for code in divisions:
        chain = divisions_within(code)
        yield by_label["Unit"], _rows(by_label["Unit"], _as_text(chain.units))
        yield by_type["PART_OF"], _rows(by_type["PART_OF"], _as_text(chain.part_of))
    for path in files:
        stem = path.name.split(".")[-2]
        kind = _BY_FILE.get(stem)
        if kind is None or stem in ("dispute_events", "logged"):
            continue  # the dispute log: no headline question reads it
        with path.open(encoding="utf-8", newline="") as f:
            yield kind, _rows(kind, csv.DictReader(f))


def _as_text(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, str]]:
    for row in rows:
        yield {k: "" if v is None else str(v) for k, v in row.items()}


# -- the peer protocol -------------------------------------------------------------------------


def texts() -> dict[str, str]:
    """Every text of the named queries in READ (the portable one and its variants) → name."""
    found = {named_queries()[name].text: name for name in READ}
    for (name, _), query in variants().items():
        if name in READ:
            found[query.text] = name
    return found


class Peer(ABC):
    """A stand-in backend: answers the named queries in READ by their text."""

    name = "peer"

    def __init__(self) -> None:
        self._named = texts()
        self.asked: dict[str, int] = defaultdict(int)

    def read(self, query: str, params: Params | None = None) -> list[Row]:
        name = self._named.get(query)
        if name is None:
            head = query.strip().splitlines()[0][:80] if query.strip() else ""
            raise NotNamed(f"{self.name} answers only the named queries {READ}, not {head!r}")
        self.asked[name] += 1
        answer: Callable[..., list[Row]] = getattr(self, name)
        return answer(**(params or {}))

    @abstractmethod
    def close(self) -> None:
        """Release what the peer holds open."""

    # The conflict questions, the same walks over either peer's data: a peer gives the ties of
    # the nodes reached (`_step`), the facts of nodes (`_facts`) and a dispute's parties.

    def expert_conflicts(self, dispute: str, as_of: date, related_kinds: list[str]) -> list[Row]:
        return conflicts_from_dispute(self._step(as_of, related_kinds, TIES), self._facts, dispute)

    def conflict_paths(
        self,
        dispute: str,
        experts: list[str],
        as_of: date,
        ties: list[str],
        related_kinds: list[str],
    ) -> list[Row]:
        step = self._step(as_of, related_kinds, ties)
        parties = self._parties(dispute)
        return conflicts_from_parties(step, self._facts, dispute, experts, as_of, parties)

    @abstractmethod
    def _step(
        self, day: date, kinds: list[str], types: Sequence[str]
    ) -> Callable[[list[Any]], list[Tie]]:
        """The ties of `types` of the nodes given, holding on `day`, of `kinds` when kinded."""

    @abstractmethod
    def _facts(self, nodes: Iterable[Any]) -> dict[Any, tuple[str | None, str | None, Any]]:
        """Node → its name, title and report day (None where it has none)."""

    @abstractmethod
    def _parties(self, dispute: str) -> list[tuple[str, str, str | None]]:
        """The dispute's parties: label, key, side."""


@dataclass(frozen=True)
class Tie:
    """One relationship of the conflict walk, seen from `near` (the node already reached)."""

    near: Any
    far: Any
    type: str
    start: Any  # the node it is stored from
    kind: str | None
    relation: str | None
    side: str | None


def shortest_walks(
    start: Any, depth: int, step: Callable[[list[Any]], list[Tie]], all_walks: bool
) -> dict[Any, list[list[Tie]]]:
    """The shortest walks from `start` to every node within `depth` ties, breadth first:
    `step(nodes)` gives the ties of the nodes reached last. Every shortest walk (`all_walks`),
    or one per node (the least by the keys along it, from its far end)."""
    dist = {start: 0}
    into: dict[Any, list[Tie]] = defaultdict(list)  # the ties reaching a node at its distance
    frontier = [start]
    for hops in range(1, depth + 1):
        reached: list[Any] = []
        for tie in step(frontier):
            seen = dist.get(tie.far)
            if seen is None:
                dist[tie.far] = hops
                reached.append(tie.far)
            elif seen != hops:
                continue
            into[tie.far].append(tie)
        frontier = reached
        if not frontier:
            break
    walks: dict[Any, list[list[Tie]]] = {}

    def back(node: Any) -> list[list[Tie]]:
        if node == start:
            return [[]]
        found = walks.get(node)
        if found is None:
            found = [[*w, t] for t in into[node] for w in back(t.near)]
            if not all_walks:
                # the product's order for ties of equal length (queries.experts._order): the
                # keys along the walk, read from its far end
                found = [min(found, key=lambda w: [t.far[1] for t in reversed(w)])]
            walks[node] = found
        return found

    return {node: back(node) for node in dist if node != start}


# -- SQLite ------------------------------------------------------------------------------------


def _columns(kind: NodeType | RelType) -> list[str]:
    return [p.name for p in kind.properties]


def load_sqlite(path: Path, files: Sequence[Path], divisions: Sequence[str]) -> None:
    """A table per node type (its key the primary key) and per relationship type (`src`,
    `dst`, their labels, its properties), indexed both ways; dates as ISO text."""
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    for t in NODE_TYPES:
        cols = ", ".join(f'"{c}"' + (" PRIMARY KEY" if c == t.key else "") for c in _columns(t))
        db.execute(f'CREATE TABLE "{t.label}" ({cols})')
    for r in REL_TYPES:
        cols = ", ".join(f'"{c}"' for c in _columns(r))
        db.execute(f'CREATE TABLE "{r.type}" (src, dst, src_label, dst_label, {cols})')
    for kind, rows in tables(files, divisions):
        if isinstance(kind, NodeType):
            names = _columns(kind)
            marks = ", ".join("?" * len(names))  # names from graph.schema, values bound
            sql = f'INSERT OR REPLACE INTO "{kind.label}" VALUES ({marks})'  # noqa: S608
            db.executemany(sql, ([_sql(row.get(c)) for c in names] for row in rows))
        else:
            names = ["from", "to", "from_type", "to_type", *_columns(kind)]
            first = kind.endpoints[0]
            sql = f'INSERT INTO "{kind.type}" VALUES ({", ".join("?" * len(names))})'  # noqa: S608
            db.executemany(
                sql,
                (
                    [
                        row["from"],
                        row["to"],
                        row.get("from_type") or first[0],
                        row.get("to_type") or first[1],
                        *(_sql(row.get(c)) for c in names[4:]),
                    ]
                    for row in rows
                ),
            )
    for r in REL_TYPES:
        db.execute(f'CREATE INDEX "{r.type}_src" ON "{r.type}" (src, dst_label, dst)')
        db.execute(f'CREATE INDEX "{r.type}_dst" ON "{r.type}" (dst, src_label, src)')
    db.commit()
    db.execute("ANALYZE")
    db.close()


def _sql(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _exists(var: str) -> str:
    """A condition: the node `var` exists on `:as_of` (graph.temporal's rule, as the named
    queries write it; dates are ISO text, so they compare as text)."""
    return holds_on(var, ":as_of")


@dataclass(frozen=True)
class Branch:
    """One branch of a body query, as a statement about one anchor (`:anchor`): the bodies an
    anchor reaches and their post-holders, and the row of an anchor that reaches none (what
    OPTIONAL MATCH gives: the body's columns NULL)."""

    sql: str
    empty: Row


def _anchored(
    rel: str,
    body: str,
    source: str,
    anchor: str,
    kind: str = "kind",
    level: str = "b.level",
    via: str = "''",
    via_name: str = "''",
    holders: str | None = "HOLDS_POST",
    post: str = "post",
    more: str = "",
    empty: Row | None = None,
) -> Branch:
    """The bodies `b` an anchor reaches by `source` (inner joins from the tie at the anchor,
    filtered by `anchor`, a condition on `:anchor`), and their post-holders. One statement per
    anchor, its joins in a flat chain: a parenthesised `LEFT JOIN (a JOIN b)` is materialised
    whole (a scan of both tables) before the anchor narrows it, and a list of anchors as the
    outer loop makes SQLite 3.40 build a Bloom filter over the whole holders' table."""
    held = (
        f"LEFT JOIN \"{holders}\" h ON h.dst = b.id AND h.src_label = 'Person' "
        f"AND h.dst_label = '{body}' LEFT JOIN Person p ON p.id = h.src"
        if holders
        else ""
    )
    who = (
        f'p.id AS holder, p.name AS holder_name, p.mobile AS mobile, h."{post}" AS post, '
        "h.valid_from AS since, h.valid_to AS until"
        if holders
        else "'' AS holder, '' AS holder_name, '' AS mobile, '' AS post, NULL AS since, "
        "NULL AS until"
    )
    nobody: Row = dict.fromkeys(("holder", "holder_name", "mobile", "post", "since", "until"))
    if not holders:
        nobody.update(holder="", holder_name="", mobile="", post="")
    return Branch(
        # made once, of constants; every value is a bound parameter
        f"SELECT :anchor AS anchor, '{rel}' AS rel, '{body}' AS body_label, b.id AS body_key, "  # noqa: S608
        f'b.name AS body_name, b."{kind}" AS body_kind, {level} AS body_level, '
        f"{via} AS via, {via_name} AS via_name, {who}{more} FROM {source} {held} "
        f"WHERE {anchor}",
        {
            "rel": rel,
            "body_label": body,
            "body_key": None,
            "body_name": None,
            "body_kind": None,
            "body_level": None,
            "via": "",
            "via_name": "",
            **nobody,
            **(empty or {}),
        },
    )


_CENTERS = _anchored(
    "JURISDICTION",
    "Center",
    # a center escalating to one that does not exist that day escalates to nothing: the tie is
    # left out (OPTIONAL MATCH … WHERE), not kept with an empty end beside the ones that exist
    "JURISDICTION j JOIN Center b ON b.id = j.src "  # noqa: S608
    "LEFT JOIN ESCALATES_TO e ON e.src = b.id AND e.dst_label = 'Center' "
    f"AND EXISTS (SELECT 1 FROM Center x WHERE x.id = e.dst AND {_exists('x')}) "
    "LEFT JOIN Center up ON up.id = e.dst",
    f"j.dst = :anchor AND j.src_label = 'Center' AND {_exists('b')}",
    via="coalesce(up.id, '')",
    via_name="coalesce(up.name, '')",
)
_COMMITTEES = _anchored(
    "LOCATED_IN",
    "MediationOrg",
    "LOCATED_IN l JOIN MediationOrg b ON b.id = l.src",
    "l.dst = :anchor AND l.src_label = 'MediationOrg' "
    "AND b.kind IN (SELECT value FROM json_each(:mediation))",
    holders="MEDIATES_IN",
)
_PARTY_ORGS = _anchored(
    "LOCATED_IN",
    "PartyOrg",
    "LOCATED_IN l JOIN PartyOrg b ON b.id = l.src "
    "LEFT JOIN SUBORDINATE_TO s ON s.src = b.id AND s.dst_label = 'PartyOrg' "
    "LEFT JOIN PartyOrg up ON up.id = s.dst",
    "l.dst = :anchor AND l.src_label = 'PartyOrg'",
    via="coalesce(up.id, '')",
    via_name="coalesce(up.name, '')",
    holders="LEADS",
)
_COURT = _anchored(
    "COURT",
    "Department",
    "LOCATED_IN l JOIN Department b ON b.id = l.src",
    f"l.dst = :anchor AND l.src_label = 'Department' AND b.function = :court AND {_exists('b')}",
    kind="function",
)
_DEPARTMENTS = _anchored(
    "FUNCTION",
    "Department",
    "LOCATED_IN l JOIN Department b ON b.id = l.src",
    f"l.dst = :anchor AND l.src_label = 'Department' AND {_exists('b')}",
    kind="function",
)
_INDUSTRY = _anchored(
    "HAS_EXPERTISE",
    "MediationOrg",
    "LOCATED_IN l JOIN MediationOrg b ON b.id = l.src "
    "JOIN HAS_EXPERTISE e ON e.src = b.id AND e.dst_label = 'Domain' "
    "JOIN Domain up ON up.code = e.dst",
    "l.dst = :anchor AND l.src_label = 'MediationOrg' "
    "AND b.kind IN (SELECT value FROM json_each(:industry))",
    via="up.code",
    via_name="up.name",
    holders="MEDIATES_IN",
    empty={"via": None, "via_name": None},
)
_STATIONED = _anchored(
    "STATIONED_AT",
    "Department",
    "JURISDICTION j JOIN Center c ON c.id = j.src JOIN STATIONED_AT st ON st.dst = c.id "
    "JOIN Department b ON b.id = st.src",
    f"j.dst = :anchor AND j.src_label = 'Center' AND st.src_label = 'Department' "
    f"AND {_exists('c')} AND {_exists('b')}",
    kind="function",
    via="c.id",
    via_name="c.name",
    more=", st.valid_from AS stationed_from, st.valid_to AS stationed_to",
    empty={"via": None, "via_name": None, "stationed_from": None, "stationed_to": None},
)


def _liaison(body: str, kind: str, holders: str | None, level: str, dated: bool) -> Branch:
    return _anchored(
        "LIAISES_WITH",
        body,
        f'LIAISES_WITH l JOIN "{body}" b ON b.id = l.dst',
        f"l.src = :anchor AND l.dst_label = '{body}'" + (f" AND {_exists('b')}" if dated else ""),
        kind=kind,
        holders=holders,
        level=level,
        empty={"body_level": "" if level == "''" else None},
    )


# The body queries: each the branches of its named query, in their order, and the label of its
# anchors. The rows come branch by branch, anchor by anchor, as the UNION ALL of UNWINDs gives.
_BODIES: dict[str, tuple[str, tuple[Branch, ...]]] = {
    "grid_teams": (
        "Grid",
        (
            Branch(
                "SELECT :anchor AS anchor, 'SERVES_IN' AS rel, 'Grid' AS body_label, "
                "b.id AS body_key, b.name AS body_name, b.kind AS body_kind, "
                "'grid' AS body_level, '' AS via, '' AS via_name, p.id AS holder, "
                "p.name AS holder_name, p.mobile AS mobile, h.role AS post, "
                "h.valid_from AS since, h.valid_to AS until FROM Grid b "
                "LEFT JOIN SERVES_IN h ON h.dst = b.id AND h.src_label = 'Person' "
                "LEFT JOIN Person p ON p.id = h.src WHERE b.id = :anchor",
                {},  # the grid itself is its body: a row whenever the grid is there
            ),
        ),
    ),
    "grid_party_orgs": (
        "Grid",
        (
            _anchored(
                "COVERS",
                "PartyOrg",
                "COVERS c JOIN PartyOrg b ON b.id = c.src "
                "LEFT JOIN SUBORDINATE_TO s ON s.src = b.id AND s.dst_label = 'PartyOrg' "
                "LEFT JOIN PartyOrg up ON up.id = s.dst",
                "c.dst = :anchor AND c.src_label = 'PartyOrg'",
                via="coalesce(up.id, '')",
                via_name="coalesce(up.name, '')",
                holders="LEADS",
            ),
        ),
    ),
    "ladder_unit_bodies": ("Unit", (_CENTERS, _COMMITTEES, _PARTY_ORGS, _COURT)),
    "ladder_stationed_departments": ("Unit", (_STATIONED,)),
    "liaison_bodies": (
        "Grid",
        (
            _liaison("Department", "function", "HOLDS_POST", "b.level", dated=True),
            _liaison("Center", "kind", "HOLDS_POST", "b.level", dated=True),
            _liaison("Organisation", "kind", None, "''", dated=False),
        ),
    ),
    "referral_unit_bodies": (
        "Unit",
        (_CENTERS, _COMMITTEES, _DEPARTMENTS, _INDUSTRY, _COURT),
    ),
}
_IS = {
    "Grid": "SELECT 1 FROM Grid WHERE id = :anchor",
    "Unit": "SELECT 1 FROM Unit WHERE code = :anchor",
}

# The other named queries, one statement each, their joins a flat chain from the node the
# parameters name (a LEFT JOIN from a tie to the node at its end always finds it: the files
# load into the product without a reject, so every tie's ends are there).
_SQL = {
    "dispute_facts": (
        "SELECT d.title, d.reported_on, d.parties, "
        "(SELECT count(*) FROM PARTY_TO t WHERE t.dst = d.id) AS party_count, d.warning, "
        "d.status, d.outcome, g.id AS grid, g.name AS grid_name, dm.code AS domain, "
        "dm.name AS domain_name, li.id AS item, li.name AS item_name FROM Dispute d "
        "LEFT JOIN OCCURRED_IN o ON o.src = d.id AND o.dst_label = 'Grid' "
        "LEFT JOIN Grid g ON g.id = o.dst "
        "LEFT JOIN IN_DOMAIN i ON i.src = d.id AND i.dst_label = 'Domain' "
        "LEFT JOIN Domain dm ON dm.code = i.dst "
        "LEFT JOIN CLASSIFIED_AS c ON c.src = d.id AND c.dst_label = 'ListItem' "
        "LEFT JOIN ListItem li ON li.id = c.dst WHERE d.id = :dispute"
    ),
    "grid_step": (
        "SELECT g.name, g.kind, g.unit_level, g.location, "  # noqa: S608
        "(SELECT count(*) FROM LIAISES_WITH l WHERE l.src = g.id) AS liaisons, "
        "CASE WHEN u.code IS NULL THEN 'Grid' ELSE 'Unit' END AS parent_label, "
        "coalesce(pg.id, u.code) AS parent, coalesce(pg.name, u.name) AS parent_name, "
        "u.level AS parent_level FROM Grid g "
        # a parent that does not exist that day is no parent: its tie is left out
        "LEFT JOIN PART_OF p ON p.src = g.id AND p.src_label = 'Grid' "
        f"AND EXISTS (SELECT 1 FROM Grid x WHERE p.dst_label = 'Grid' AND x.id = p.dst "
        f"AND {_exists('x')} UNION ALL SELECT 1 FROM Unit x WHERE p.dst_label = 'Unit' "
        f"AND x.code = p.dst AND {_exists('x')}) "
        "LEFT JOIN Grid pg ON pg.id = p.dst AND p.dst_label = 'Grid' "
        "LEFT JOIN Unit u ON u.code = p.dst AND p.dst_label = 'Unit' WHERE g.id = :grid"
    ),
    "unit_step": (
        "SELECT n.code AS parent, n.name AS parent_name, n.level AS parent_level "  # noqa: S608
        "FROM PART_OF p JOIN Unit n ON n.code = p.dst "
        "WHERE p.src = :unit AND p.src_label = 'Unit' AND p.dst_label = 'Unit' "
        f"AND {_exists('n')}"
    ),
    "party_visits": (
        "SELECT p.src AS person, count(*) AS n FROM PARTY_TO p "
        "JOIN PARTY_TO q ON q.src = p.src AND q.dst_label = 'Dispute' "
        "JOIN Dispute d ON d.id = q.dst "
        "WHERE p.dst = :dispute AND p.src_label = 'Person' AND q.src_label = 'Person' "
        "AND d.reported_on >= :since AND d.reported_on <= :until GROUP BY p.src"
    ),
    "referral_item": (
        # the item asked for, and the items of its class in its category, by key
        "WITH picked(id) AS (SELECT :item UNION SELECT x.src FROM HAS_EXPERTISE x "
        "JOIN ListItem k ON k.id = x.src WHERE x.dst = :category "
        "AND x.src_label = 'ListItem' AND k.item_class = :item_class) "
        "SELECT li.id AS item, li.name AS item_name, li.item_class, "
        "li.time_limit_days AS item_limit, dm.code AS domain, dm.name AS domain_name, "
        "d.id AS department, d.name AS department_name, d.function, "
        'rf.time_limit_days AS "limit", u.code AS department_unit '
        "FROM picked JOIN ListItem li ON li.id = picked.id "
        "LEFT JOIN HAS_EXPERTISE he ON he.src = li.id AND he.dst_label = 'Domain' "
        "AND he.src_label = 'ListItem' LEFT JOIN Domain dm ON dm.code = he.dst "
        # a department answers for the item only where it is located in a unit (one MATCH)
        "LEFT JOIN RESPONSIBLE_FOR rf ON rf.dst = li.id AND rf.src_label = 'Department' "
        "AND EXISTS (SELECT 1 FROM LOCATED_IN x WHERE x.src = rf.src AND x.dst_label = 'Unit' "
        "AND x.src_label = 'Department') LEFT JOIN Department d ON d.id = rf.src "
        "LEFT JOIN LOCATED_IN l ON l.src = d.id AND l.dst_label = 'Unit' "
        "AND l.src_label = 'Department' LEFT JOIN Unit u ON u.code = l.dst ORDER BY li.rowid"
    ),
    "domain": "SELECT code, name FROM Domain WHERE code = :code",
    "professional_grids": (
        "SELECT o.id AS org, o.name AS org_name, g.id AS grid, g.name AS grid_name, g.field "
        "FROM json_each(:orgs) a JOIN Organisation o ON o.id = a.value "
        "JOIN SUPERVISES s ON s.dst = o.id AND s.src_label = 'Grid' JOIN Grid g ON g.id = s.src"
    ),
    "dispute_orgs": (
        "SELECT src AS org FROM PARTY_TO "
        "WHERE dst = :dispute AND src_label = 'Organisation' AND dst_label = 'Dispute'"
    ),
    "place_units": (  # `OR … hops < 0`: else SQLite 3.40 builds a Bloom filter over all of
        # PART_OF at every step of the walk (a scan of the table)
        "WITH RECURSIVE up(node, label, hops) AS (SELECT :place, 'Grid', 0 "
        "UNION ALL SELECT p.dst, p.dst_label, up.hops + 1 FROM up JOIN PART_OF p "
        "ON p.src = up.node AND (p.src_label = up.label OR up.hops < 0) WHERE up.hops < 8), "
        "units(node, label, hops) AS (SELECT :place, 'Unit', 0 "
        "UNION ALL SELECT p.dst, p.dst_label, units.hops + 1 FROM units JOIN PART_OF p "
        "ON p.src = units.node AND (p.src_label = 'Unit' OR units.hops < 0) "
        "WHERE units.hops < 8) "
        "SELECT 'Grid' AS label, g.name, u.code AS unit, u.name AS unit_name, u.level, "
        "up.hops FROM Grid g LEFT JOIN up ON up.label = 'Unit' AND up.hops >= 1 "
        "LEFT JOIN Unit u ON u.code = up.node WHERE g.id = :place "
        "UNION ALL SELECT 'Unit', x.name, u.code, u.name, u.level, units.hops FROM Unit x "
        "LEFT JOIN units ON units.label = 'Unit' LEFT JOIN Unit u ON u.code = units.node "
        "WHERE x.code = :place"
    ),
    "dispute_parties": (
        "SELECT src AS party, side FROM PARTY_TO WHERE dst = :dispute AND src_label = 'Person'"
    ),
    "expert_candidates": (
        "SELECT dm.code AS domain, dm.name AS domain_name, e.id AS expert, e.name, e.mobile, "
        "e.profession, pool.id AS pool, pool.name AS pool_name, pool.shared, "
        "m.valid_from AS since, m.valid_to AS until, v.code AS home "
        "FROM json_each(:domains) a CROSS JOIN Domain dm ON dm.code = a.value "  # a first
        "JOIN HAS_EXPERTISE he ON he.dst = dm.code AND he.src_label = 'Person' "
        "JOIN Person e ON e.id = he.src "
        "JOIN IN_POOL m ON m.src = e.id AND m.dst_label = 'ExpertPool' "
        "JOIN ExpertPool pool ON pool.id = m.dst "
        "LEFT JOIN LIVES_IN lv ON lv.src = e.id AND lv.dst_label = 'Unit' "
        "LEFT JOIN Unit v ON v.code = lv.dst"
    ),
    "pool_places": (  # every pool: the whole (small) table is the answer
        "SELECT p.id AS pool, u.code AS unit FROM ExpertPool p "
        "LEFT JOIN LOCATED_IN l ON l.src = p.id AND l.dst_label = 'Unit' "
        "AND l.src_label = 'ExpertPool' LEFT JOIN Unit u ON u.code = l.dst"
    ),
    "expert_load": (
        "SELECT DISTINCT he.src AS expert, d.id AS dispute, d.reported_on, d.outcome, "
        "d.settled_on, d.satisfaction FROM json_each(:domains) a "
        "JOIN HAS_EXPERTISE he ON he.dst = a.value AND he.src_label = 'Person' "
        "JOIN HANDLED h ON h.src = he.src AND h.dst_label = 'Dispute' "
        "JOIN Dispute d ON d.id = h.dst "
        "WHERE EXISTS (SELECT 1 FROM IN_POOL m WHERE m.src = he.src "
        "AND m.dst_label = 'ExpertPool')"
    ),
}
# The conflict walk's ties of the nodes reached so far (`:nodes`, a JSON list of [label, key]),
# both ways, each holding on the date. The walk itself is breadth first (`shortest_walks`).
_TIES = " UNION ALL ".join(  # of constants, as _anchored
    f"SELECT t.src_label, t.src, t.dst_label, t.dst, '{tie}', {cols}, 1 FROM json_each(:nodes) n "  # noqa: S608
    f"JOIN {tie} t ON t.src = n.value ->> 1 AND t.src_label = n.value ->> 0{valid} "
    f"UNION ALL SELECT t.dst_label, t.dst, t.src_label, t.src, '{tie}', {cols}, 0 "
    f"FROM json_each(:nodes) n "
    f"JOIN {tie} t ON t.dst = n.value ->> 1 AND t.dst_label = n.value ->> 0{valid}"
    for tie, cols, valid in (
        (
            "RELATED_TO",
            "t.kind, t.relation, NULL",
            " AND (t.kind IS NULL OR t.kind IN (SELECT value FROM json_each(:kinds)))",
        ),
        (
            "WORKS_IN",
            "NULL, NULL, NULL",
            f" AND {holds_on('t', ':day')}",
        ),
        (
            "MEMBER_OF",
            "NULL, NULL, NULL",
            f" AND {holds_on('t', ':day')}",
        ),
        ("PARTY_TO", "NULL, NULL, t.side", ""),
    )
)
_NODE_FACTS = (
    "SELECT n.value ->> 0, n.value ->> 1, coalesce(p.name, o.name, g.name, b.name), d.title, "
    "d.reported_on FROM json_each(:nodes) n "
    "LEFT JOIN Person p ON n.value ->> 0 = 'Person' AND p.id = n.value ->> 1 "
    "LEFT JOIN Organisation o ON n.value ->> 0 = 'Organisation' AND o.id = n.value ->> 1 "
    "LEFT JOIN Department b ON n.value ->> 0 = 'Department' AND b.id = n.value ->> 1 "
    "LEFT JOIN PartyOrg g ON n.value ->> 0 = 'PartyOrg' AND g.id = n.value ->> 1 "
    "LEFT JOIN Dispute d ON n.value ->> 0 = 'Dispute' AND d.id = n.value ->> 1"
)

_PARTIES = "SELECT src_label, src, side FROM PARTY_TO WHERE dst = :dispute"
_PARAMETERS = re.compile(r":(\w+)")


def statements() -> dict[str, str]:
    """Every statement the SQLite peer runs, by a name: the named query's, or its branch's."""
    found = dict(_SQL)
    for name, (_, branches) in _BODIES.items():
        found.update((f"{name} {i + 1}", branch.sql) for i, branch in enumerate(branches))
    found.update(
        {
            "the anchor is a grid": _IS["Grid"],
            "the anchor is a unit": _IS["Unit"],
            "the conflict walk's ties": _TIES,
            "the conflict walk's nodes": _NODE_FACTS,
            "the parties of a dispute": _PARTIES,
        }
    )
    return found


# What a plan may read whole: the parameter lists (json_each), a constant row, the rows of a
# walk (a CTE) and, for pool_places, every pool (the answer is every pool). Anything else that
# a plan SCANs is a table an index could have searched; a Bloom filter is built by a scan of the
# table it filters, and a materialised join is read whole before the anchor narrows it.
WHOLE_READS_ALLOWED = frozenset(
    {
        "SCAN a VIRTUAL TABLE INDEX 1:",
        "SCAN n VIRTUAL TABLE INDEX 1:",
        "SCAN json_each VIRTUAL TABLE INDEX 1:",
        "SCAN CONSTANT ROW",
        "SCAN up",
        "SCAN up LEFT-JOIN",
        "SCAN units",
        "SCAN units LEFT-JOIN",
        "SCAN picked",
        "SCAN p USING COVERING INDEX sqlite_autoindex_ExpertPool_1",
    }
)


def whole_reads(plans: dict[str, list[str]]) -> dict[str, list[str]]:
    """Statement → the lines of its plan that read a whole table it need not read whole."""
    found = {}
    for name, lines in plans.items():
        bad = [
            line
            for line in lines
            if (line.startswith("SCAN ") and line not in WHOLE_READS_ALLOWED)
            or line.startswith(("BLOOM FILTER", "MATERIALIZE (join-", "AUTOMATIC"))
        ]
        if bad:
            found[name] = bad
    return found


class SqlitePeer(Peer):
    """The questions' named queries as SQL over a SQLite file (read-only)."""

    name = "SQLite"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.db = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, check_same_thread=False, cached_statements=256
        )  # every statement the peer runs stays prepared
        self.ran: dict[str, dict[str, Any]] = {}
        self.db.execute("PRAGMA cache_size = -262144")  # 256 MiB of pages

    def close(self) -> None:
        self.db.close()

    def _run(self, sql: str, params: dict[str, Any]) -> sqlite3.Cursor:
        self.ran.setdefault(sql, params)  # what the plans are checked with
        return self.db.execute(sql, params)  # sqlite3 keeps the statement prepared

    def plans(self) -> dict[str, list[str]]:
        """Every statement the peer runs → its query plan's lines (EXPLAIN QUERY PLAN), with
        the parameters of its first run, or placeholders for one not run yet."""
        found = {}
        for name, sql in statements().items():
            params = self.ran.get(sql) or dict.fromkeys(_PARAMETERS.findall(sql), "")
            rows = self.db.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
            found[name] = [row[3] for row in rows]
        return found

    def _all(self, sql: str, **params: Any) -> list[Row]:
        cursor = self._run(sql, params)
        names = [c[0] for c in cursor.description]
        dated = [i for i, n in enumerate(names) if n in DATE_COLUMNS]
        rows = []
        for values in cursor:
            row = dict(zip(names, values, strict=True))
            for i in dated:
                if values[i] is not None:
                    row[names[i]] = date.fromisoformat(values[i])
            rows.append(row)
        return rows

    def _query(self, name: str, **params: Any) -> list[Row]:
        return self._all(_SQL[name], **params)

    def _bodies(self, name: str, anchors: list[str], **params: Any) -> list[Row]:
        """A body query: each branch, each anchor that is there, by a statement of its own."""
        label, branches = _BODIES[name]
        there = [a for a in anchors if self._run(_IS[label], {"anchor": a}).fetchone()]
        return [
            row
            for branch in branches
            for anchor in there
            for row in self._all(branch.sql, anchor=anchor, **params)
            or [{"anchor": anchor, **branch.empty}]
        ]

    def grid_teams(self, grids: list[str]) -> list[Row]:
        return self._bodies("grid_teams", grids)

    def grid_party_orgs(self, grids: list[str]) -> list[Row]:
        return self._bodies("grid_party_orgs", grids)

    def liaison_bodies(self, grids: list[str], as_of: date) -> list[Row]:
        return self._bodies("liaison_bodies", grids, as_of=as_of.isoformat())

    def ladder_unit_bodies(
        self, units: list[str], as_of: date, mediation_kinds: list[str], court: str
    ) -> list[Row]:
        return self._bodies(
            "ladder_unit_bodies",
            units,
            as_of=as_of.isoformat(),
            mediation=json.dumps(mediation_kinds),
            court=court,
        )

    def ladder_stationed_departments(self, units: list[str], as_of: date) -> list[Row]:
        return self._bodies("ladder_stationed_departments", units, as_of=as_of.isoformat())

    def referral_unit_bodies(
        self,
        units: list[str],
        as_of: date,
        mediation_kinds: list[str],
        industry_kinds: list[str],
        court: str,
    ) -> list[Row]:
        return self._bodies(
            "referral_unit_bodies",
            units,
            as_of=as_of.isoformat(),
            mediation=json.dumps(mediation_kinds),
            industry=json.dumps(industry_kinds),
            court=court,
        )

    def dispute_facts(self, dispute: str) -> list[Row]:
        return self._query("dispute_facts", dispute=dispute)

    def grid_step(self, grid: str, as_of: date) -> list[Row]:
        return self._query("grid_step", grid=grid, as_of=as_of.isoformat())

    def unit_step(self, unit: str, as_of: date) -> list[Row]:
        return self._query("unit_step", unit=unit, as_of=as_of.isoformat())

    def party_visits(self, dispute: str, since: date, until: date) -> list[Row]:
        return self._query(
            "party_visits", dispute=dispute, since=since.isoformat(), until=until.isoformat()
        )

    def referral_item(self, item: str, category: str, item_class: str) -> list[Row]:
        return self._query("referral_item", item=item, category=category, item_class=item_class)

    def domain(self, code: str) -> list[Row]:
        return self._query("domain", code=code)

    def professional_grids(self, orgs: list[str]) -> list[Row]:
        return self._query("professional_grids", orgs=json.dumps(orgs))

    def dispute_orgs(self, dispute: str) -> list[Row]:
        return self._query("dispute_orgs", dispute=dispute)

    def place_units(self, place: str) -> list[Row]:
        return self._query("place_units", place=place)

    def dispute_parties(self, dispute: str) -> list[Row]:
        return self._query("dispute_parties", dispute=dispute)

    def expert_candidates(self, domains: list[str]) -> list[Row]:
        rows = self._query("expert_candidates", domains=json.dumps(domains))
        for row in rows:
            row["shared"] = None if row["shared"] is None else bool(row["shared"])
        return rows

    def pool_places(self) -> list[Row]:
        return self._query("pool_places")

    def expert_load(self, domains: list[str]) -> list[Row]:
        return self._query("expert_load", domains=json.dumps(domains))

    def _step(
        self, day: date, kinds: list[str], types: Sequence[str]
    ) -> Callable[[list[Any]], list[Tie]]:
        def step(nodes: list[Any]) -> list[Tie]:
            cursor = self._run(
                _TIES,
                {"nodes": json.dumps(nodes), "day": day.isoformat(), "kinds": json.dumps(kinds)},
            )
            return [
                Tie((a, b), (c, d), t, (a, b) if out else (c, d), k, r, s)
                for a, b, c, d, t, k, r, s, out in cursor
                if t in types
            ]

        return step

    def _facts(self, nodes: Iterable[Any]) -> dict[Any, tuple[str | None, str | None, Any]]:
        cursor = self._run(_NODE_FACTS, {"nodes": json.dumps(list(nodes))})
        return {
            (label, key): (name, title, date.fromisoformat(day) if day else None)
            for label, key, name, title, day in cursor
        }

    def _parties(self, dispute: str) -> list[tuple[str, str, str | None]]:
        return self._run(_PARTIES, {"dispute": dispute}).fetchall()


# -- the conflict walks, from either peer's ties ------------------------------------------------


def conflicts_from_dispute(
    step: Callable[[list[Any]], list[Tie]],
    facts: Callable[[Iterable[Any]], dict[Any, tuple[str | None, str | None, Any]]],
    dispute: str,
) -> list[Row]:
    """`expert_conflicts`: every shortest walk (1–4 ties) from the dispute to each person."""
    start = ("Dispute", dispute)
    walks = shortest_walks(start, 4, step, all_walks=True)
    people = [n for n in walks if n[0] == "Person"]
    between = {t.far for n in people for w in walks[n] for t in w[:-1]}
    known = facts(between)
    rows = []
    for person in people:
        for walk in walks[person]:
            inner = [t.far for t in walk[:-1]]
            rows.append(
                {
                    "expert": person[1],
                    "steps": len(walk),
                    "labels": [n[0] for n in inner],
                    "keys": [n[1] for n in inner],
                    "names": [known[n][0] for n in inner],
                    "titles": [known[n][1] for n in inner],
                    "reported": [known[n][2] for n in inner],
                    "node_ids": inner,
                    **_rels(walk),
                }
            )
    return rows


def conflicts_from_parties(
    step: Callable[[list[Any]], list[Tie]],
    facts: Callable[[Iterable[Any]], dict[Any, tuple[str | None, str | None, Any]]],
    dispute: str,
    experts: list[str],
    as_of: date,
    parties: Iterable[tuple[str, str, str | None]],
) -> list[Row]:
    """`conflict_paths`: from each party, a shortest walk (1–3 ties, never through the dispute
    or a dispute reported after the day) to each of `experts`."""
    wanted = {("Person", e) for e in experts}
    rows = []
    for label, key, side in parties:
        start = (label, key)
        reported: dict[Any, Any] = {}

        def counted(nodes: list[Any], reported: dict[Any, Any] = reported) -> list[Tie]:
            out = []
            for tie in step(nodes):
                if tie.far != ("Dispute", dispute):
                    out.append(tie)
            disputes = {t.far for t in out if t.far[0] == "Dispute"}
            reported.update((n, f[2]) for n, f in facts(disputes - reported.keys()).items())
            return [
                t
                for t in out
                if t.far[0] != "Dispute" or (reported[t.far] is None or reported[t.far] <= as_of)
            ]

        walks = shortest_walks(start, 3, counted, all_walks=False)
        found = [n for n in walks if n in wanted]
        nodes = {start, *found, *(t.far for n in found for t in walks[n][0])}
        known = facts(nodes)
        for person in found:
            walk = walks[person][0]
            path = [start, *(t.far for t in walk)]
            rows.append(
                {
                    "party": key,
                    "side": side,
                    "expert": person[1],
                    "hops": len(walk),
                    "labels": [n[0] for n in path],
                    "keys": [n[1] for n in path],
                    "names": [known[n][0] for n in path],
                    "titles": [None, *(known[n][1] for n in path[1:-1]), None],
                    "node_ids": path,
                    **_rels(walk),
                }
            )
    return rows


def _rels(walk: list[Tie]) -> dict[str, list[Any]]:
    return {
        "rel_types": [t.type for t in walk],
        "rel_starts": [t.start for t in walk],
        "kinds": [t.kind for t in walk],
        "relations": [t.relation for t in walk],
        "sides": [t.side for t in walk],
    }


# -- networkx ----------------------------------------------------------------------------------


def load_networkx(files: Sequence[Path], divisions: Sequence[str]) -> nx.MultiDiGraph:
    """A MultiDiGraph in memory: node (label, key) with its non-empty properties, an edge per
    relationship with its type (`type`) and properties."""
    import networkx as nx

    graph = nx.MultiDiGraph()
    for kind, rows in tables(files, divisions):
        if isinstance(kind, NodeType):
            label, key = kind.label, kind.key
            graph.add_nodes_from(
                ((label, row[key]), {k: v for k, v in row.items() if v is not None}) for row in rows
            )
        else:
            first = kind.endpoints[0]
            graph.add_edges_from(
                (
                    (row.get("from_type") or first[0], row["from"]),
                    (row.get("to_type") or first[1], row["to"]),
                    {"type": kind.type, **{k: v for k, v in _props(row).items()}},
                )
                for row in rows
            )
    return graph


def _props(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in row.items()
        if v is not None and k not in ("from", "to", "from_type", "to_type")
    }


HUB = 32  # neighbours from which a node's ties are indexed by type
_NOBODY = dict.fromkeys(("holder", "holder_name", "mobile", "post", "since", "until"))


class GraphPeer(Peer):
    """The questions' named queries as walks over a networkx graph in memory."""

    name = "networkx"

    def __init__(self, graph: nx.MultiDiGraph, hub: int = HUB) -> None:
        super().__init__()
        self.g = graph
        self.nodes = graph.nodes
        self.by_label: dict[str, list[Any]] = defaultdict(list)
        for node in graph:
            self.by_label[node[0]].append(node)
        self.position = {node: i for i, node in enumerate(self.by_label["ListItem"])}
        # The ties of a node with many neighbours, by direction and type, built once: networkx's
        # adjacency is not typed, and a typed step from a unit (its residents), a domain (its
        # experts) or an organisation (its staff) would look at every neighbour otherwise.
        self.typed: dict[tuple[Any, bool], dict[str, list[tuple[Any, dict]]]] = {}
        for forward, adjacency in ((True, graph.succ), (False, graph.pred)):
            for node, near in adjacency.items():
                if len(near) > hub:
                    by_type: dict[str, list[tuple[Any, dict]]] = defaultdict(list)
                    for far, edges in near.items():
                        for attrs in edges.values():
                            by_type[attrs["type"]].append((far, attrs))
                    self.typed[(node, forward)] = dict(by_type)

    def _out(self, node: Any, type_: str, label: str | None = None) -> Iterator[tuple[Any, dict]]:
        return self._ties(node, True, type_, label)

    def _in(self, node: Any, type_: str, label: str | None = None) -> Iterator[tuple[Any, dict]]:
        return self._ties(node, False, type_, label)

    def _ties(
        self, node: Any, forward: bool, type_: str, label: str | None
    ) -> Iterator[tuple[Any, dict]]:
        hub = self.typed.get((node, forward))
        if hub is not None:
            for far, attrs in hub.get(type_, ()):
                if label is None or far[0] == label:
                    yield far, attrs
            return
        for far, edges in (self.g.succ if forward else self.g.pred)[node].items():
            if label is None or far[0] == label:
                for attrs in edges.values():
                    if attrs["type"] == type_:
                        yield far, attrs

    def close(self) -> None:
        pass  # nothing open: the graph is in memory

    def _exists(self, node: Any, day: date) -> bool:
        """Whether `node` exists on `day` (graph.temporal's rule)."""
        attrs = self.nodes[node]
        return valid_on(attrs.get("valid_from"), attrs.get("valid_to"), day)

    # -- the bodies on a ladder

    def _held(
        self,
        anchor: str,
        rel: str,
        label: str,
        found: list[tuple[Any, str | None, str | None, dict]],
        kind: str,
        holders: str | None,
        post: str = "post",
        level: str | None = None,
    ) -> list[Row]:
        """Rows of one branch: each body found (node, via, via name, more columns) with each
        of its post-holders; a row of NULLs for an anchor with no body."""
        if not found:
            return [
                {
                    "anchor": anchor,
                    "rel": rel,
                    "body_label": label,  # a constant of the branch
                    "body_key": None,
                    "body_name": None,
                    "body_kind": None,
                    "body_level": None,
                    "via": "",
                    "via_name": "",
                    **_NOBODY,
                }
            ]
        rows = []
        for body, via, via_name, more in found:
            attrs = self.nodes[body]
            base = {
                "anchor": anchor,
                "rel": rel,
                "body_label": body[0],
                "body_key": body[1],
                "body_name": attrs.get("name"),
                "body_kind": attrs.get(kind),
                "body_level": attrs.get("level") if level is None else level,
                "via": via,
                "via_name": via_name,
                **more,
            }
            if holders is None:
                rows.append({**base, **dict.fromkeys(_NOBODY, ""), "since": None, "until": None})
                continue
            held = list(self._in(body, holders, "Person"))
            for person, tie in held:
                who = self.nodes[person]
                rows.append(
                    {
                        **base,
                        "holder": person[1],
                        "holder_name": who.get("name"),
                        "mobile": who.get("mobile"),
                        "post": tie.get(post),
                        "since": tie.get("valid_from"),
                        "until": tie.get("valid_to"),
                    }
                )
            if not held:
                rows.append({**base, **_NOBODY})
        return rows

    def _up(
        self, node: Any, type_: str, label: str, day: date | None = None
    ) -> list[tuple[str, str]]:
        """(key, name) of what `node` points on to by `type_` (existing on `day`, when given;
        '' when nothing)."""
        found = [
            (far[1], self.nodes[far].get("name"))
            for far, _ in self._out(node, type_, label)
            if day is None or self._exists(far, day)
        ]
        return found or [("", "")]

    def _centers(self, unit: Any, day: date) -> list[Row]:
        found = [
            (c, via, name, {})
            for c, _ in self._in(unit, "JURISDICTION", "Center")
            if self._exists(c, day)
            for via, name in self._up(c, "ESCALATES_TO", "Center", day)
        ]
        return self._held(unit[1], "JURISDICTION", "Center", found, "kind", "HOLDS_POST")

    def _located(self, unit: Any, label: str, keep: Callable[[dict], bool]) -> list[Any]:
        return [b for b, _ in self._in(unit, "LOCATED_IN", label) if keep(self.nodes[b])]

    def _committees(self, unit: Any, kinds: list[str]) -> list[Row]:
        found = [
            (m, "", "", {})
            for m in self._located(unit, "MediationOrg", lambda a: a.get("kind") in kinds)
        ]
        return self._held(unit[1], "LOCATED_IN", "MediationOrg", found, "kind", "MEDIATES_IN")

    def _party_orgs(self, anchor: Any, type_: str, rel: str) -> list[Row]:
        found = [
            (o, via, name, {})
            for o, _ in self._in(anchor, type_, "PartyOrg")
            for via, name in self._up(o, "SUBORDINATE_TO", "PartyOrg")
        ]
        return self._held(anchor[1], rel, "PartyOrg", found, "kind", "LEADS")

    def _departments(
        self, unit: Any, rel: str, day: date, keep: Callable[[dict], bool] = bool
    ) -> list[Row]:
        found = [
            (d, "", "", {}) for d in self._located(unit, "Department", keep) if self._exists(d, day)
        ]
        return self._held(unit[1], rel, "Department", found, "function", "HOLDS_POST")

    def _industry(self, unit: Any, kinds: list[str]) -> list[Row]:
        found = [
            (m, dm[1], self.nodes[dm].get("name"), {})
            for m in self._located(unit, "MediationOrg", lambda a: a.get("kind") in kinds)
            for dm, _ in self._out(m, "HAS_EXPERTISE", "Domain")
        ]
        rows = self._held(unit[1], "HAS_EXPERTISE", "MediationOrg", found, "kind", "MEDIATES_IN")
        if not found:  # the domain's columns, not constants, are empty
            rows[0].update(via=None, via_name=None)
        return rows

    def _each(self, label: str, keys: list[str], answer: Callable[[Any], list[Row]]) -> list[Row]:
        return [row for key in keys if (label, key) in self.nodes for row in answer((label, key))]

    def grid_teams(self, grids: list[str]) -> list[Row]:
        def team(grid: Any) -> list[Row]:
            return self._held(
                grid[1],
                "SERVES_IN",
                "Grid",
                [(grid, "", "", {})],
                "kind",
                "SERVES_IN",
                post="role",
                level="grid",
            )

        return self._each("Grid", grids, team)

    def grid_party_orgs(self, grids: list[str]) -> list[Row]:
        return self._each("Grid", grids, lambda g: self._party_orgs(g, "COVERS", "COVERS"))

    def _court(self, unit: Any, day: date, court: str) -> list[Row]:
        return self._departments(unit, "COURT", day, lambda a: a.get("function") == court)

    def ladder_unit_bodies(
        self, units: list[str], as_of: date, mediation_kinds: list[str], court: str
    ) -> list[Row]:
        return [
            *self._each("Unit", units, lambda u: self._centers(u, as_of)),
            *self._each("Unit", units, lambda u: self._committees(u, mediation_kinds)),
            *self._each("Unit", units, lambda u: self._party_orgs(u, "LOCATED_IN", "LOCATED_IN")),
            *self._each("Unit", units, lambda u: self._court(u, as_of, court)),
        ]

    def referral_unit_bodies(
        self,
        units: list[str],
        as_of: date,
        mediation_kinds: list[str],
        industry_kinds: list[str],
        court: str,
    ) -> list[Row]:
        return [
            *self._each("Unit", units, lambda u: self._centers(u, as_of)),
            *self._each("Unit", units, lambda u: self._committees(u, mediation_kinds)),
            *self._each("Unit", units, lambda u: self._departments(u, "FUNCTION", as_of)),
            *self._each("Unit", units, lambda u: self._industry(u, industry_kinds)),
            *self._each("Unit", units, lambda u: self._court(u, as_of, court)),
        ]

    def ladder_stationed_departments(self, units: list[str], as_of: date) -> list[Row]:
        def stationed(unit: Any) -> list[Row]:
            found = [
                (
                    d,
                    c[1],
                    self.nodes[c].get("name"),
                    {"stationed_from": st.get("valid_from"), "stationed_to": st.get("valid_to")},
                )
                for c, _ in self._in(unit, "JURISDICTION", "Center")
                if self._exists(c, as_of)
                for d, st in self._in(c, "STATIONED_AT", "Department")
                if self._exists(d, as_of)
            ]
            rows = self._held(
                unit[1], "STATIONED_AT", "Department", found, "function", "HOLDS_POST"
            )
            if not found:
                rows[0].update(via=None, via_name=None, stationed_from=None, stationed_to=None)
            return rows

        return self._each("Unit", units, stationed)

    def liaison_bodies(self, grids: list[str], as_of: date) -> list[Row]:
        def branch(label: str, kind: str, holders: str | None, level: str | None, dated: bool):
            def rows(grid: Any) -> list[Row]:
                found = [
                    (b, "", "", {})
                    for b, _ in self._out(grid, "LIAISES_WITH", label)
                    if not dated or self._exists(b, as_of)
                ]
                return self._held(grid[1], "LIAISES_WITH", label, found, kind, holders, level=level)

            return rows

        return [
            *self._each("Grid", grids, branch("Department", "function", "HOLDS_POST", None, True)),
            *self._each("Grid", grids, branch("Center", "kind", "HOLDS_POST", None, True)),
            *self._each("Grid", grids, branch("Organisation", "kind", None, "", False)),
        ]

    # -- the rest

    def dispute_facts(self, dispute: str) -> list[Row]:
        node = ("Dispute", dispute)
        if node not in self.nodes:
            return []
        d = self.nodes[node]
        grids = [g for g, _ in self._out(node, "OCCURRED_IN", "Grid")] or [None]
        domains = [x for x, _ in self._out(node, "IN_DOMAIN", "Domain")] or [None]
        items = [x for x, _ in self._out(node, "CLASSIFIED_AS", "ListItem")] or [None]
        count = sum(1 for _ in self._in(node, "PARTY_TO"))
        return [
            {
                "title": d.get("title"),
                "reported_on": d.get("reported_on"),
                "parties": d.get("parties"),
                "party_count": count,
                "warning": d.get("warning"),
                "status": d.get("status"),
                "outcome": d.get("outcome"),
                "grid": g and g[1],
                "grid_name": g and self.nodes[g].get("name"),
                "domain": dm and dm[1],
                "domain_name": dm and self.nodes[dm].get("name"),
                "item": li and li[1],
                "item_name": li and self.nodes[li].get("name"),
            }
            for g in grids
            for dm in domains
            for li in items
        ]

    def grid_step(self, grid: str, as_of: date) -> list[Row]:
        node = ("Grid", grid)
        if node not in self.nodes:
            return []
        g = self.nodes[node]
        base = {
            "name": g.get("name"),
            "kind": g.get("kind"),
            "unit_level": g.get("unit_level"),
            "location": g.get("location"),
            "liaisons": sum(1 for _ in self._out(node, "LIAISES_WITH")),
        }
        rows = [
            {
                **base,
                "parent_label": "Unit" if n[0] == "Unit" else "Grid",
                "parent": n[1],
                "parent_name": self.nodes[n].get("name"),
                "parent_level": self.nodes[n].get("level") if n[0] == "Unit" else None,
            }
            for n, _ in self._out(node, "PART_OF")
            if self._exists(n, as_of)
        ]
        return rows or [
            {
                **base,
                "parent_label": "Grid",
                "parent": None,
                "parent_name": None,
                "parent_level": None,
            }
        ]

    def unit_step(self, unit: str, as_of: date) -> list[Row]:
        node = ("Unit", unit)
        if node not in self.nodes:
            return []
        return [
            {
                "parent": n[1],
                "parent_name": self.nodes[n].get("name"),
                "parent_level": self.nodes[n].get("level"),
            }
            for n, _ in self._out(node, "PART_OF", "Unit")
            if self._exists(n, as_of)
        ]

    def party_visits(self, dispute: str, since: date, until: date) -> list[Row]:
        node = ("Dispute", dispute)
        if node not in self.nodes:
            return []
        counts: dict[str, int] = {}
        for person, _ in self._in(node, "PARTY_TO", "Person"):
            n = 0
            for d, _ in self._out(person, "PARTY_TO", "Dispute"):
                day = self.nodes[d].get("reported_on")
                n += day is not None and since <= day <= until
            if n:
                counts[person[1]] = counts.get(person[1], 0) + n
        return [{"person": p, "n": n} for p, n in counts.items()]

    def referral_item(self, item: str, category: str, item_class: str) -> list[Row]:
        rows = []
        picked = {("ListItem", item)} & self.position.keys()
        if ("Domain", category) in self.nodes:
            picked.update(
                li
                for li, _ in self._in(("Domain", category), "HAS_EXPERTISE", "ListItem")
                if self.nodes[li].get("item_class") == item_class
            )
        for li in sorted(picked, key=self.position.__getitem__):  # in the order loaded
            a = self.nodes[li]
            domains = [d for d, _ in self._out(li, "HAS_EXPERTISE", "Domain")]
            held = [
                (d, rf, u)
                for d, rf in self._in(li, "RESPONSIBLE_FOR", "Department")
                for u, _ in self._out(d, "LOCATED_IN", "Unit")
            ] or [(None, {}, None)]
            for dm in domains or [None]:
                for d, rf, u in held:
                    rows.append(
                        {
                            "item": li[1],
                            "item_name": a.get("name"),
                            "item_class": a.get("item_class"),
                            "item_limit": a.get("time_limit_days"),
                            "domain": dm and dm[1],
                            "domain_name": dm and self.nodes[dm].get("name"),
                            "department": d and d[1],
                            "department_name": d and self.nodes[d].get("name"),
                            "function": d and self.nodes[d].get("function"),
                            "limit": rf.get("time_limit_days"),
                            "department_unit": u and u[1],
                        }
                    )
        return rows

    def domain(self, code: str) -> list[Row]:
        node = ("Domain", code)
        return [{"code": code, "name": self.nodes[node].get("name")}] if node in self.nodes else []

    def professional_grids(self, orgs: list[str]) -> list[Row]:
        found = [("Organisation", o) for o in orgs if ("Organisation", o) in self.nodes]
        return [
            {
                "org": o[1],
                "org_name": self.nodes[o].get("name"),
                "grid": g[1],
                "grid_name": self.nodes[g].get("name"),
                "field": self.nodes[g].get("field"),
            }
            for o in found
            for g, _ in self._in(o, "SUPERVISES", "Grid")
        ]

    def place_units(self, place: str) -> list[Row]:
        rows = []
        for label, least in (("Grid", 1), ("Unit", 0)):
            start = (label, place)
            if start not in self.nodes:
                continue
            base = {"label": label, "name": self.nodes[start].get("name")}
            found = []
            walk = [(start, 0)]
            while walk:  # every PART_OF path, as a variable-length match finds them
                node, hops = walk.pop()
                if node[0] == "Unit" and hops >= least:
                    found.append((node, hops))
                if hops < 8:
                    walk.extend((up, hops + 1) for up, _ in self._out(node, "PART_OF"))
            rows += [
                {
                    **base,
                    "unit": u[1],
                    "unit_name": self.nodes[u].get("name"),
                    "level": self.nodes[u].get("level"),
                    "hops": hops,
                }
                for u, hops in sorted(found, key=lambda f: f[1])
            ] or [{**base, "unit": None, "unit_name": None, "level": None, "hops": None}]
        return rows

    def dispute_orgs(self, dispute: str) -> list[Row]:
        node = ("Dispute", dispute)
        if node not in self.nodes:
            return []
        return [{"org": o[1]} for o, _ in self._in(node, "PARTY_TO", "Organisation")]

    def dispute_parties(self, dispute: str) -> list[Row]:
        node = ("Dispute", dispute)
        if node not in self.nodes:
            return []
        return [
            {"party": p[1], "side": t.get("side")} for p, t in self._in(node, "PARTY_TO", "Person")
        ]

    def _experts(self, domains: list[str]) -> Iterator[tuple[Any, Any]]:
        for code in domains:
            if ("Domain", code) in self.nodes:
                for e, _ in self._in(("Domain", code), "HAS_EXPERTISE", "Person"):
                    yield ("Domain", code), e

    def expert_candidates(self, domains: list[str]) -> list[Row]:
        rows = []
        for dm, e in self._experts(domains):
            who = self.nodes[e]
            homes = [u[1] for u, _ in self._out(e, "LIVES_IN", "Unit")] or [None]
            for pool, m in self._out(e, "IN_POOL", "ExpertPool"):
                p = self.nodes[pool]
                rows += [
                    {
                        "domain": dm[1],
                        "domain_name": self.nodes[dm].get("name"),
                        "expert": e[1],
                        "name": who.get("name"),
                        "mobile": who.get("mobile"),
                        "profession": who.get("profession"),
                        "pool": pool[1],
                        "pool_name": p.get("name"),
                        "shared": p.get("shared"),
                        "since": m.get("valid_from"),
                        "until": m.get("valid_to"),
                        "home": home,
                    }
                    for home in homes
                ]
        return rows

    def pool_places(self) -> list[Row]:
        return [
            {"pool": p[1], "unit": u}
            for p in self.by_label["ExpertPool"]
            for u in [x[1] for x, _ in self._out(p, "LOCATED_IN", "Unit")] or [None]
        ]

    def expert_load(self, domains: list[str]) -> list[Row]:
        rows: dict[tuple[str, str], Row] = {}
        for _, e in self._experts(domains):
            if next(self._out(e, "IN_POOL", "ExpertPool"), None) is None:
                continue
            for d, _ in self._out(e, "HANDLED", "Dispute"):
                a = self.nodes[d]
                rows[(e[1], d[1])] = {
                    "expert": e[1],
                    "dispute": d[1],
                    "reported_on": a.get("reported_on"),
                    "outcome": a.get("outcome"),
                    "settled_on": a.get("settled_on"),
                    "satisfaction": a.get("satisfaction"),
                }
        return list(rows.values())

    def _step(
        self, day: date, kinds: list[str], types: Sequence[str]
    ) -> Callable[[list[Any]], list[Tie]]:
        def holds(tie: dict) -> bool:
            if tie["type"] not in types:
                return False
            if tie.get("kind") is not None and tie["kind"] not in kinds:
                return False
            return valid_on(tie.get("valid_from"), tie.get("valid_to"), day)

        def step(nodes: list[Any]) -> list[Tie]:
            ties = []
            for node in nodes:
                if node not in self.nodes:
                    continue  # a dispute not in the graph: no tie, as a MATCH finds none
                for near, adjacency, forward in (
                    (node, self.g.succ, True),
                    (node, self.g.pred, False),
                ):
                    for far, edges in adjacency[near].items():
                        for t in edges.values():
                            if holds(t):
                                ties.append(
                                    Tie(
                                        near,
                                        far,
                                        t["type"],
                                        near if forward else far,
                                        t.get("kind"),
                                        t.get("relation"),
                                        t.get("side"),
                                    )
                                )
            return ties

        return step

    def _facts(self, nodes: Iterable[Any]) -> dict[Any, tuple[str | None, str | None, Any]]:
        return {
            n: (
                self.nodes[n].get("name"),
                self.nodes[n].get("title"),
                self.nodes[n].get("reported_on"),
            )
            for n in nodes
        }

    def _parties(self, dispute: str) -> list[tuple[str, str, str | None]]:
        node = ("Dispute", dispute)
        if node not in self.nodes:
            return []
        return [(p[0], p[1], t.get("side")) for p, t in self._in(node, "PARTY_TO")]

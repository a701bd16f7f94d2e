"""Peers for the benchmark of issue 15: SQLite and networkx as stand-in backends.

The three headline questions (queries/referral.py, experts.py, escalation.py) read every row
through named queries (`queries.library.run` → `backend.read(text, params)`). A peer is an
object with that `read`: it knows each named query's text (and its dialect variants), answers
the ones the questions read from its own data (SQL over SQLite, walks over a networkx graph)
with the same columns, and raises `NotNamed` for any other text. The product's own rule code
then runs over the peer, so only the data access differs. A peer has no `version` or `stamp`,
so `queries.cache` keeps nothing for it: every question reads its data every time.

Both peers load the same generated files as the product (CSV, an empty cell is NULL, values
typed by graph.schema) and the same division rows (`loaders.divisions`).
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from graph.backend import Params, Row
from graph.schema import NODE_TYPES, REL_TYPES, NodeType, RelType, Type
from loaders.divisions import divisions_within
from queries.library import named_queries, variants

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
        yield {
            k: (typed[k](v) if k in typed else v) if v != "" else None for k, v in row.items()
        }


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


class Peer:
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

    def close(self) -> None:
        pass


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
    or one per node (the least by the keys along it)."""
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
                found = [min(found, key=lambda w: [t.far for t in reversed(w)])]
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
            sql = f'INSERT OR REPLACE INTO "{kind.label}" VALUES ({", ".join("?" * len(names))})'
            db.executemany(sql, ([_sql(row.get(c)) for c in names] for row in rows))
        else:
            names = ["from", "to", "from_type", "to_type", *_columns(kind)]
            first = kind.endpoints[0]
            sql = f'INSERT INTO "{kind.type}" VALUES ({", ".join("?" * len(names))})'
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


def _anchored(
    rel: str,
    anchor: str,
    body: str,
    join: str,
    kind: str = "kind",
    level: str = "b.level",
    via: str = "''",
    via_name: str = "''",
    holders: str | None = "HOLDS_POST",
    post: str = "post",
    more: str = "",
) -> str:
    """One branch of a body query: each anchor (`:anchors`), its `body` nodes `b` by `join`
    (LEFT JOIN: an anchor without one gives a row of NULLs), and their post-holders."""
    key = "code" if anchor == "Unit" else "id"
    held = (
        f"LEFT JOIN \"{holders}\" h ON h.dst = b.id AND h.dst_label = '{body}' "
        f"LEFT JOIN Person p ON p.id = h.src AND h.src_label = 'Person'"
        if holders
        else ""
    )
    who = (
        f"p.id AS holder, p.name AS holder_name, p.mobile AS mobile, h.\"{post}\" AS post, "
        "h.valid_from AS since, h.valid_to AS until"
        if holders
        else "'' AS holder, '' AS holder_name, '' AS mobile, '' AS post, NULL AS since, "
        "NULL AS until"
    )
    return (
        f"SELECT a.value AS anchor, '{rel}' AS rel, '{body}' AS body_label, b.id AS body_key, "
        f"b.name AS body_name, b.\"{kind}\" AS body_kind, {level} AS body_level, "
        f"{via} AS via, {via_name} AS via_name, {who}{more} "
        f"FROM json_each(:anchors) a JOIN \"{anchor}\" x ON x.{key} = a.value "
        f"{join} {held}"
    )


_CENTERS = _anchored(
    "JURISDICTION",
    "Unit",
    "Center",
    "LEFT JOIN (JURISDICTION j JOIN Center b ON b.id = j.src AND j.src_label = 'Center') "
    "ON j.dst = x.code LEFT JOIN (ESCALATES_TO e JOIN Center up ON up.id = e.dst) "
    "ON e.src = b.id",
    via="coalesce(up.id, '')",
    via_name="coalesce(up.name, '')",
)
_COMMITTEES = _anchored(
    "LOCATED_IN",
    "Unit",
    "MediationOrg",
    "LEFT JOIN (LOCATED_IN l JOIN MediationOrg b ON b.id = l.src "
    "AND l.src_label = 'MediationOrg' AND b.kind IN (SELECT value FROM json_each(:mediation))) "
    "ON l.dst = x.code",
    holders="MEDIATES_IN",
)
_PARTY_ORGS = _anchored(
    "LOCATED_IN",
    "Unit",
    "PartyOrg",
    "LEFT JOIN (LOCATED_IN l JOIN PartyOrg b ON b.id = l.src AND l.src_label = 'PartyOrg') "
    "ON l.dst = x.code LEFT JOIN (SUBORDINATE_TO s JOIN PartyOrg up ON up.id = s.dst) "
    "ON s.src = b.id",
    via="coalesce(up.id, '')",
    via_name="coalesce(up.name, '')",
    holders="LEADS",
)
_COURT = _anchored(
    "COURT",
    "Unit",
    "Department",
    "LEFT JOIN (LOCATED_IN l JOIN Department b ON b.id = l.src AND l.src_label = 'Department' "
    "AND b.function = :court) ON l.dst = x.code",
    kind="function",
)
_DEPARTMENTS = _anchored(
    "FUNCTION",
    "Unit",
    "Department",
    "LEFT JOIN (LOCATED_IN l JOIN Department b ON b.id = l.src AND l.src_label = 'Department') "
    "ON l.dst = x.code",
    kind="function",
)
_INDUSTRY = _anchored(
    "HAS_EXPERTISE",
    "Unit",
    "MediationOrg",
    "LEFT JOIN (LOCATED_IN l JOIN MediationOrg b ON b.id = l.src "
    "AND l.src_label = 'MediationOrg' AND b.kind IN (SELECT value FROM json_each(:industry)) "
    "JOIN HAS_EXPERTISE e ON e.src = b.id AND e.src_label = 'MediationOrg' "
    "JOIN Domain up ON up.code = e.dst) ON l.dst = x.code",
    via="up.code",
    via_name="up.name",
    holders="MEDIATES_IN",
)
_STATIONED = _anchored(
    "STATIONED_AT",
    "Unit",
    "Department",
    "LEFT JOIN (JURISDICTION j JOIN Center c ON c.id = j.src AND j.src_label = 'Center' "
    "JOIN STATIONED_AT st ON st.dst = c.id JOIN Department b ON b.id = st.src) "
    "ON j.dst = x.code",
    kind="function",
    via="c.id",
    via_name="c.name",
    more=", st.valid_from AS stationed_from, st.valid_to AS stationed_to",
)


def _liaison(body: str, kind: str, holders: str | None, level: str) -> str:
    return _anchored(
        "LIAISES_WITH",
        "Grid",
        body,
        f"LEFT JOIN (LIAISES_WITH l JOIN \"{body}\" b ON b.id = l.dst "
        f"AND l.dst_label = '{body}') ON l.src = x.id",
        kind=kind,
        holders=holders,
        level=level,
    )


_SQL = {
    "grid_teams": (
        "SELECT a.value AS anchor, 'SERVES_IN' AS rel, 'Grid' AS body_label, x.id AS body_key, "
        "x.name AS body_name, x.kind AS body_kind, 'grid' AS body_level, '' AS via, "
        "'' AS via_name, p.id AS holder, p.name AS holder_name, p.mobile AS mobile, "
        "h.role AS post, h.valid_from AS since, h.valid_to AS until "
        "FROM json_each(:anchors) a JOIN Grid x ON x.id = a.value "
        "LEFT JOIN SERVES_IN h ON h.dst = x.id LEFT JOIN Person p ON p.id = h.src"
    ),
    "grid_party_orgs": _anchored(
        "COVERS",
        "Grid",
        "PartyOrg",
        "LEFT JOIN (COVERS c JOIN PartyOrg b ON b.id = c.src) ON c.dst = x.id "
        "LEFT JOIN (SUBORDINATE_TO s JOIN PartyOrg up ON up.id = s.dst) ON s.src = b.id",
        via="coalesce(up.id, '')",
        via_name="coalesce(up.name, '')",
        holders="LEADS",
    ),
    "ladder_unit_bodies": " UNION ALL ".join((_CENTERS, _COMMITTEES, _PARTY_ORGS, _COURT)),
    "ladder_stationed_departments": _STATIONED,
    "liaison_bodies": " UNION ALL ".join(
        (
            _liaison("Department", "function", "HOLDS_POST", "b.level"),
            _liaison("Center", "kind", "HOLDS_POST", "b.level"),
            _liaison("Organisation", "kind", None, "''"),
        )
    ),
    "referral_unit_bodies": " UNION ALL ".join(
        (_CENTERS, _COMMITTEES, _DEPARTMENTS, _INDUSTRY, _COURT)
    ),
    "dispute_facts": (
        "SELECT d.title, d.reported_on, d.parties, "
        "(SELECT count(*) FROM PARTY_TO t WHERE t.dst = d.id) AS party_count, d.warning, "
        "d.status, d.outcome, g.id AS grid, g.name AS grid_name, dm.code AS domain, "
        "dm.name AS domain_name, li.id AS item, li.name AS item_name FROM Dispute d "
        "LEFT JOIN (OCCURRED_IN o JOIN Grid g ON g.id = o.dst) ON o.src = d.id "
        "LEFT JOIN (IN_DOMAIN i JOIN Domain dm ON dm.code = i.dst) ON i.src = d.id "
        "LEFT JOIN (CLASSIFIED_AS c JOIN ListItem li ON li.id = c.dst) ON c.src = d.id "
        "WHERE d.id = :dispute"
    ),
    "grid_step": (
        "SELECT g.name, g.kind, g.unit_level, g.location, "
        "(SELECT count(*) FROM LIAISES_WITH l WHERE l.src = g.id) AS liaisons, "
        "CASE WHEN u.code IS NULL THEN 'Grid' ELSE 'Unit' END AS parent_label, "
        "coalesce(pg.id, u.code) AS parent, coalesce(pg.name, u.name) AS parent_name, "
        "u.level AS parent_level FROM Grid g "
        "LEFT JOIN PART_OF p ON p.src = g.id AND p.src_label = 'Grid' "
        "LEFT JOIN Grid pg ON pg.id = p.dst AND p.dst_label = 'Grid' "
        "LEFT JOIN Unit u ON u.code = p.dst AND p.dst_label = 'Unit' WHERE g.id = :grid"
    ),
    "unit_step": (
        "SELECT n.code AS parent, n.name AS parent_name, n.level AS parent_level "
        "FROM PART_OF p JOIN Unit n ON n.code = p.dst "
        "WHERE p.src = :unit AND p.src_label = 'Unit' AND p.dst_label = 'Unit'"
    ),
    "party_visits": (
        "SELECT p.src AS person, count(*) AS n FROM PARTY_TO p "
        "JOIN PARTY_TO q ON q.src = p.src AND q.src_label = 'Person' "
        "JOIN Dispute d ON d.id = q.dst "
        "WHERE p.dst = :dispute AND p.src_label = 'Person' "
        "AND d.reported_on >= :since AND d.reported_on <= :until GROUP BY p.src"
    ),
    "referral_item": (
        "SELECT li.id AS item, li.name AS item_name, li.item_class, "
        "li.time_limit_days AS item_limit, dm.code AS domain, dm.name AS domain_name, "
        "d.id AS department, d.name AS department_name, d.function, "
        "rf.time_limit_days AS \"limit\", u.code AS department_unit FROM ListItem li "
        "LEFT JOIN (HAS_EXPERTISE he JOIN Domain dm ON dm.code = he.dst) "
        "ON he.src = li.id AND he.src_label = 'ListItem' "
        "LEFT JOIN (RESPONSIBLE_FOR rf JOIN Department d ON d.id = rf.src "
        "JOIN LOCATED_IN l ON l.src = d.id AND l.src_label = 'Department' "
        "JOIN Unit u ON u.code = l.dst) ON rf.dst = li.id "
        "WHERE li.id = :item OR (li.item_class = :item_class AND EXISTS (SELECT 1 FROM "
        "HAS_EXPERTISE x WHERE x.src = li.id AND x.src_label = 'ListItem' "
        "AND x.dst = :category)) ORDER BY li.rowid"
    ),
    "domain": "SELECT code, name FROM Domain WHERE code = :code",
    "professional_grids": (
        "SELECT o.id AS org, o.name AS org_name, g.id AS grid, g.name AS grid_name, g.field "
        "FROM json_each(:orgs) a JOIN SUPERVISES s ON s.dst = a.value "
        "JOIN Organisation o ON o.id = s.dst JOIN Grid g ON g.id = s.src "
        "UNION ALL SELECT o.id, o.name, g.id, g.name, g.field FROM PARTY_TO t "
        "JOIN Organisation o ON o.id = t.src AND t.src_label = 'Organisation' "
        "JOIN SUPERVISES s ON s.dst = o.id JOIN Grid g ON g.id = s.src WHERE t.dst = :dispute"
    ),
    "place_units": (
        "WITH RECURSIVE up(node, label, hops) AS (SELECT :place, 'Grid', 0 "
        "UNION ALL SELECT p.dst, p.dst_label, up.hops + 1 FROM up JOIN PART_OF p "
        "ON p.src = up.node AND p.src_label = up.label WHERE up.hops < 8), "
        "units(node, label, hops) AS (SELECT :place, 'Unit', 0 "
        "UNION ALL SELECT p.dst, p.dst_label, units.hops + 1 FROM units JOIN PART_OF p "
        "ON p.src = units.node AND p.src_label = 'Unit' WHERE units.hops < 8) "
        "SELECT 'Grid' AS label, g.name, u.code AS unit, u.name AS unit_name, u.level, "
        "up.hops FROM Grid g LEFT JOIN (up JOIN Unit u ON u.code = up.node "
        "AND up.label = 'Unit' AND up.hops >= 1) WHERE g.id = :place "
        "UNION ALL SELECT 'Unit', x.name, u.code, u.name, u.level, units.hops FROM Unit x "
        "LEFT JOIN (units JOIN Unit u ON u.code = units.node AND units.label = 'Unit') "
        "WHERE x.code = :place"
    ),
    "dispute_parties": (
        "SELECT src AS party, side FROM PARTY_TO WHERE dst = :dispute AND src_label = 'Person'"
    ),
    "expert_candidates": (
        "SELECT dm.code AS domain, dm.name AS domain_name, e.id AS expert, e.name, e.mobile, "
        "e.profession, pool.id AS pool, pool.name AS pool_name, pool.shared, "
        "m.valid_from AS since, m.valid_to AS until, v.code AS home "
        "FROM json_each(:domains) a JOIN Domain dm ON dm.code = a.value "
        "JOIN HAS_EXPERTISE he ON he.dst = dm.code AND he.src_label = 'Person' "
        "JOIN Person e ON e.id = he.src JOIN IN_POOL m ON m.src = e.id "
        "JOIN ExpertPool pool ON pool.id = m.dst "
        "LEFT JOIN (LIVES_IN lv JOIN Unit v ON v.code = lv.dst) ON lv.src = e.id"
    ),
    "pool_places": (
        "SELECT p.id AS pool, u.code AS unit FROM ExpertPool p "
        "LEFT JOIN (LOCATED_IN l JOIN Unit u ON u.code = l.dst) "
        "ON l.src = p.id AND l.src_label = 'ExpertPool'"
    ),
    "expert_load": (
        "SELECT DISTINCT he.src AS expert, d.id AS dispute, d.reported_on, d.outcome, "
        "d.settled_on, d.satisfaction FROM json_each(:domains) a "
        "JOIN HAS_EXPERTISE he ON he.dst = a.value AND he.src_label = 'Person' "
        "JOIN HANDLED h ON h.src = he.src JOIN Dispute d ON d.id = h.dst "
        "WHERE EXISTS (SELECT 1 FROM IN_POOL m WHERE m.src = he.src)"
    ),
}
# The conflict walk's ties of the nodes reached so far (`:nodes`, a JSON list of [label, key]),
# both ways, each holding on the date. The walk itself is breadth first (`shortest_walks`).
_TIES = " UNION ALL ".join(
    f"SELECT t.src_label, t.src, t.dst_label, t.dst, '{tie}', {cols}, 1 FROM json_each(:nodes) n "
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
            " AND (t.valid_from IS NULL OR t.valid_from <= :day) "
            "AND (t.valid_to IS NULL OR t.valid_to >= :day)",
        ),
        (
            "MEMBER_OF",
            "NULL, NULL, NULL",
            " AND (t.valid_from IS NULL OR t.valid_from <= :day) "
            "AND (t.valid_to IS NULL OR t.valid_to >= :day)",
        ),
        ("PARTY_TO", "NULL, NULL, t.side", ""),
    )
)
_NODE_FACTS = (
    "SELECT n.value ->> 0, n.value ->> 1, coalesce(p.name, o.name, g.name), d.title, "
    "d.reported_on FROM json_each(:nodes) n "
    "LEFT JOIN Person p ON n.value ->> 0 = 'Person' AND p.id = n.value ->> 1 "
    "LEFT JOIN Organisation o ON n.value ->> 0 = 'Organisation' AND o.id = n.value ->> 1 "
    "LEFT JOIN PartyOrg g ON n.value ->> 0 = 'PartyOrg' AND g.id = n.value ->> 1 "
    "LEFT JOIN Dispute d ON n.value ->> 0 = 'Dispute' AND d.id = n.value ->> 1"
)


class SqlitePeer(Peer):
    """The questions' named queries as SQL over a SQLite file (read-only)."""

    name = "SQLite"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.db.execute("PRAGMA cache_size = -262144")  # 256 MiB of pages

    def close(self) -> None:
        self.db.close()

    def _all(self, name: str, **params: Any) -> list[Row]:
        cursor = self.db.execute(_SQL[name], params)
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

    def _bodies(self, name: str, anchors: list[str], **params: Any) -> list[Row]:
        return self._all(name, anchors=json.dumps(anchors), **params)

    def grid_teams(self, grids: list[str]) -> list[Row]:
        return self._bodies("grid_teams", grids)

    def grid_party_orgs(self, grids: list[str]) -> list[Row]:
        return self._bodies("grid_party_orgs", grids)

    def liaison_bodies(self, grids: list[str]) -> list[Row]:
        return self._bodies("liaison_bodies", grids)

    def ladder_unit_bodies(
        self, units: list[str], mediation_kinds: list[str], court: str
    ) -> list[Row]:
        return self._bodies(
            "ladder_unit_bodies", units, mediation=json.dumps(mediation_kinds), court=court
        )

    def ladder_stationed_departments(self, units: list[str]) -> list[Row]:
        return self._bodies("ladder_stationed_departments", units)

    def referral_unit_bodies(
        self, units: list[str], mediation_kinds: list[str], industry_kinds: list[str], court: str
    ) -> list[Row]:
        return self._bodies(
            "referral_unit_bodies",
            units,
            mediation=json.dumps(mediation_kinds),
            industry=json.dumps(industry_kinds),
            court=court,
        )

    def dispute_facts(self, dispute: str) -> list[Row]:
        return self._all("dispute_facts", dispute=dispute)

    def grid_step(self, grid: str) -> list[Row]:
        return self._all("grid_step", grid=grid)

    def unit_step(self, unit: str) -> list[Row]:
        return self._all("unit_step", unit=unit)

    def party_visits(self, dispute: str, since: date, until: date) -> list[Row]:
        return self._all(
            "party_visits", dispute=dispute, since=since.isoformat(), until=until.isoformat()
        )

    def referral_item(self, item: str, category: str, item_class: str) -> list[Row]:
        return self._all("referral_item", item=item, category=category, item_class=item_class)

    def domain(self, code: str) -> list[Row]:
        return self._all("domain", code=code)

    def professional_grids(self, orgs: list[str], dispute: str) -> list[Row]:
        return self._all("professional_grids", orgs=json.dumps(orgs), dispute=dispute)

    def place_units(self, place: str) -> list[Row]:
        return self._all("place_units", place=place)

    def dispute_parties(self, dispute: str) -> list[Row]:
        return self._all("dispute_parties", dispute=dispute)

    def expert_candidates(self, domains: list[str]) -> list[Row]:
        rows = self._all("expert_candidates", domains=json.dumps(domains))
        for row in rows:
            row["shared"] = None if row["shared"] is None else bool(row["shared"])
        return rows

    def pool_places(self) -> list[Row]:
        return self._all("pool_places")

    def expert_load(self, domains: list[str]) -> list[Row]:
        return self._all("expert_load", domains=json.dumps(domains))

    def _step(self, day: date, kinds: list[str], types: Sequence[str]) -> Callable:
        def step(nodes: list[Any]) -> list[Tie]:
            cursor = self.db.execute(
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
        cursor = self.db.execute(_NODE_FACTS, {"nodes": json.dumps(list(nodes))})
        return {
            (label, key): (name, title, date.fromisoformat(day) if day else None)
            for label, key, name, title, day in cursor
        }

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
        parties = self.db.execute(
            "SELECT src_label, src, side FROM PARTY_TO WHERE dst = ?", (dispute,)
        ).fetchall()
        step = self._step(as_of, related_kinds, ties)
        return conflicts_from_parties(step, self._facts, dispute, experts, as_of, parties)


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

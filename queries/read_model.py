"""The slowly-changing structure of the graph held in memory, answering the named queries the
headline questions read (ladders, teams, centers, posts, list items, pools, a dispute's ties
and the ties between people) without Cypher, or with one read by key.

LadybugDB spends a few tenths of a millisecond setting up each join of a query, whatever it
then finds, and a ladder takes a dozen such queries. The structure they read (units, grids,
centers, departments, posts and their holders, pools, list items, domains and the ties
between them) changes when a load runs, not between two requests, and is small: a city's is
read by one bulk read per label and relationship type (through the backend's `read`, with
every property the answered queries name, so a property a query comes to read is held) and
answered from dictionaries. The parity test is the judge of every answer. A query that
takes `$as_of` leaves out the units, grids, centers and departments that do not exist that
day by graph.temporal's rule (`valid_on`, the Python form of the Cypher's `holds_on`).

    model = attach(backend)                 # when the graph opens (api.opening)
    rows = answer(backend, query, params)   # queries.library.run: the rows, or None

`answer` gives exactly the rows the query's Cypher gives (the same columns and values; the
queries answered here have no ORDER BY, and their callers take rows in any order), as the
parity tests (tests/queries/test_read_model.py, test_read_model_cases.py) check for every
query answered here. It answers only while nothing the query reads from memory has changed
since it was read: the embedded store stamps each label and type with the version of the last
write of its process that changed it (`EmbeddedBackend.stamp`, `graph.labels`), and no other
process can change what it reads. A load that changes the structure has it read again by the
next question that reads what changed (a question asked while a write is under way, or while
the model is read again, is answered by Cypher). A backend without a version (Neo4j, which
other clients write to unseen) gets no model and reads Cypher.

What a dispute's workflow events change is kept apart, by what each writes
(workflow/store.py):

- The cases (`Cases`): each dispute's parties (PARTY_TO), grid, category and list item, and
  the ties between people a conflict walk follows (RELATED_TO, WORKS_IN, MEMBER_OF), with the
  names of the people and bodies on them. A report writes a dispute's ties; no later event
  does; the ties between people are loaded. The cases carry a version of their own: after a
  report (or a load of these ties) the next question that reads them reads the cases again
  first, alone (a city's in a few seconds of CPU; other questions meanwhile read Cypher). A
  report comes seldom beside the questions: the generated city has 90,000 disputes in a year,
  about one report every six minutes.
- A dispute's own properties (its state, which every event sets, and its title and report
  day) are never held with the cases: `dispute_facts`, `party_visits` and `expert_conflicts`
  read the disputes they need by key (`UNWIND $keys … MATCH (d:Dispute {id: k})`, a fraction
  of a millisecond), so the Dispute label's stamp, which moves at every event, is not the
  cases'.
- The experts' load: the HANDLED ties of the experts in a pool are loaded structure (the
  workflow records none), and the state of the disputes they handled (a city's experts handled
  about 1,200) is read again by key, all at once, by the first `expert_load` after a write
  that changed a Dispute (`current_handled`): one read per event, not per question.

`expert_conflicts` walks the cases breadth first, keeping every tie that reaches a node at its
least depth, so it gives every shortest walk, as ALL SHORTEST does (the caller breaks ties by
the keys along a walk, `queries.experts._order`). `conflict_paths` walks from each party the
same way, through disputes that count; where several walks are equally short its Cypher
(SHORTEST) gives one of the store's choosing, and the model the least by that same order, so
parity for it is the same rows with each walk one of the shortest (its Cypher's ALL SHORTEST)
and whole where only one is.
"""

from __future__ import annotations

import copy
import re
import threading
import weakref
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from itertools import product
from typing import TYPE_CHECKING, Any

from graph.backend import Backend, Row
from graph.ddl import RID, ident
from graph.labels import read_by
from graph.places import DEEPEST
from graph.schema import SCHEMA, Property
from graph.temporal import valid_on

if TYPE_CHECKING:
    from queries.library import NamedQuery

Props = dict[str, Any]
Tie = tuple[str, str, Props]  # the other end's label and key, and the tie's properties

# Read whole: the structure. Person is read only for the people at the start of the ties
# below (a city's million residents are not the structure), with the ties, and LIVES_IN only
# for the experts in a pool.
NODES = (
    "Unit",
    "Grid",
    "PartyOrg",
    "Department",
    "Center",
    "MediationOrg",
    "Organisation",
    "Domain",
    "ExpertPool",
    "ListItem",
)
TIES = (
    "PART_OF",
    "LOCATED_IN",
    "LIAISES_WITH",
    "SERVES_IN",
    "LEADS",
    "SUBORDINATE_TO",
    "COVERS",
    "HOLDS_POST",
    "MEDIATES_IN",
    "STATIONED_AT",
    "JURISDICTION",
    "ESCALATES_TO",
    "RESPONSIBLE_FOR",
    "HAS_EXPERTISE",
    "IN_POOL",
    "SUPERVISES",
)
HELD = frozenset((*NODES, "Person", *TIES, "LIVES_IN", "HANDLED"))


class ReadModel:
    """The structure as read at `version`: nodes by label and key, ties both ways."""

    def __init__(self, backend: Backend) -> None:
        # Labels changed by a write under way now get a stamp above this when it ends: the
        # model is never taken for them, whichever side of the write its reads saw.
        self.version = int(getattr(backend, "version", 0))
        self.nodes: dict[str, dict[str, Props]] = {}
        self.out: dict[str, dict[tuple[str, str], list[Tie]]] = {}
        self.into: dict[str, dict[tuple[str, str], list[Tie]]] = {}
        read = _Reader(backend)
        for label in NODES:
            self.nodes[label] = read.nodes(label)
        people: dict[str, Props] = {}  # read with the ties that start at a person
        for type_ in TIES:
            self._index(type_, read.ties(type_, people))
        self.nodes["Person"] = people
        self._index("LIVES_IN", read.homes_of_experts())
        self.handled = read.handled_by_experts()
        self.handled_facts: tuple[int, dict[str, Row]] = (-1, {})  # (version, dispute -> facts)
        self.cases = Cases(backend)

    def _index(self, type_: str, ties: Iterable[tuple[str, str, str, str, Props]]) -> None:
        out: dict[tuple[str, str], list[Tie]] = defaultdict(list)
        into: dict[tuple[str, str], list[Tie]] = defaultdict(list)
        for a_label, a, b_label, b, props in ties:
            out[(a_label, a)].append((b_label, b, props))
            into[(b_label, b)].append((a_label, a, props))
        self.out[type_], self.into[type_] = dict(out), dict(into)

    def node(self, label: str, key: Any) -> Props | None:
        return self.nodes[label].get(key) if isinstance(key, str) else None

    def ends(
        self,
        table: dict[str, dict[tuple[str, str], list[Tie]]],
        type_: str,
        label: str,
        key: str,
        other: str,
    ) -> list[tuple[Props, Props]]:
        """The nodes labelled `other` tied to (label, key) by `type_`, each with the tie's
        properties, once per tie."""
        nodes = self.nodes[other]
        return [
            (nodes[k], props)
            for lab, k, props in table[type_].get((label, key), ())
            if lab == other
        ]

    def outgoing(self, type_: str, label: str, key: str, other: str) -> list[tuple[Props, Props]]:
        return self.ends(self.out, type_, label, key, other)

    def incoming(self, type_: str, label: str, key: str, other: str) -> list[tuple[Props, Props]]:
        return self.ends(self.into, type_, label, key, other)

    def current(
        self, backend: Backend, query: NamedQuery, labels: frozenset[str] | None = None
    ) -> bool:
        """Whether nothing `query` reads (or `labels` of it) has changed since the model was
        read."""
        stamp = getattr(backend, "stamp", None)
        labels = read_by(query.text) if labels is None else labels
        return stamp is not None and int(stamp(labels)) <= self.version


_PERSON = "person_"  # the columns of a tie's person, beside the tie's own


class _Reader:
    """The bulk reads of one model: the properties the answered queries read (a property a
    query comes to read is held once its name appears in the query's text), each repeated
    value held once (a city's grids share a few kinds, levels and dates)."""

    def __init__(self, backend: Backend) -> None:
        from queries.library import get_query  # queries.library answers from this module

        self.backend = backend
        texts = " ".join(get_query(name).text for name in ANSWERS)
        self.wanted = set(re.findall(r"\.\s*(\w+)", texts))
        self.values: dict[Any, Any] = {}

    def _columns(
        self, var: str, properties: Iterable[Property], always: str = "", prefix: str = ""
    ) -> str:
        names = [p.name for p in properties if p.name in self.wanted or p.name == always]
        return ", ".join(var + "." + ident(n) + " AS " + prefix + ident(n) for n in names)

    def _held(self, row: Row) -> Row:
        values = self.values
        return {k: v if v is None else values.setdefault(v, v) for k, v in row.items()}

    def nodes(self, label: str) -> dict[str, Props]:
        node = SCHEMA.node(label)
        columns = self._columns("n", node.properties, always=node.key)
        rows = self.backend.read("MATCH (n:" + ident(label) + ") RETURN " + columns)
        return {row[node.key]: self._held(row) for row in rows}

    def ties(self, type_: str, people: dict[str, Props]) -> list[tuple[str, str, str, str, Props]]:
        """Every tie of `type_`, one read per pair of end labels: (from label, from key, to
        label, to key, the tie's properties). A person at the start of a tie is read with it,
        into `people` (a lookup of each by key would scan the city's million)."""
        rel = SCHEMA.rel(type_)
        columns = self._columns("r", rel.properties)
        person = SCHEMA.node("Person")
        found = []
        for a_label, b_label in rel.endpoints:
            a_key, b_key = SCHEMA.node(a_label).key, SCHEMA.node(b_label).key
            text = "MATCH (a:" + ident(a_label) + ")-[r:" + ident(type_) + "]->(b:"
            text += ident(b_label) + ") RETURN a." + ident(a_key) + " AS a_key, b."
            text += ident(b_key) + " AS b_key" + (", " + columns if columns else "")
            if a_label == person.label:
                text += ", " + self._columns("a", person.properties, prefix=_PERSON)
            for row in self.backend.read(text):
                a_id, b_id = row.pop("a_key"), row.pop("b_key")
                if a_label == person.label:
                    found_person = {
                        k.removeprefix(_PERSON): row.pop(k)
                        for k in list(row)
                        if k.startswith(_PERSON)
                    }
                    if a_id not in people:
                        people[a_id] = self._held({person.key: a_id, **found_person})
                found.append((a_label, a_id, b_label, b_id, self._held(row) if row else _NO))
        return found

    def homes_of_experts(self) -> list[tuple[str, str, str, str, Props]]:
        """The LIVES_IN ties of the experts in a pool (every resident has one: the city's
        million are not the structure). Reached from the pools, as expert_candidates does
        (a lookup of the experts by key scans every LIVES_IN tie)."""
        columns = self._columns("r", SCHEMA.rel("LIVES_IN").properties)
        rows = self.backend.read(
            "MATCH (a:Person)-[:IN_POOL]->(:ExpertPool) OPTIONAL MATCH (a)-[r:LIVES_IN]->"
            "(b:Unit) RETURN a.id AS a_key, b.code AS b_key, r."
            + RID
            + " AS tie"
            + (", " + columns if columns else "")
        )
        found, seen = [], set()
        for row in rows:  # once per pool the expert is in: each tie once
            a_id, b_id, tie = row.pop("a_key"), row.pop("b_key"), row.pop("tie")
            if b_id is not None and (a_id, tie) not in seen:
                seen.add((a_id, tie))
                found.append(("Person", a_id, "Unit", b_id, self._held(row) if row else _NO))
        return found

    def handled_by_experts(self) -> dict[str, list[str]]:
        """The disputes each expert in a pool HANDLED (loaded: the workflow records no
        HANDLED tie), reached from the pools as homes_of_experts does."""
        found: dict[str, list[str]] = defaultdict(list)
        for row in self.backend.read(
            "MATCH (a:Person)-[:IN_POOL]->(:ExpertPool) MATCH (a)-[:HANDLED]->(d:Dispute) "
            "RETURN DISTINCT a.id AS a, d.id AS d"
        ):
            found[row["a"]].append(row["d"])
        return dict(found)


# -- the answers, one per named query: each gives its Cypher's rows --------------------------

_NO: Props = {}  # an optional match that found nothing: every property reads as null
_BODY_COLUMNS = ("body_label", "body_key", "body_name", "body_kind", "body_level")


def _body_row(
    anchor: Any,
    rel: str,
    label: str,
    body: Props,
    kind: str,
    level: Any,
    via: tuple[Any, Any],
    holder: Props,
    tie: Props,
    post: str,
) -> Row:
    return {
        "anchor": anchor,
        "rel": rel,
        "body_label": label,
        "body_key": body.get("id"),
        "body_name": body.get("name"),
        "body_kind": body.get(kind),
        "body_level": level,
        "via": via[0],
        "via_name": via[1],
        "holder": holder.get("id"),
        "holder_name": holder.get("name"),
        "mobile": holder.get("mobile"),
        "post": tie.get(post),
        "since": tie.get("valid_from"),
        "until": tie.get("valid_to"),
    }


def _or_none(found: list[tuple[Props, Props]]) -> list[tuple[Props, Props]]:
    """What an OPTIONAL MATCH gives: the matches, or one row of nulls."""
    return found or [(_NO, _NO)]


def _anchors(params: Mapping[str, Any], name: str) -> list[Any] | None:
    value = params[name]
    return list(value) if isinstance(value, list | tuple) else None


Holds = Callable[[Props], bool]


def _as_of(params: Mapping[str, Any]) -> Holds | None:
    """Whether a unit, grid, center or department exists on `$as_of`, by the rule of
    graph.temporal (a date, or None: Cypher's null); None for any other value, which is left
    to Cypher and its error."""
    day = params["as_of"]
    if day is not None and (not isinstance(day, date) or isinstance(day, datetime)):
        return None
    return lambda node: valid_on(node.get("valid_from"), node.get("valid_to"), day)


def _holders(m: ReadModel, type_: str, label: str, body: Props) -> list[tuple[Props, Props]]:
    if body is _NO:
        return [(_NO, _NO)]
    return _or_none(m.incoming(type_, label, body["id"], "Person"))


def _ups(
    m: ReadModel, type_: str, label: str, body: Props, holds: Holds | None = None
) -> list[tuple[Any, Any]]:
    """coalesce(up.id, ''), coalesce(up.name, '') of the OPTIONAL MATCH (body)-[:type_]->(up)
    (WHERE up holds, when `holds` is given)."""
    if body is _NO:
        return [("", "")]
    found = [
        up for up, _ in m.outgoing(type_, label, body["id"], label) if holds is None or holds(up)
    ]
    return [(_text(up.get("id")), _text(up.get("name"))) for up in found] or [("", "")]


def _text(value: Any) -> Any:
    return "" if value is None else value


def _centers(m: ReadModel, anchor: str, holds: Holds) -> list[Row]:
    rows = []
    found = [(c, t) for c, t in m.incoming("JURISDICTION", "Unit", anchor, "Center") if holds(c)]
    for c, _ in _or_none(found):
        for via, (p, h) in product(
            _ups(m, "ESCALATES_TO", "Center", c, holds), _holders(m, "HOLDS_POST", "Center", c)
        ):
            rows.append(
                _body_row(
                    anchor, "JURISDICTION", "Center", c, "kind", c.get("level"), via, p, h, "post"
                )
            )
    return rows


def _committees(m: ReadModel, anchor: str, kinds: list[Any]) -> list[Row]:
    found = [
        (o, t)
        for o, t in m.incoming("LOCATED_IN", "Unit", anchor, "MediationOrg")
        if o.get("kind") is not None and o["kind"] in kinds
    ]
    rows = []
    for o, _ in _or_none(found):
        for p, h in _holders(m, "MEDIATES_IN", "MediationOrg", o):
            rows.append(
                _body_row(
                    anchor,
                    "LOCATED_IN",
                    "MediationOrg",
                    o,
                    "kind",
                    o.get("level"),
                    ("", ""),
                    p,
                    h,
                    "post",
                )
            )
    return rows


def _party_orgs(
    m: ReadModel, anchor: str, label: str, found: list[tuple[Props, Props]], rel: str
) -> list[Row]:
    rows = []
    for o, _ in _or_none(found):
        for via, (p, h) in product(
            _ups(m, "SUBORDINATE_TO", "PartyOrg", o), _holders(m, "LEADS", "PartyOrg", o)
        ):
            rows.append(
                _body_row(anchor, rel, "PartyOrg", o, "kind", o.get("level"), via, p, h, "post")
            )
    return rows


def _departments(
    m: ReadModel,
    anchor: str,
    rel: str,
    holds: Holds,
    court: Any | None = None,
    every: bool = False,
) -> list[Row]:
    found = [
        (d, t)
        for d, t in m.incoming("LOCATED_IN", "Unit", anchor, "Department")
        if (every or (court is not None and d.get("function") == court)) and holds(d)
    ]
    rows = []
    for d, _ in _or_none(found):
        for p, h in _holders(m, "HOLDS_POST", "Department", d):
            rows.append(
                _body_row(
                    anchor, rel, "Department", d, "function", d.get("level"), ("", ""), p, h, "post"
                )
            )
    return rows


def _units(m: ReadModel, params: Mapping[str, Any]) -> list[str] | None:
    anchors = _anchors(params, "units")
    return None if anchors is None else [a for a in anchors if m.node("Unit", a) is not None]


def _grids(m: ReadModel, params: Mapping[str, Any]) -> list[str] | None:
    anchors = _anchors(params, "grids")
    return None if anchors is None else [a for a in anchors if m.node("Grid", a) is not None]


def ladder_unit_bodies(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    units, kinds = _units(m, params), _anchors(params, "mediation_kinds")
    holds = _as_of(params)
    if units is None or kinds is None or holds is None:
        return None
    rows = []
    for u in units:
        rows += _centers(m, u, holds)
        rows += _committees(m, u, kinds)
        rows += _party_orgs(
            m, u, "Unit", m.incoming("LOCATED_IN", "Unit", u, "PartyOrg"), "LOCATED_IN"
        )
        rows += _departments(m, u, "COURT", holds, court=params["court"])
    return rows


def referral_unit_bodies(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    units = _units(m, params)
    kinds, industry = _anchors(params, "mediation_kinds"), _anchors(params, "industry_kinds")
    holds = _as_of(params)
    if units is None or kinds is None or industry is None or holds is None:
        return None
    rows = []
    for u in units:
        rows += _centers(m, u, holds)
        rows += _committees(m, u, kinds)
        rows += _departments(m, u, "FUNCTION", holds, every=True)
        found = [
            (o, dm)
            for o, _ in m.incoming("LOCATED_IN", "Unit", u, "MediationOrg")
            if o.get("kind") is not None and o["kind"] in industry
            for dm, _ in m.outgoing("HAS_EXPERTISE", "MediationOrg", o["id"], "Domain")
        ]
        for o, dm in found or [(_NO, _NO)]:
            via = (dm.get("code"), dm.get("name"))
            for p, h in _holders(m, "MEDIATES_IN", "MediationOrg", o):
                rows.append(
                    _body_row(
                        u,
                        "HAS_EXPERTISE",
                        "MediationOrg",
                        o,
                        "kind",
                        o.get("level"),
                        via,
                        p,
                        h,
                        "post",
                    )
                )
        rows += _departments(m, u, "COURT", holds, court=params["court"])
    return rows


def ladder_stationed_departments(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    units, holds = _units(m, params), _as_of(params)
    if units is None or holds is None:
        return None
    rows = []
    for u in units:
        found = [
            (c, d, st)
            for c, _ in m.incoming("JURISDICTION", "Unit", u, "Center")
            for d, st in m.incoming("STATIONED_AT", "Center", c["id"], "Department")
            if holds(c) and holds(d)
        ]
        for c, d, st in found or [(_NO, _NO, _NO)]:
            for p, h in _holders(m, "HOLDS_POST", "Department", d):
                row = _body_row(
                    u,
                    "STATIONED_AT",
                    "Department",
                    d,
                    "function",
                    d.get("level"),
                    (c.get("id"), c.get("name")),
                    p,
                    h,
                    "post",
                )
                row["stationed_from"], row["stationed_to"] = (
                    st.get("valid_from"),
                    st.get("valid_to"),
                )
                rows.append(row)
    return rows


def grid_teams(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    grids = _grids(m, params)
    if grids is None:
        return None
    rows = []
    for anchor in grids:
        g = m.nodes["Grid"][anchor]
        for p, h in _or_none(m.incoming("SERVES_IN", "Grid", anchor, "Person")):
            rows.append(
                _body_row(anchor, "SERVES_IN", "Grid", g, "kind", "grid", ("", ""), p, h, "role")
            )
    return rows


def grid_party_orgs(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    grids = _grids(m, params)
    if grids is None:
        return None
    rows = []
    for anchor in grids:
        rows += _party_orgs(
            m, anchor, "Grid", m.incoming("COVERS", "Grid", anchor, "PartyOrg"), "COVERS"
        )
    return rows


def liaison_bodies(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    grids, holds = _grids(m, params), _as_of(params)
    if grids is None or holds is None:
        return None
    rows = []
    for label, kind in (("Department", "function"), ("Center", "kind")):
        for anchor in grids:
            found = [
                (b, t) for b, t in m.outgoing("LIAISES_WITH", "Grid", anchor, label) if holds(b)
            ]
            for b, _ in _or_none(found):
                for p, h in _holders(m, "HOLDS_POST", label, b):
                    rows.append(
                        _body_row(
                            anchor,
                            "LIAISES_WITH",
                            label,
                            b,
                            kind,
                            b.get("level"),
                            ("", ""),
                            p,
                            h,
                            "post",
                        )
                    )
    for anchor in grids:
        for b, _ in _or_none(m.outgoing("LIAISES_WITH", "Grid", anchor, "Organisation")):
            row = _body_row(
                anchor, "LIAISES_WITH", "Organisation", b, "kind", "", ("", ""), _NO, _NO, "post"
            )
            rows.append({**row, "holder": "", "holder_name": "", "mobile": "", "post": ""})
    return rows


def grid_step(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    g, holds = m.node("Grid", params["grid"]), _as_of(params)
    if holds is None:
        return None
    if g is None:
        return []
    base = {
        "name": g.get("name"),
        "kind": g.get("kind"),
        "unit_level": g.get("unit_level"),
        "location": g.get("location"),
        "liaisons": len(m.out["LIAISES_WITH"].get(("Grid", g["id"]), ())),
    }
    parents = m.out["PART_OF"].get(("Grid", g["id"]), [])
    rows = []
    for label, key, _ in parents:
        n = m.nodes[label][key]
        if not holds(n):
            continue
        unit = label == "Unit"
        rows.append(
            {
                **base,
                "parent_label": "Unit" if unit else "Grid",
                "parent": key,
                "parent_name": n.get("name"),
                "parent_level": n.get("level") if unit else None,
            }
        )
    return rows or [
        {**base, "parent_label": "Grid", "parent": None, "parent_name": None, "parent_level": None}
    ]


def unit_step(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    holds = _as_of(params)
    if holds is None:
        return None
    if m.node("Unit", params["unit"]) is None:
        return []
    return [
        {"parent": n["code"], "parent_name": n.get("name"), "parent_level": n.get("level")}
        for n, _ in m.outgoing("PART_OF", "Unit", params["unit"], "Unit")
        if holds(n)
    ]


def place(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    key = params["place"]

    def row(label: str, node: Props, level: Any, grid: Props) -> Row:
        return {
            "label": label,
            "name": node.get("name"),
            "level": level,
            "grid": grid.get("id"),
            "grid_kind": grid.get("kind"),
        }

    rows = []
    g = m.node("Grid", key)
    if g is not None:
        rows.append(row("Grid", g, "grid", g))
    u = m.node("Unit", key)
    if u is not None:
        rows += [
            row("Unit", u, u.get("level"), grid)
            for grid, _ in _or_none(m.incoming("PART_OF", "Unit", key, "Grid"))
        ]
    o = m.node("Organisation", key)
    if o is not None:
        rows += [
            row("Organisation", o, o.get("kind"), grid)
            for grid, _ in _or_none(m.outgoing("LOCATED_IN", "Organisation", key, "Grid"))
        ]
    return rows


_MAX_HOPS = DEEPEST  # place_units' PART_OF*..30; a walk up stops at the top long before


def _paths_to_units(m: ReadModel, label: str, key: str, least: int) -> list[tuple[str, int]]:
    """(unit code, length) of every PART_OF path of `least`..DEEPEST steps from (label, key) that
    ends at a unit, through nodes of any label, one per path (a walk: a node may recur)."""
    found = []
    step = [(label, key)]
    for hops in range(_MAX_HOPS + 1):
        if hops >= least:
            found += [(k, hops) for lab, k in step if lab == "Unit"]
        if hops == _MAX_HOPS or not step:  # the bound, or the top: nothing above
            break
        step = [(lab, k) for node in step for lab, k, _ in m.out["PART_OF"].get(node, ())]
    return found


def place_units(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    key = params["place"]
    rows = []
    for label, least in (("Grid", 1), ("Unit", 0)):
        x = m.node(label, key)
        if x is None:
            continue
        paths: list[tuple[str | None, int | None]] = [*_paths_to_units(m, label, key, least)]
        for code, hops in paths or [(None, None)]:
            u = m.nodes["Unit"].get(code, _NO) if code is not None else _NO
            rows.append(
                {
                    "label": label,
                    "name": x.get("name"),
                    "unit": u.get("code"),
                    "unit_name": u.get("name"),
                    "level": u.get("level"),
                    "hops": hops,
                }
            )
    return rows


def domain(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    dm = m.node("Domain", params["code"])
    return [] if dm is None else [{"code": dm["code"], "name": dm.get("name")}]


def _equal(a: Any, b: Any) -> bool:
    """Cypher's `a = b` taken as a filter: null equals nothing."""
    return a is not None and b is not None and a == b


def referral_item(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    item, category, item_class = params["item"], params["category"], params["item_class"]
    rows = []
    for li in m.nodes["ListItem"].values():
        key = li["id"]
        if not (
            _equal(key, item)
            or (
                _equal(li.get("item_class"), item_class)
                and any(
                    _equal(dm.get("code"), category)
                    for dm, _ in m.outgoing("HAS_EXPERTISE", "ListItem", key, "Domain")
                )
            )
        ):
            continue
        domains = [dm for dm, _ in m.outgoing("HAS_EXPERTISE", "ListItem", key, "Domain")] or [_NO]
        responsible = [
            (d, rf, u)
            for d, rf in m.incoming("RESPONSIBLE_FOR", "ListItem", key, "Department")
            for u, _ in m.outgoing("LOCATED_IN", "Department", d["id"], "Unit")
        ] or [(_NO, _NO, _NO)]
        for dm, (d, rf, u) in product(domains, responsible):
            rows.append(
                {
                    "item": key,
                    "item_name": li.get("name"),
                    "item_class": li.get("item_class"),
                    "item_limit": li.get("time_limit_days"),
                    "domain": dm.get("code"),
                    "domain_name": dm.get("name"),
                    "department": d.get("id"),
                    "department_name": d.get("name"),
                    "function": d.get("function"),
                    "limit": rf.get("time_limit_days"),
                    "department_unit": u.get("code"),
                }
            )
    return rows


def professional_grids(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    orgs = _anchors(params, "orgs")
    if orgs is None:
        return None
    return [
        {
            "org": o["id"],
            "org_name": o.get("name"),
            "grid": g["id"],
            "grid_name": g.get("name"),
            "field": g.get("field"),
        }
        for key in orgs
        if (o := m.node("Organisation", key)) is not None
        for g, _ in m.incoming("SUPERVISES", "Organisation", key, "Grid")
    ]


def pool_places(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    return [
        {"pool": pool["id"], "unit": u.get("code")}
        for pool in m.nodes["ExpertPool"].values()
        for u, _ in _or_none(m.outgoing("LOCATED_IN", "ExpertPool", pool["id"], "Unit"))
    ]


def expert_candidates(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    wanted = _anchors(params, "domains")
    if wanted is None:
        return None
    rows = []
    for dm in m.nodes["Domain"].values():
        if dm["code"] not in wanted:
            continue
        for e, _ in m.incoming("HAS_EXPERTISE", "Domain", dm["code"], "Person"):
            for pool, tie in m.outgoing("IN_POOL", "Person", e["id"], "ExpertPool"):
                for v, _ in _or_none(m.outgoing("LIVES_IN", "Person", e["id"], "Unit")):
                    rows.append(
                        {
                            "domain": dm["code"],
                            "domain_name": dm.get("name"),
                            "expert": e["id"],
                            "name": e.get("name"),
                            "mobile": e.get("mobile"),
                            "profession": e.get("profession"),
                            "pool": pool["id"],
                            "pool_name": pool.get("name"),
                            "shared": pool.get("shared"),
                            "since": tie.get("valid_from"),
                            "until": tie.get("valid_to"),
                            "home": v.get("code"),
                        }
                    )
    return rows


# -- the cases: a dispute's ties, and the ties between people a conflict walk follows --------

# What a report writes for a dispute (its parties, place, category and list item) and the
# ties between people (loaded): read whole, by keys, with the names of their people and
# bodies. Not a dispute's own properties: the workflow sets its state on every event, so the
# answers below read those by key, each time (`Read`).
WALKED = ("RELATED_TO", "WORKS_IN", "MEMBER_OF", "PARTY_TO")
FILED = ("OCCURRED_IN", "IN_DOMAIN", "CLASSIFIED_AS")
CASES_HELD = frozenset((*WALKED, *FILED, "Person", "Organisation", "PartyOrg", "Department"))
_TIE = ("kind", "relation", "side", "valid_from", "valid_to")  # what a walk reads of a tie

Read = Callable[..., list[Row]]  # a backend's `read`


class Cases:
    """The ties of disputes and people as read at `version`: the nodes a walk passes through
    (numbered: label, key and name), every tie of WALKED (its type, ends and `_TIE`
    properties), each node's ties (`ties_of`), and each dispute's grids, domains and list
    items. Numbers and arrays, not a dict per tie: a city holds half a million."""

    def __init__(self, backend: Backend) -> None:
        self.version = int(getattr(backend, "version", 0))
        self.numbers: dict[str, dict[str, int]] = defaultdict(dict)  # label -> key -> number
        self.labels: list[str] = []
        self.keys: list[str] = []
        self.names: list[Any] = []
        self.types: list[str] = []
        self.starts, self.ends = array("i"), array("i")
        self.props: list[tuple[Any, ...]] = []
        held: dict[Any, Any] = {}  # each repeated value (names, dates, property tuples) once
        for type_ in WALKED:
            rel = SCHEMA.rel(type_)
            columns = [p.name for p in rel.properties if p.name in _TIE]
            for a_label, b_label in rel.endpoints:
                a, b = SCHEMA.node(a_label), SCHEMA.node(b_label)
                text = "MATCH (a:" + ident(a_label) + ")-[r:" + ident(type_) + "]->(b:"
                text += ident(b_label) + ") RETURN a." + ident(a.key) + " AS a, b."
                text += ident(b.key) + " AS b, a.name AS a_name"
                text += ", b.name AS b_name" if any(p.name == "name" for p in b.properties) else ""
                text += "".join(", r." + ident(c) + " AS " + ident(c) for c in columns)
                for row in backend.read(text):
                    props = tuple(row.get(c) for c in _TIE)
                    self.types.append(type_)
                    self.starts.append(self._number(a_label, row["a"], row["a_name"], held))
                    self.ends.append(self._number(b_label, row["b"], row.get("b_name"), held))
                    self.props.append(held.setdefault(props, props))
        # each node's ties, both ways: ties[first[n]:first[n + 1]]
        count = array("i", bytes(4 * (len(self.keys) + 1)))
        for end in (self.starts, self.ends):
            for x in end:
                count[x + 1] += 1
        for n in range(len(self.keys)):
            count[n + 1] += count[n]
        self.first = array("i", count)
        self.ties = array("i", bytes(4 * count[-1]))
        for tie, ends in enumerate(zip(self.starts, self.ends, strict=True)):
            for x in ends:
                self.ties[count[x]] = tie
                count[x] += 1
        self.filed: dict[str, dict[str, list[str]]] = {}  # type -> dispute -> other ends' keys
        for type_ in FILED:
            ((_, b_label),) = SCHEMA.rel(type_).endpoints
            key = SCHEMA.node(b_label).key
            found: dict[str, list[str]] = defaultdict(list)
            for row in backend.read(
                "MATCH (a:Dispute)-[:" + ident(type_) + "]->(b:" + ident(b_label) + ") "
                "RETURN a.id AS a, b." + ident(key) + " AS b"
            ):
                found[row["a"]].append(row["b"])
            self.filed[type_] = dict(found)

    def _number(self, label: str, key: str, name: Any, held: dict[Any, Any]) -> int:
        numbers = self.numbers[label]
        n = numbers.get(key)
        if n is None:
            n = numbers[key] = len(self.keys)
            self.labels.append(label)
            self.keys.append(key)
            self.names.append(None if name is None else held.setdefault(name, name))
        return n

    def node(self, label: str, key: Any) -> int | None:
        return self.numbers[label].get(key) if isinstance(key, str) else None

    def ties_of(self, n: int) -> array[int]:
        return self.ties[self.first[n] : self.first[n + 1]]

    def other(self, tie: int, n: int) -> int:
        a = self.starts[tie]
        return self.ends[tie] if a == n else a

    def parties(self, dispute: str) -> list[tuple[int, int]]:
        """(party, tie) of each PARTY_TO tie into `dispute`."""
        d = self.node("Dispute", dispute)
        if d is None:
            return []
        return [(self.starts[t], t) for t in self.ties_of(d) if self.ends[t] == d]

    def current(self, backend: Backend, labels: frozenset[str]) -> bool:
        stamp = getattr(backend, "stamp", None)
        return stamp is not None and int(stamp(labels)) <= self.version


def _day(params: Mapping[str, Any], name: str) -> bool:
    """Whether `$name` is a date or null (anything else is left to Cypher and its error)."""
    day = params[name]
    return day is None or (isinstance(day, date) and not isinstance(day, datetime))


def _disputes(read: Read, keys: Iterable[str]) -> dict[str, Row] | None:
    """The properties of the disputes `keys`, read by key now (the workflow changes them); None
    when one is not in the store (the model's ties name a dispute no more there)."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = read(
        "UNWIND $keys AS k MATCH (d:Dispute {id: k}) RETURN d.id AS id, d.title AS title, "
        "d.reported_on AS reported_on",
        {"keys": wanted},
    )
    found = {row["id"]: row for row in rows}
    return found if len(found) == len(wanted) else None


def dispute_parties(m: ReadModel, params: Mapping[str, Any], read: Read) -> list[Row] | None:
    c = m.cases
    return [
        {"party": c.keys[p], "side": c.props[t][2]}
        for p, t in c.parties(params["dispute"])
        if c.labels[p] == "Person"
    ]


def dispute_orgs(m: ReadModel, params: Mapping[str, Any], read: Read) -> list[Row] | None:
    c = m.cases
    return [
        {"org": c.keys[p]} for p, _ in c.parties(params["dispute"]) if c.labels[p] == "Organisation"
    ]


def party_visits(m: ReadModel, params: Mapping[str, Any], read: Read) -> list[Row] | None:
    if not (_day(params, "since") and _day(params, "until")):
        return None
    c = m.cases
    since, until = params["since"], params["until"]
    visits: list[tuple[str, list[str]]] = []  # per PARTY_TO tie of a person: its disputes
    for p, _ in c.parties(params["dispute"]):
        if c.labels[p] == "Person":
            ties = c.ties_of(p)
            disputes = [c.keys[c.ends[t]] for t in ties if c.types[t] == "PARTY_TO"]
            visits.append((c.keys[p], disputes))
    facts = _disputes(read, (d for _, ds in visits for d in ds))
    if facts is None:
        return None
    counts: dict[str, int] = {}
    for person, disputes in visits:
        for d in disputes:
            day = facts[d]["reported_on"]
            if None not in (since, until, day) and since <= day <= until:
                counts[person] = counts.get(person, 0) + 1
    return [{"person": person, "n": n} for person, n in counts.items()]


def dispute_facts(m: ReadModel, params: Mapping[str, Any], read: Read) -> list[Row] | None:
    key = params["dispute"]
    rows = read(
        "MATCH (d:Dispute {id: $dispute}) RETURN d.title AS title, d.reported_on AS "
        "reported_on, d.parties AS parties, d.warning AS warning, d.status AS status, "
        "d.outcome AS outcome",
        {"dispute": key},
    )
    if not rows:
        return []
    (d,) = rows
    filed = m.cases.filed
    grids = [m.nodes["Grid"][g] for g in filed["OCCURRED_IN"].get(key, ())] or [_NO]
    domains = [m.nodes["Domain"][x] for x in filed["IN_DOMAIN"].get(key, ())] or [_NO]
    items = [m.nodes["ListItem"][x] for x in filed["CLASSIFIED_AS"].get(key, ())] or [_NO]
    party_count = len(m.cases.parties(key))
    return [
        {
            "title": d["title"],
            "reported_on": d["reported_on"],
            "parties": d["parties"],
            "party_count": party_count,
            "warning": d["warning"],
            "status": d["status"],
            "outcome": d["outcome"],
            "grid": g.get("id"),
            "grid_name": g.get("name"),
            "domain": dm.get("code"),
            "domain_name": dm.get("name"),
            "item": li.get("id"),
            "item_name": li.get("name"),
        }
        for g, dm, li in product(grids, domains, items)
    ]


_DEEPEST_WALK = 4  # expert_conflicts' 1..4: the party's PARTY_TO, then up to three ties


def expert_conflicts(m: ReadModel, params: Mapping[str, Any], read: Read) -> list[Row] | None:
    """Every shortest walk (ALL SHORTEST 1..4) from the dispute to each person, over WALKED
    ties holding on `$as_of`: breadth first, keeping every tie that reaches a node at its
    least depth, then each person's walks spelled out backwards. A walk's nodes are given
    as (label, key) where the Cypher gives the store's internal ids (`node_ids`,
    `rel_starts`): the caller only compares them with each other."""
    kinds = _anchors(params, "related_kinds")
    if kinds is None or not _day(params, "as_of"):
        return None
    c = m.cases
    day = params["as_of"]
    start = c.node("Dispute", params["dispute"])
    if start is None:
        return []
    depth = {start: 0}
    came: dict[int, list[tuple[int, int]]] = {}  # node -> (node before, tie) of its walks
    frontier = [start]
    for step in range(1, _DEEPEST_WALK + 1):
        reached = []
        for n in frontier:
            for t in c.ties_of(n):
                kind, _, _, since, until = c.props[t]
                if kind is not None and kind not in kinds:
                    continue
                if not valid_on(since, until, day):
                    continue
                o = c.other(t, n)
                at = depth.get(o)
                if at is None:
                    depth[o] = step
                    came[o] = [(n, t)]
                    reached.append(o)
                elif at == step:
                    came[o].append((n, t))
        frontier = reached
    walks: list[tuple[int, list[int], list[int]]] = []  # person, nodes between, ties
    for n, at in depth.items():
        if at and c.labels[n] == "Person":
            walks += [(n, nodes, ties) for nodes, ties in _back(came, start, n)]
    disputes = _disputes(
        read, (c.keys[x] for _, nodes, _ in walks for x in nodes if c.labels[x] == "Dispute")
    )
    if disputes is None:
        return None
    rows = []
    for person, nodes, ties in walks:
        facts = [disputes.get(c.keys[x]) or _NO for x in nodes]
        rows.append(
            {
                "expert": c.keys[person],
                "steps": len(ties),
                "labels": [c.labels[x] for x in nodes],
                "keys": [c.keys[x] for x in nodes],
                "names": [c.names[x] for x in nodes],
                "titles": [f.get("title") for f in facts],
                "reported": [f.get("reported_on") for f in facts],
                "node_ids": [(c.labels[x], c.keys[x]) for x in nodes],
                "rel_types": [c.types[t] for t in ties],
                "rel_starts": [(c.labels[c.starts[t]], c.keys[c.starts[t]]) for t in ties],
                "kinds": [c.props[t][0] for t in ties],
                "relations": [c.props[t][1] for t in ties],
                "sides": [c.props[t][2] for t in ties],
            }
        )
    return rows


def conflict_paths(m: ReadModel, params: Mapping[str, Any], read: Read) -> list[Row] | None:
    """The shortest walk (SHORTEST 1..3) from each party of the dispute to each of `$experts`,
    over the ties of `$ties` holding on `$as_of`, never through the dispute nor through a
    dispute reported after `$as_of`. Where several walks are equally short, the store takes
    one of its choosing; the model takes the least by the keys along it read from the
    person's end (`queries.experts._order`), as the caller breaks ties between parties."""
    kinds, ties, experts = (_anchors(params, n) for n in ("related_kinds", "ties", "experts"))
    if kinds is None or ties is None or experts is None or not _day(params, "as_of"):
        return None
    c = m.cases
    day, dispute = params["as_of"], params["dispute"]
    wanted = {x for x in experts if isinstance(x, str)}
    reported: dict[str, Row] = {}  # the disputes walked into: their report days and titles
    rows = []
    for party, pt in c.parties(dispute):
        if not _report_days(c, read, [party], reported):
            return None
        depth, came = {party: 0}, {}
        frontier = [party]
        for step in range(1, 4):
            reached = []
            if not _report_days(c, read, frontier, reported):
                return None
            for n in frontier:
                if n != party and not _counts(c, n, dispute, day, reported):
                    continue  # the dispute itself, or one reported after the day
                for t in c.ties_of(n):
                    kind, _, _, since, until = c.props[t]
                    if c.types[t] not in ties or (kind is not None and kind not in kinds):
                        continue
                    if not valid_on(since, until, day):
                        continue
                    o = c.other(t, n)
                    at = depth.get(o)
                    if at is None:
                        depth[o] = step
                        came[o] = [(n, t)]
                        reached.append(o)
                    elif at == step:
                        came[o].append((n, t))
            frontier = reached
        for e, at in depth.items():
            if not at or c.labels[e] != "Person" or c.keys[e] not in wanted:
                continue
            walks = [
                ([party, *nodes, e], ties_)
                for nodes, ties_ in _back(came, party, e)
                if all(_counts(c, x, dispute, day, reported) for x in nodes)
            ]
            if not walks:
                continue
            nodes, walk = min(walks, key=lambda w: tuple(reversed([c.keys[x] for x in w[0]])))
            between = [
                reported.get(c.keys[x], _NO) if c.labels[x] == "Dispute" else _NO for x in nodes
            ]
            titles = [None, *(f.get("title") for f in between[1:-1]), None]
            rows.append(
                {
                    "party": c.keys[party],
                    "side": c.props[pt][2],
                    "expert": c.keys[e],
                    "hops": len(walk),
                    "labels": [c.labels[x] for x in nodes],
                    "keys": [c.keys[x] for x in nodes],
                    "names": [c.names[x] for x in nodes],
                    "titles": titles,
                    "node_ids": [(c.labels[x], c.keys[x]) for x in nodes],
                    "rel_types": [c.types[t] for t in walk],
                    "rel_starts": [(c.labels[c.starts[t]], c.keys[c.starts[t]]) for t in walk],
                    "kinds": [c.props[t][0] for t in walk],
                    "relations": [c.props[t][1] for t in walk],
                    "sides": [c.props[t][2] for t in walk],
                }
            )
    return rows


def _report_days(c: Cases, read: Read, nodes: Iterable[int], reported: dict[str, Row]) -> bool:
    """The disputes among `nodes` read by key into `reported` (their report days and titles);
    False when one is no more in the store."""
    keys = [c.keys[n] for n in nodes if c.labels[n] == "Dispute" and c.keys[n] not in reported]
    found = _disputes(read, keys)
    if found is None:
        return False
    reported.update(found)
    return True


def _title(c: Cases, n: int, reported: dict[str, Row]) -> Any:
    return reported[c.keys[n]]["title"] if c.labels[n] == "Dispute" else None


def _counts(c: Cases, n: int, dispute: Any, day: date | None, reported: dict[str, Row]) -> bool:
    """Whether a walk may pass through node n: conflict_paths' test on the nodes of a walk."""
    if c.keys[n] == dispute:
        return False
    if c.labels[n] != "Dispute":
        return True
    when = reported[c.keys[n]]["reported_on"]
    return when is None or (day is not None and when <= day)


def _back(
    came: dict[int, list[tuple[int, int]]], start: int, end: int
) -> list[tuple[list[int], list[int]]]:
    """Every walk from `start` to `end` through `came`: (the nodes between, the ties)."""
    if end == start:
        return [([], [])]
    found = []
    for before, tie in came[end]:
        for nodes, ties in _back(came, start, before):
            between = [*nodes, before] if before != start else nodes
            found.append((between, [*ties, tie]))
    return found


_LOAD = "reported_on", "outcome", "settled_on", "satisfaction"


def expert_load(m: ReadModel, params: Mapping[str, Any], read: Read) -> list[Row] | None:
    """The disputes the experts with one of `$domains` handled, with their state now: the
    model holds the HANDLED ties (loaded) and the state of every dispute an expert handled,
    read again by key whenever a write changed a Dispute (`current_handled`)."""
    wanted = _anchors(params, "domains")
    if wanted is None:
        return None
    facts = m.handled_facts[1]
    experts = {
        e["id"]
        for code in wanted
        if isinstance(code, str)
        for e, _ in m.incoming("HAS_EXPERTISE", "Domain", code, "Person")
        if m.out["IN_POOL"].get(("Person", e["id"]))
        and any(lab == "ExpertPool" for lab, _, _ in m.out["IN_POOL"][("Person", e["id"])])
    }
    return [
        {"expert": e, "dispute": d, **{k: facts[d][k] for k in _LOAD}}
        for e in experts
        for d in dict.fromkeys(m.handled.get(e, ()))
    ]


def current_handled(backend: Backend, m: ReadModel) -> bool:
    """Whether the state of the disputes experts handled is held as it is now: read again (by
    key) when a write changed a Dispute since; False when it could not be."""
    stamp = getattr(backend, "stamp", None)
    if stamp is None:
        return False
    if int(stamp(frozenset({"Dispute"}))) <= m.handled_facts[0]:
        return True
    version = int(getattr(backend, "version", 1))
    if version % 2:
        return False  # a write under way
    keys = sorted({d for ds in m.handled.values() for d in ds})
    rows = backend.read(
        "UNWIND $keys AS k MATCH (d:Dispute {id: k}) RETURN d.id AS id"
        + "".join(", d." + ident(c) + " AS " + ident(c) for c in _LOAD),
        {"keys": keys},
    )
    found = {row["id"]: row for row in rows}
    if len(found) != len(keys):
        return False  # a dispute is no more there: Cypher answers
    m.handled_facts = (version, found)
    return True


CaseAnswer = Callable[[ReadModel, Mapping[str, Any], Read], "list[Row] | None"]

# The named queries answered from the cases (and the structure), reading a dispute's own
# properties by key each time.
CASE_ANSWERS: dict[str, CaseAnswer] = {
    "dispute_facts": dispute_facts,
    "dispute_parties": dispute_parties,
    "dispute_orgs": dispute_orgs,
    "party_visits": party_visits,
    "expert_conflicts": expert_conflicts,
    "expert_load": expert_load,
    "conflict_paths": conflict_paths,
}


Answer = Callable[[ReadModel, Mapping[str, Any]], "list[Row] | None"]

# The named queries the model answers. Each reads only what the model holds (a test checks
# it against `graph.labels.read_by` of the query's text).
ANSWERS: dict[str, Answer] = {
    "grid_step": grid_step,
    "unit_step": unit_step,
    "place": place,
    "place_units": place_units,
    "grid_teams": grid_teams,
    "grid_party_orgs": grid_party_orgs,
    "liaison_bodies": liaison_bodies,
    "ladder_unit_bodies": ladder_unit_bodies,
    "ladder_stationed_departments": ladder_stationed_departments,
    "referral_unit_bodies": referral_unit_bodies,
    "referral_item": referral_item,
    "domain": domain,
    "pool_places": pool_places,
    "professional_grids": professional_grids,
    "expert_candidates": expert_candidates,
}


# -- where the model lives: one per backend, from `attach` on ------------------------------

_models: weakref.WeakKeyDictionary[Any, ReadModel] = weakref.WeakKeyDictionary()
_reading: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def attach(backend: Backend) -> ReadModel | None:
    """Read the model of `backend`'s graph and answer its named queries from it from now on;
    None (and nothing attached) for a backend without a version (Neo4j)."""
    if getattr(backend, "stamp", None) is None or getattr(backend, "version", None) is None:
        return None
    with _lock:
        reading = _reading.setdefault(backend, threading.Lock())
    with reading:
        model = ReadModel(backend)
        _models[backend] = model
    return model


def model_of(backend: Backend) -> ReadModel | None:
    """The model attached to `backend`, as last read (None when none is attached)."""
    return _models.get(backend)


def answer(backend: Backend, query: NamedQuery, params: Mapping[str, Any]) -> list[Row] | None:
    """The rows of the named `query` with `params`, from `backend`'s model; None when it has
    none, does not answer this query, or cannot now (the caller then reads Cypher). A model
    that what the query reads has moved past is read again first, unless a write is under
    way or another question is reading it."""
    model = _models.get(backend)
    if model is None:
        return None
    handler = ANSWERS.get(query.name)
    if handler is not None:
        if not model.current(backend, query):
            model = _reread(backend)
            if model is None or not model.current(backend, query):
                return None
        return handler(model, params)
    case = CASE_ANSWERS.get(query.name)
    if case is None:
        return None
    mine, theirs = _parts(query)
    if not model.cases.current(backend, mine):
        if _reread(backend, cases_only=True) is None:
            return None
        model = _models[backend]
        if not model.cases.current(backend, mine):
            return None
    if theirs and not model.current(backend, query, theirs):
        model = _reread(backend)
        if model is None or not (
            model.current(backend, query, theirs) and model.cases.current(backend, mine)
        ):
            return None
    if query.name == "expert_load" and not current_handled(backend, model):
        return None
    return case(model, params, backend.read)


def _parts(query: NamedQuery) -> tuple[frozenset[str], frozenset[str]]:
    """What a query answered from the cases reads of them, and of the structure. A dispute's
    properties are read by key each time: the Dispute label is neither's."""
    read = read_by(query.text) - {"Dispute"}
    return read & CASES_HELD, read - CASES_HELD


def _reread(backend: Backend, *, cases_only: bool = False) -> ReadModel | None:
    """The model read again (with `cases_only`, only its cases), or None when a write is
    under way or another question is reading it."""
    if int(getattr(backend, "version", 1)) % 2:
        return None  # a write under way (graph.embedded): read again after it
    reading = _reading.get(backend)
    if reading is None or not reading.acquire(blocking=False):
        return None
    try:
        old = _models.get(backend)
        if cases_only and old is not None:
            model = copy.copy(old)
            model.cases = Cases(backend)
        else:
            model = ReadModel(backend)
        _models[backend] = model
        return model
    finally:
        reading.release()

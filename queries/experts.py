"""Expert pool: who can help with a dispute, ranked, and who must not, with the reason.

    expert_pool(backend, dispute_id="330421-D900001")            # domains and place from it
    expert_pool(backend, domains=("finance",), place="330421111000", limit=5)

Candidates are the people in an expert pool (IN_POOL) with one of the domains (HAS_EXPERTISE).
Each is scored by one sum of weighted parts, every part between 0 and 1 and shown:

- ``domain``: the share of the requested domains the expert has;
- ``locality``: same town (1.0) > same county (0.6) > in a shared pool (0.3) > elsewhere (0);
- ``load``: 1 with no open dispute, falling to 0 at ``experts.load_cap`` open disputes;
- ``rating``: the mean satisfaction of the disputes the expert handled, 1–5 scaled to 0–1
  (``experts.rating_default`` for an expert nobody has rated);
- ``availability``: 1 when a pool membership holds on the date.

Excluded, each with the rule and a path: ``conflict-of-interest`` — a party to the dispute,
or tied to a party within ``conflict.depth`` hops through family or colleague ties (RELATED_TO), the
same employer or the party itself as employer (WORKS_IN), the same party organisation
(MEMBER_OF) or a past dispute (PARTY_TO); ``not-available`` — no pool membership holds on the
date; ``overloaded`` — ``experts.max_open`` open disputes or more.

Pools are per county: with a place, only memberships of pools LOCATED_IN the place's county
(or a unit above it, such as its city, or nowhere) count, and of another county's shared pool
only when the rules' ``experts.shared_pools`` lists it (opt-in); an expert with no such
membership is no candidate.

Locality compares the division code of the unit the expert LIVES_IN with the place's town and
county codes: statistical division codes nest (a county is the first 6 digits, a town the
first 9), which spares a join per candidate.

A server answers the candidates, the pools' places, the place's units, the experts' load, the
dispute's parties and the conflict walks from its read model (`queries.read_model`), which
keeps what the workflow's events change current.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from graph.backend import Backend, Row
from graph.places import DivisionCode, county_unit
from graph.temporal import valid_on
from queries.explain import (
    Contact,
    GraphPath,
    NodeRef,
    NotFound,
    RelRef,
    as_date,
    first_label,
    today,
)
from queries.ladder import dispute_facts
from queries.library import run
from queries.rules import Rules, load_rules

SCORE_PARTS = ("domain", "locality", "load", "rating", "availability")


@dataclass(frozen=True)
class ScorePart:
    """One part of an expert's score: its value (0–1), its weight, and what it rests on."""

    name: str
    value: float
    weight: float
    detail: str


@dataclass(frozen=True)
class RankedExpert:
    """An expert in rank order. `contact` carries the mobile (personal data); `pools` are the
    memberships valid on the date; `path` runs from a requested domain through the expert to
    a pool: (Domain)<-[:HAS_EXPERTISE]-(Person)-[:IN_POOL]->(ExpertPool)."""

    rank: int
    expert: NodeRef
    score: float
    parts: tuple[ScorePart, ...]
    domains: tuple[str, ...]
    pools: tuple[NodeRef, ...]
    contact: Contact
    rule: str
    path: GraphPath


@dataclass(frozen=True)
class ExcludedExpert:
    """A candidate left out. For ``conflict-of-interest`` the path runs from the expert to
    the party and on to the dispute; otherwise it shows the membership that failed."""

    expert: NodeRef
    rule: str
    reason: str
    path: GraphPath


@dataclass(frozen=True)
class ExpertRanking:
    domains: tuple[str, ...]
    place: NodeRef | None
    dispute: NodeRef | None
    as_of: date
    ranked: tuple[RankedExpert, ...]
    excluded: tuple[ExcludedExpert, ...]


# -- candidates -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Membership:
    pool: NodeRef
    shared: bool
    since: date | None
    until: date | None


@dataclass(slots=True)
class _Candidate:
    key: str
    name: str
    mobile: str | None
    profession: str
    home: str
    domains: dict[str, str] = field(default_factory=dict)  # code -> name
    memberships: list[_Membership] = field(default_factory=list)
    open_disputes: int = 0
    ratings: list[int] = field(default_factory=list)

    @property
    def node(self) -> NodeRef:
        return NodeRef("Person", self.key, self.name)


def _candidates(rows: Iterable[Row]) -> dict[str, _Candidate]:
    """One candidate per expert, from one row per expert, domain and pool membership."""
    found: dict[str, _Candidate] = {}
    pools: dict[str, tuple[NodeRef, bool]] = {}  # a pool's node and whether it is shared
    for row in rows:
        pool = pools.get(row["pool"])
        if pool is None:
            node = NodeRef("ExpertPool", row["pool"], row["pool_name"] or "")
            pool = pools[row["pool"]] = (node, bool(row["shared"]))
        since, until = row["since"], row["until"]
        if not (since is None or type(since) is date) or not (until is None or type(until) is date):
            since, until = as_date(since), as_date(until)  # a driver's date type, or text
        membership = _Membership(*pool, since, until)
        key = row["expert"]
        cand = found.get(key)
        if cand is None:
            found[key] = _Candidate(
                key,
                row["name"] or "",
                row["mobile"],
                row["profession"] or "",
                row["home"] or "",
                {row["domain"]: row["domain_name"] or ""},
                [membership],
            )
            continue
        cand.domains[row["domain"]] = row["domain_name"] or ""
        if membership not in cand.memberships:
            cand.memberships.append(membership)
    for cand in found.values():
        if len(cand.memberships) > 1:
            cand.memberships.sort(key=lambda m: m.pool.key)
    return found


def _load(rows: Iterable[Row], found: dict[str, _Candidate], day: date) -> None:
    for row in rows:
        cand = found.get(row["expert"])
        if cand is None:
            continue
        reported, settled = as_date(row["reported_on"]), as_date(row["settled_on"])
        if reported is not None and reported <= day:
            if row["outcome"] is None or (settled is not None and settled > day):
                cand.open_disputes += 1
            if row["satisfaction"] is not None:
                cand.ratings.append(int(row["satisfaction"]))


# -- conflict of interest -----------------------------------------------------------------------


def _ties(rules: Rules) -> list[str]:
    """The relationship types the conflict-of-interest walk may use."""
    conflict = rules.conflict
    ties = ["RELATED_TO"] if conflict.related_kinds else []
    ties += ["WORKS_IN"] if conflict.same_employer else []
    ties += ["MEMBER_OF"] if conflict.same_party_branch else []
    ties += ["PARTY_TO"] if conflict.past_dispute else []
    return ties


def _conflicts_of(
    backend: Backend, dispute: NodeRef, found: dict[str, _Candidate], day: date, rules: Rules
) -> dict[str, tuple[GraphPath, str]]:
    """The shortest tie of each candidate to a party within the rules' depth: (the path from
    the candidate to the party and on to the dispute, the party's key). Ties of equal length
    are broken by the keys along the path, so the answer does not depend on the store's order.

    Under the default ties one walk from the dispute (`expert_conflicts`) finds the shortest
    walks over all parties at once; a walk through a dispute that does not count (reported
    after the day, or past disputes not counting) is dropped here. `conflict_paths`, which
    walks from each party, never through the dispute and only through disputes that count, is
    asked about the rest: a candidate whose shortest walks were all dropped (a longer one may
    hold), and everyone when the rules turn the same employer or the same party organisation
    off. A candidate who is a party (`dispute_parties`) is excluded at 0 hops, whatever else
    ties them."""
    conflict = rules.conflict
    ties, kinds = _ties(rules), list(conflict.related_kinds)
    conflicts: dict[str, tuple[GraphPath, str]] = {}
    # A candidate who is a party: the closest tie there is (0 hops), whatever else holds.
    for row in run(backend, "dispute_parties", dispute=dispute.key):
        if row["party"] in found:
            party = found[row["party"]].node
            step = RelRef("PARTY_TO", True, str(row["side"] or ""))
            conflicts[party.key] = (GraphPath((party, dispute), (step,)), party.key)
    asked = sorted(set(found).difference(conflicts))
    if conflict.same_employer and conflict.same_party_branch:
        rows = run(backend, "expert_conflicts", dispute=dispute.key, as_of=day, related_kinds=kinds)
        deepest = conflict.depth + 1  # steps: the party's PARTY_TO, then the hops
        best: dict[str, Row] = {}
        unsure: set[str] = set()
        for row in rows:
            expert = row["expert"]
            if expert not in found:
                continue
            steps = row["steps"]
            if steps < 2 or expert in conflicts:
                continue  # a party itself: found above
            if steps <= deepest:
                if not _counts(row, day, conflict.past_dispute):
                    unsure.add(expert)
                    continue
                old = best.get(expert)
                if old is None or _order(row["keys"]) < _order(old["keys"]):
                    best[expert] = row
        nodes: dict[tuple[str, str, str], NodeRef] = {}
        for expert, row in best.items():
            path = _walk_from_dispute(row, found[expert].node, dispute, nodes)
            conflicts[expert] = (path, str(row["keys"][0]))
        asked = sorted(unsure.difference(conflicts))
    if asked:
        rows = run(
            backend,
            "conflict_paths",
            dispute=dispute.key,
            experts=asked,
            as_of=day,
            ties=ties,
            related_kinds=kinds,
        )
        conflicts.update(_conflicts(rows, rules, dispute))
    return conflicts


def _counts(row: Row, day: date, past_disputes: bool) -> bool:
    """Whether every dispute an `expert_conflicts` walk passes through counts as a tie."""
    for label, reported in zip(row["labels"], row["reported"], strict=True):
        if first_label(label) != "Dispute":
            continue
        when = as_date(reported)
        if not past_disputes or (when is not None and when > day):
            return False
    return True


def _order(keys: Sequence[str]) -> tuple[int, tuple[str, ...]]:
    """Ties of equal length are broken by the keys along the walk, read from the expert's end."""
    return len(keys), tuple(reversed(keys))


def _conflicts(
    rows: Iterable[Row], rules: Rules, dispute: NodeRef
) -> dict[str, tuple[GraphPath, str]]:
    """`_conflicts_of` from the rows of `conflict_paths` (a walk from each party)."""
    best: dict[str, Row] = {}
    for row in rows:
        hops = int(row["hops"])
        if hops < 1 or hops > rules.conflict.depth:
            continue
        expert = str(row["expert"])
        old = best.get(expert)
        if old is None or _order(row["keys"]) < _order(old["keys"]):
            best[expert] = row
    return {expert: (_tie_path(row, dispute), str(row["party"])) for expert, row in best.items()}


def _tie_path(row: Row, dispute: NodeRef) -> GraphPath:
    """The walk of a `conflict_paths` row, backwards: from the expert to the party, then on to
    the dispute it is a party to."""
    hops = int(row["hops"])
    labels = [first_label(x) for x in row["labels"]]
    names = [
        n if n is not None else (t or "") for n, t in zip(row["names"], row["titles"], strict=True)
    ]
    nodes = [
        NodeRef(lb, str(k), str(n)) for lb, k, n in zip(labels, row["keys"], names, strict=True)
    ]
    ids = list(row["node_ids"])
    path = GraphPath.at(nodes[-1])
    for i in range(hops - 1, -1, -1):
        rel_type = str(row["rel_types"][i])
        forward = row["rel_starts"][i] == ids[i + 1]  # stored from the node nearer the expert
        path = path.then(RelRef(rel_type, forward, _detail(row, i)), nodes[i])
    return path.then(RelRef("PARTY_TO", True, str(row["side"] or "")), dispute)


def _walk_from_dispute(
    row: Row, expert: NodeRef, dispute: NodeRef, nodes: dict[tuple[str, str, str], NodeRef]
) -> GraphPath:
    """The walk of an `expert_conflicts` row, backwards: from the expert through the nodes
    between (the party last) to the dispute. Relationship i joins node i and node i + 1 of
    the walk (the dispute is node 0, the expert the last; the row's node lists hold nodes 1
    to the one before the expert), and is forward as the path reads when it is stored from the
    node nearer the expert. `nodes`: NodeRefs already made, which walks share."""
    labels, keys, names, titles = row["labels"], row["keys"], row["names"], row["titles"]
    ids, starts = row["node_ids"], row["rel_starts"]
    last = len(starts) - 1  # the relationship that reaches the expert
    path = [expert]
    rels = []
    for i in range(last, -1, -1):
        # node i + 1 is the row's node i; the expert's own id is not in the row
        forward = starts[i] != ids[i - 1] if i == last else starts[i] == ids[i]
        rels.append(RelRef(str(row["rel_types"][i]), forward, _detail(row, i)))
        if i:
            name = names[i - 1] if names[i - 1] is not None else (titles[i - 1] or "")
            ref = (first_label(labels[i - 1]), str(keys[i - 1]), str(name))
            node = nodes.get(ref)
            if node is None:
                node = nodes[ref] = NodeRef(*ref)
            path.append(node)
    return GraphPath((*path, dispute), tuple(rels))


def _detail(row: Row, i: int) -> str:
    """What matters on relationship i of a walk: a tie's kind and relation, a party's side."""
    if row["rel_types"][i] == "RELATED_TO":
        return " ".join(x for x in (row["kinds"][i], row["relations"][i]) if x)
    return str(row["sides"][i] or "")


# -- the ranking ------------------------------------------------------------------------------


def expert_pool(
    backend: Backend,
    *,
    domains: Sequence[str] = (),
    dispute_id: str | None = None,
    place: str | None = None,
    limit: int | None = None,
    as_of: date | None = None,
    include_shared: bool | None = None,
    rules: Rules | None = None,
) -> ExpertRanking:
    """Experts for some domains or a dispute, ranked, and the excluded ones with the reason.

    With `dispute_id`, the domains follow from its category (and the rules' related domains)
    unless given, the place is its grid unless given, and the conflict-of-interest check
    walks from its parties. `place` is a grid id or a unit code; `limit` defaults to the
    rules' `experts.limit` (10), `include_shared` to `experts.include_shared` (True).
    """
    if not domains and dispute_id is None:
        raise ValueError(
            "expert_pool needs domains (e.g. domains=('medical',)) or a dispute_id whose "
            "category gives them (e.g. dispute_id='330421-D900001')"
        )
    if isinstance(domains, str):
        raise ValueError(f"domains is a sequence of codes: write domains=({domains!r},)")
    if limit is not None and limit < 1:
        raise ValueError(f"limit is how many experts to return, at least 1, not {limit}")
    day = as_of or today()
    dispute: NodeRef | None = None
    wanted = list(dict.fromkeys(domains))
    if dispute_id is not None:
        facts = dispute_facts(backend, dispute_id)
        dispute = NodeRef("Dispute", dispute_id, facts["title"] or "")
        place = place or facts["grid"]
    place_ref, town, county = _place(backend, place) if place else (None, None, None)
    rules = rules or load_rules(county or (dispute_id[:6] if dispute_id else None))
    if dispute_id is not None and not wanted:
        if not facts["domain"]:
            raise ValueError(f"dispute {dispute_id!r} has no category; pass domains=(…)")
        wanted = list(rules.domains_for(facts["domain"]))
    limit = limit or rules.experts.limit
    shared_ok = rules.experts.include_shared if include_shared is None else include_shared
    found = _candidates(run(backend, "expert_candidates", domains=wanted))
    units = {r["pool"]: r["unit"] or "" for r in run(backend, "pool_places")}
    opted = set(rules.experts.shared_pools)
    if not found:
        return ExpertRanking(tuple(wanted), place_ref, dispute, day, (), ())
    _load(run(backend, "expert_load", domains=wanted), found, day)
    conflicts = _conflicts_of(backend, dispute, found, day, rules) if dispute else {}
    score = _Scorer(wanted, town, county, place_ref is not None, rules)
    max_open = rules.experts.max_open
    ranked: list[tuple[float, str, _Candidate, list[_Membership]]] = []
    excluded: list[ExcludedExpert] = []
    for key, cand in found.items():
        memberships = cand.memberships
        if county:  # pools per county: its own, and the shared ones it opted into
            memberships = [
                m
                for m in memberships
                if _serves(units.get(m.pool.key, ""), county) or (m.shared and m.pool.key in opted)
            ]
            if not memberships:
                continue  # only in other counties' pools
        if not shared_ok:
            memberships = [m for m in memberships if not m.shared]
            if not memberships:
                continue  # only in shared pools, which were not asked for
        tie = conflicts.get(key)
        if tie is not None:
            path, party = tie
            where = dispute.key if dispute else ""
            reason = (
                f"{key} is a party to {where}"
                if party == key
                else f"{key} is tied to {party}, a party to {where}, "
                f"within {len(path) - 1} of {rules.conflict.depth} hops"
            )
            excluded.append(ExcludedExpert(cand.node, "conflict-of-interest", reason, path))
            continue
        valid = [m for m in memberships if valid_on(m.since, m.until, day)]
        if not valid:
            m = memberships[0]
            node = cand.node
            span = f"{m.since or '…'} to {m.until or 'now'}"
            excluded.append(
                ExcludedExpert(
                    node,
                    "not-available",
                    f"{key} is in {m.pool.key} from {span}, not on {day}",
                    GraphPath((node, m.pool), (RelRef("IN_POOL"),)),
                )
            )
            continue
        if cand.open_disputes >= max_open:
            excluded.append(
                ExcludedExpert(
                    cand.node,
                    "overloaded",
                    f"{key} handles {cand.open_disputes} open disputes (at most {max_open - 1})",
                    GraphPath.at(cand.node),
                )
            )
            continue
        ranked.append((-score(cand, valid), key, cand, valid))
    # Only the first `limit` are shown: their parts, with the texts, are built for them alone.
    top = tuple(
        _ranked(i, -neg, cand, valid, score.parts(cand, valid), wanted)
        for i, (neg, _, cand, valid) in enumerate(
            heapq.nsmallest(limit, ranked, key=lambda t: (t[0], t[1])), start=1
        )
    )
    order = {"conflict-of-interest": 0, "not-available": 1, "overloaded": 2}
    excluded.sort(key=lambda x: (order[x.rule], len(x.path), x.expert.key))
    return ExpertRanking(tuple(wanted), place_ref, dispute, day, top, tuple(excluded))


def _ranked(
    rank: int,
    score: float,
    cand: _Candidate,
    valid: list[_Membership],
    parts: tuple[_Part, ...],
    wanted: list[str],
) -> RankedExpert:
    node = cand.node
    first = next(d for d in wanted if d in cand.domains)
    path = (
        GraphPath.at(NodeRef("Domain", first, cand.domains[first]))
        .then(RelRef("HAS_EXPERTISE", False), node)
        .then(RelRef("IN_POOL"), valid[0].pool)
    )
    return RankedExpert(
        rank,
        node,
        score,
        tuple(ScorePart(*part) for part in parts),
        tuple(d for d in wanted if d in cand.domains),
        tuple(m.pool for m in valid),
        Contact(node, cand.profession, cand.mobile, valid[0].since, valid[0].until),
        "expert-score",
        path,
    )


def _serves(unit: str, county: str) -> bool:
    """Whether a pool LOCATED_IN `unit` serves `county`: a pool located nowhere serves every
    place, one in the county or below it that county, and a city's or a province's pool every
    county inside it (a county with no pool of its own draws on its city's)."""
    return not unit or unit[:6] == county[:6] or DivisionCode.parse(unit).contains(county)


def _place(backend: Backend, place: str) -> tuple[NodeRef, str | None, str | None]:
    rows = run(backend, "place_units", place=place)
    if not rows:
        raise NotFound(f"no grid or unit with key {place!r} (give a grid id or a unit code)")
    first = rows[0]
    node = NodeRef(first["label"], place, first["name"] or "")
    town = next((r["unit"] for r in rows if r["level"] == "town"), None)
    county = county_unit((r["unit"], r["level"]) for r in rows)
    return node, town, county


_Part = tuple[str, float, float, str]  # a ScorePart before it is one


class _Scorer:
    """The score of a candidate, and its parts with the texts that explain them.

    A score rests on four facts about a candidate: how many of the domains it has, its place
    class, its open disputes and its ratings. Few combinations of them occur, so each score
    is summed once; the texts are built only for the ranks returned."""

    def __init__(
        self, wanted: list[str], town: str | None, county: str | None, place: bool, rules: Rules
    ) -> None:
        self.wanted, self.town, self.county, self.place = wanted, town, county, place
        self.experts = experts = rules.experts
        weights, locality = experts.weights, experts.locality
        self.weights = (
            weights.domain,
            weights.locality,
            weights.load,
            weights.rating,
            weights.availability,
        )
        self.places = {
            "none": 0.0,
            "town": locality.same_town,
            "county": locality.same_county,
            "shared": locality.shared_pool,
            "elsewhere": locality.elsewhere,
        }
        self.homes: dict[str, str] = {}  # home code -> "town", "county" or "" (neither)
        self.sums: dict[tuple[object, ...], float] = {}

    def __call__(self, cand: _Candidate, valid: list[_Membership]) -> float:
        case = self.case(cand, valid)
        facts = (len(cand.domains), case, cand.open_disputes, *cand.ratings)
        score = self.sums.get(facts)
        if score is None:
            parts = zip(self.values(cand, case), self.weights, strict=True)
            score = self.sums[facts] = round(sum(value * weight for value, weight in parts), 4)
        return score

    def case(self, cand: _Candidate, valid: list[_Membership]) -> str:
        """The candidate's place class: same town > same county > shared pool > elsewhere
        ("none" without a place)."""
        if not self.place:
            return "none"
        home = cand.home
        case = self.homes.get(home)
        if case is None:
            town, county = self.town, self.county
            if town and home and home[:9] == town[:9]:
                case = "town"
            elif county and home and home[:6] == county[:6]:
                case = "county"
            else:
                case = ""
            self.homes[home] = case
        if case:
            return case
        return "shared" if any(m.shared for m in valid) else "elsewhere"

    def values(self, cand: _Candidate, case: str) -> tuple[float, ...]:
        """The parts' values, in SCORE_PARTS order. `cand.domains` holds only requested
        domains (expert_candidates finds no other), so their number is the domains it has."""
        experts, ratings = self.experts, cand.ratings
        load = max(0.0, 1 - cand.open_disputes / experts.load_cap)
        rating = (
            round((sum(ratings) / len(ratings) - 1) / 4, 4) if ratings else experts.rating_default
        )
        return (
            round(len(cand.domains) / len(self.wanted), 4),
            self.places[case],
            round(load, 4),
            rating,
            1.0,
        )

    def parts(self, cand: _Candidate, valid: list[_Membership]) -> tuple[_Part, ...]:
        case = self.case(cand, valid)
        domain, place, load, rating, available = self.values(cand, case)
        w_domain, w_place, w_load, w_rating, w_available = self.weights
        have = [d for d in self.wanted if d in cand.domains]
        if case == "none":
            where = "no place given"
        elif case == "town":
            where = f"same town {self.town}"
        elif case == "county":
            where = f"same county {self.county}"
        elif case == "shared":
            where = f"shared pool {next(m.pool.key for m in valid if m.shared)}"
        else:
            where = f"elsewhere ({cand.home or 'outside the graph'})"
        ratings = cand.ratings
        if ratings:
            rated = f"mean {sum(ratings) / len(ratings):.2f} of {len(ratings)} ratings"
        else:
            rated = "not rated yet"
        pools = ", ".join(m.pool.key for m in valid)
        return (
            ("domain", domain, w_domain, f"{'+'.join(have)} of {'+'.join(self.wanted)}"),
            ("locality", place, w_place, where),
            ("load", load, w_load, f"{cand.open_disputes} open disputes"),
            ("rating", rating, w_rating, rated),
            ("availability", available, w_available, f"in {pools} on the date"),
        )

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

Excluded, each with the rule and a path: ``conflict-of-interest`` — tied to a party of the
dispute within ``conflict.depth`` hops through family or colleague ties (RELATED_TO), the
same employer or the party itself as employer (WORKS_IN), the same party organisation
(MEMBER_OF) or a past dispute (PARTY_TO); ``not-available`` — no pool membership holds on the
date; ``overloaded`` — ``experts.max_open`` open disputes or more.

Locality compares the division code of the unit the expert LIVES_IN with the place's town and
county codes: statistical division codes nest (a county is the first 6 digits, a town the
first 9), which spares a join per candidate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from graph.backend import Backend, Row
from queries.escalation import dispute_facts
from queries.explain import (
    Contact,
    GraphPath,
    NodeRef,
    NotFound,
    RelRef,
    as_date,
    first_label,
    valid_on,
)
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


@dataclass
class _Membership:
    pool: NodeRef
    shared: bool
    since: date | None
    until: date | None


@dataclass
class _Candidate:
    node: NodeRef
    mobile: str | None
    profession: str
    home: str
    domains: dict[str, str] = field(default_factory=dict)  # code -> name
    memberships: list[_Membership] = field(default_factory=list)
    open_disputes: int = 0
    ratings: list[int] = field(default_factory=list)


def _candidates(rows: Iterable[Row]) -> dict[str, _Candidate]:
    found: dict[str, _Candidate] = {}
    for row in rows:
        key = row["expert"]
        cand = found.get(key)
        if cand is None:
            cand = found[key] = _Candidate(
                NodeRef("Person", key, row["name"] or ""),
                row["mobile"],
                row["profession"] or "",
                row["home"] or "",
            )
        cand.domains[row["domain"]] = row["domain_name"] or ""
        membership = _Membership(
            NodeRef("ExpertPool", row["pool"], row["pool_name"] or ""),
            bool(row["shared"]),
            as_date(row["since"]),
            as_date(row["until"]),
        )
        if membership not in cand.memberships:
            cand.memberships.append(membership)
    for cand in found.values():
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


def _conflicts(
    rows: Iterable[Row], rules: Rules, dispute: NodeRef
) -> dict[str, tuple[GraphPath, str]]:
    """The shortest tie of each expert to a party within the rules' depth: (the path from the
    expert to the party and on to the dispute, the party's key). Ties of equal length are
    broken by the keys along the path, so the answer does not depend on the store's order."""
    best: dict[str, tuple[int, tuple[str, ...], Row]] = {}
    for row in rows:
        hops = int(row["hops"])
        if hops < 1 or hops > rules.conflict.depth:
            continue
        order = (hops, tuple(str(k) for k in reversed(row["keys"])))
        expert = str(row["expert"])
        old = best.get(expert)
        if old is None or order < (old[0], old[1]):
            best[expert] = (*order, row)
    return {
        expert: (_tie_path(row, dispute), str(row["party"])) for expert, (_, _, row) in best.items()
    }


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
        if rel_type == "RELATED_TO":
            detail = " ".join(x for x in (row["kinds"][i], row["relations"][i]) if x)
        else:
            detail = str(row["sides"][i] or "")
        path = path.then(RelRef(rel_type, forward, detail), nodes[i])
    return path.then(RelRef("PARTY_TO", True, str(row["side"] or "")), dispute)


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
    day = as_of or date.today()
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
    if not found:
        return ExpertRanking(tuple(wanted), place_ref, dispute, day, (), ())
    _load(run(backend, "expert_load", domains=wanted), found, day)
    conflicts: dict[str, tuple[GraphPath, str]] = {}
    if dispute is not None:
        rows = run(
            backend,
            "conflict_paths",
            dispute=dispute.key,
            experts=sorted(found),
            as_of=day,
            ties=_ties(rules),
            related_kinds=list(rules.conflict.related_kinds),
        )
        conflicts = _conflicts(rows, rules, dispute)
    ranked: list[tuple[float, str, tuple[_Candidate, list[_Membership], tuple[_Part, ...]]]]
    ranked = []
    excluded: list[ExcludedExpert] = []
    for key in sorted(found):
        cand = found[key]
        memberships = [m for m in cand.memberships if shared_ok or not m.shared]
        if not memberships:
            continue  # only in shared pools, which were not asked for
        valid = [m for m in memberships if valid_on(m.since, m.until, day)]
        tie = conflicts.get(key)
        if tie is not None:
            path, party = tie
            excluded.append(
                ExcludedExpert(
                    cand.node,
                    "conflict-of-interest",
                    f"{key} is tied to {party}, a party to {dispute.key if dispute else ''}, "
                    f"within {len(path) - 1} of {rules.conflict.depth} hops",
                    path,
                )
            )
            continue
        if not valid:
            m = memberships[0]
            span = f"{m.since or '…'} to {m.until or 'now'}"
            excluded.append(
                ExcludedExpert(
                    cand.node,
                    "not-available",
                    f"{key} is in {m.pool.key} from {span}, not on {day}",
                    GraphPath.at(cand.node).then(RelRef("IN_POOL"), m.pool),
                )
            )
            continue
        if cand.open_disputes >= rules.experts.max_open:
            excluded.append(
                ExcludedExpert(
                    cand.node,
                    "overloaded",
                    f"{key} handles {cand.open_disputes} open disputes "
                    f"(at most {rules.experts.max_open - 1})",
                    GraphPath.at(cand.node),
                )
            )
            continue
        parts = _parts(cand, valid, wanted, town, county, place_ref, rules)
        score = round(sum(value * weight for _, value, weight, _ in parts), 4)
        ranked.append((-score, key, (cand, valid, parts)))
    ranked.sort(key=lambda t: (t[0], t[1]))
    top = tuple(
        _ranked(i, -neg, cand, valid, parts, wanted)
        for i, (neg, _, (cand, valid, parts)) in enumerate(ranked[:limit], start=1)
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
    first = next(d for d in wanted if d in cand.domains)
    path = (
        GraphPath.at(NodeRef("Domain", first, cand.domains[first]))
        .then(RelRef("HAS_EXPERTISE", False), cand.node)
        .then(RelRef("IN_POOL"), valid[0].pool)
    )
    return RankedExpert(
        rank,
        cand.node,
        score,
        tuple(ScorePart(*part) for part in parts),
        tuple(d for d in wanted if d in cand.domains),
        tuple(m.pool for m in valid),
        Contact(cand.node, cand.profession, cand.mobile, valid[0].since, valid[0].until),
        "expert-score",
        path,
    )


def _place(backend: Backend, place: str) -> tuple[NodeRef, str | None, str | None]:
    rows = run(backend, "place_units", place=place)
    if not rows:
        raise NotFound(f"no grid or unit with key {place!r} (give a grid id or a unit code)")
    first = rows[0]
    node = NodeRef(first["label"], place, first["name"] or "")
    town = next((r["unit"] for r in rows if r["level"] == "town"), None)
    county = next((r["unit"] for r in rows if r["level"] == "county"), None)
    return node, town, county


_Part = tuple[str, float, float, str]  # a ScorePart before it is one: cheap for every candidate


def _parts(
    cand: _Candidate,
    valid: list[_Membership],
    wanted: list[str],
    town: str | None,
    county: str | None,
    place: NodeRef | None,
    rules: Rules,
) -> tuple[_Part, ...]:
    weights, locality, experts = rules.experts.weights, rules.experts.locality, rules.experts
    have = [d for d in wanted if d in cand.domains]
    home = cand.home
    if place is None:
        where, value = "no place given", 0.0
    elif town and home and home[:9] == town[:9]:
        where, value = f"same town {town}", locality.same_town
    elif county and home and home[:6] == county[:6]:
        where, value = f"same county {county}", locality.same_county
    elif any(m.shared for m in valid):
        shared = next(m.pool.key for m in valid if m.shared)
        where, value = f"shared pool {shared}", locality.shared_pool
    else:
        where, value = f"elsewhere ({home or 'outside the graph'})", locality.elsewhere
    if cand.ratings:
        mean = sum(cand.ratings) / len(cand.ratings)
        rating: _Part = (
            "rating",
            round((mean - 1) / 4, 4),
            weights.rating,
            f"mean {mean:.2f} of {len(cand.ratings)} ratings",
        )
    else:
        rating = ("rating", experts.rating_default, weights.rating, "not rated yet")
    load = max(0.0, 1 - cand.open_disputes / experts.load_cap)
    pools = ", ".join(m.pool.key for m in valid)
    return (
        (
            "domain",
            round(len(have) / len(wanted), 4),
            weights.domain,
            f"{'+'.join(have)} of {'+'.join(wanted)}",
        ),
        ("locality", value, weights.locality, where),
        ("load", round(load, 4), weights.load, f"{cand.open_disputes} open disputes"),
        rating,
        ("availability", 1.0, weights.availability, f"in {pools} on the date"),
    )

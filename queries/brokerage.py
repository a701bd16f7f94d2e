"""Brokerage: the departments and centers of a county that lie between the most others.

    from queries.brokerage import brokers

    for b in brokers(backend, county="331127000000", as_of=date(2021, 6, 30), top=5):
        print(b.label, b.key, b.name, round(b.betweenness, 4))

The projection is read with the named query `research_brokerage_ties` (one row per tie) and
computed on with NetworkX as an undirected simple graph. Its nodes are `Label:key`
(`Center:330421-C001`); its edges, every one of them a tie in the county:

- Department — Center: STATIONED_AT, holding on the date;
- Center — Unit: JURISDICTION, the unit a center serves (the county, a town, a village);
- Center — Center: ESCALATES_TO, from a center of the county to the one above it;
- Department — Unit: LOCATED_IN, the unit a department sits in;
- Grid — Department or Center: LIAISES_WITH, from an out-of-county grid to its liaison body.

Units are in the projection only as the places bodies serve or sit in: the units' own nesting
(PART_OF) is left out, so that paths run through bodies, not along the map. A pair tied more
than once (a department with two stations at one center) is one edge; the edge's `ties` lists
the tie types between the two.

Betweenness is `networkx.betweenness_centrality` (normalised: the share of shortest paths
between pairs of other nodes that pass through the node, over all pairs; 1.0 is a star's
center), computed over the whole projection, units and grids included; only departments and
centers are ranked. Equal scores are ordered by node id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import networkx as nx

from graph.backend import Backend
from queries.explain import today
from queries.library import run

QUERY = "research_brokerage_ties"
RANKED = ("Department", "Center")


@dataclass(frozen=True)
class Broker:
    """A department or center and how much it brokers."""

    label: str  # Department or Center
    key: str  # its id
    name: str
    kind: str | None  # a department's function, a center's kind
    level: str | None  # county, town, village
    betweenness: float  # normalised betweenness centrality in the projection, 0..1
    degree: int  # the nodes it is tied to in the projection


def node_id(label: str, key: str) -> str:
    """A node of the projection: `Center:330421-C001`."""
    return f"{label}:{key}"


def projection(backend: Backend, *, county: str, as_of: date | None = None) -> nx.Graph[str]:
    """The county's ties as an undirected NetworkX graph (see the module docstring).

    Nodes carry `label`, `key`, `name`, `kind` and `level`; edges `ties`, the set of tie types
    between the two. `as_of` is the day the stations hold (None: today).
    """
    rows = run(backend, QUERY, county=county, as_of=as_of or today())
    graph: nx.Graph[str] = nx.Graph()
    for row in rows:
        ends = []
        for side in ("source", "target"):
            label, key = row[side + "_label"], row[side]
            node = node_id(label, key)
            if node not in graph:
                graph.add_node(
                    node,
                    label=label,
                    key=key,
                    name=row[side + "_name"],
                    kind=row[side + "_kind"],
                    level=row[side + "_level"] or None,
                )
            ends.append(node)
        a, b = ends
        if graph.has_edge(a, b):
            graph.edges[a, b]["ties"].add(row["tie"])
        else:
            graph.add_edge(a, b, ties={row["tie"]})
    return graph


def brokers(
    backend: Backend, *, county: str, as_of: date | None = None, top: int = 10
) -> list[Broker]:
    """The `top` departments and centers of `county` by betweenness in its projection, most
    first (ties by node id). `county` is a 12-digit division code; `as_of` the day the
    stations hold (None: today). A county the graph does not hold gives an empty list."""
    if top < 1:
        raise ValueError(f"top must be at least 1, not {top}")
    graph = projection(backend, county=county, as_of=as_of)
    scores: dict[str, float] = nx.betweenness_centrality(graph)
    ranked = sorted(
        (n for n, data in graph.nodes(data=True) if data["label"] in RANKED),
        key=lambda n: (-round(scores[n], 12), n),
    )
    return [_broker(graph.nodes[n], scores[n], graph.degree[n]) for n in ranked[:top]]


def _broker(data: dict[str, Any], score: float, degree: int) -> Broker:
    return Broker(
        label=data["label"],
        key=data["key"],
        name=data["name"],
        kind=data["kind"],
        level=data["level"],
        betweenness=score,
        degree=degree,
    )

"""The result types every headline query shares, and how an answer explains itself.

Every item a query returns carries the rule that put it there (a rule id documented in
docs/queries.md, e.g. ``grid-first``) and the graph path behind it: the nodes and
relationships walked, so that a mediator can see *why* a body, a person or an exclusion is in
the answer. The types are frozen dataclasses with stable, obvious field names: the GraphQL API
and the CLI render them.

Personal data. These values are raw; masking is the caller's job (the API layer, with
`graph.masking` and the schema's `Mask` flags). The personal fields are:

- `NodeRef.name` when `NodeRef.label == "Person"`: a full name (`Mask.NAME`), wherever the
  NodeRef appears (a contact, a path node, an expert);
- `NodeRef.name` when `NodeRef.label == "Dispute"`: the dispute's title (`Mask.TEXT`);
- `Contact.mobile`: a mobile number (`Mask.MOBILE`).

`masked(value)` applies those masks to any result of this package and returns a copy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from graph.masking import mask
from graph.schema import Mask
from queries.calendar import CHINA_TIME


class NotFound(LookupError):
    """An id or code given to a query names nothing in the graph."""

    def __str__(self) -> str:  # KeyError-style quoting would hide the message's own quotes
        return str(self.args[0]) if self.args else "not found"


@dataclass(frozen=True)
class NodeRef:
    """One node: its label, its key (`id`, or `code` for units and domains) and its name.

    `name` is a Person's full name (personal), a Dispute's title (personal free text), or the
    official name of anything else.
    """

    label: str
    key: str
    name: str

    def __str__(self) -> str:
        return f"({self.label} {self.key} {self.name})"


@dataclass(frozen=True)
class RelRef:
    """One relationship of a path, between the path's nodes i and i + 1.

    `forward` is True when the relationship points from node i to node i + 1 (as stored), False
    when the path walks it backwards. `detail` shows the properties that matter for the
    explanation, e.g. ``family 嫂子`` on RELATED_TO or ``head`` on SERVES_IN; empty if none.
    """

    type: str
    forward: bool = True
    detail: str = ""

    def __str__(self) -> str:
        inner = f":{self.type}" + (f" {self.detail}" if self.detail else "")
        return f"-[{inner}]->" if self.forward else f"<-[{inner}]-"


@dataclass(frozen=True)
class GraphPath:
    """A walk through the graph: `len(rels) == len(nodes) - 1`."""

    nodes: tuple[NodeRef, ...]
    rels: tuple[RelRef, ...] = ()

    def __post_init__(self) -> None:
        if not self.nodes or len(self.rels) != len(self.nodes) - 1:
            raise ValueError("a GraphPath needs one node more than it has relationships")

    @staticmethod
    def at(node: NodeRef) -> GraphPath:
        """The path of one node and no relationship."""
        return GraphPath((node,))

    @property
    def start(self) -> NodeRef:
        return self.nodes[0]

    @property
    def end(self) -> NodeRef:
        return self.nodes[-1]

    def then(self, rel: RelRef, node: NodeRef) -> GraphPath:
        """This path extended by one relationship to `node`."""
        return GraphPath((*self.nodes, node), (*self.rels, rel))

    def join(self, other: GraphPath) -> GraphPath:
        """This path followed by `other`, which must start where this one ends."""
        if other.start != self.end:
            raise ValueError(f"cannot join a path ending at {self.end} to one from {other.start}")
        return GraphPath((*self.nodes, *other.nodes[1:]), (*self.rels, *other.rels))

    def __len__(self) -> int:
        return len(self.rels)

    def __str__(self) -> str:
        parts = [str(self.nodes[0])]
        for rel, node in zip(self.rels, self.nodes[1:], strict=True):
            parts += [str(rel), str(node)]
        return "".join(parts)


@dataclass(frozen=True)
class Contact:
    """A person holding a post or role on the query's date.

    `post` is the grid role (head, instructor, full_time…) or the post (主任, 书记, 调解员…);
    `since` and `until` are the post's valid_from and valid_to (None: open). The person's
    name and `mobile` are personal data.
    """

    person: NodeRef
    post: str
    mobile: str | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class Reason:
    """Why an item is in an answer: a rule id (docs/queries.md) and a sentence."""

    rule: str
    text: str


# -- masking ----------------------------------------------------------------------------------

_T = TypeVar("_T")


def _masked_node(node: NodeRef) -> NodeRef:
    if node.label == "Person":
        return dataclasses.replace(node, name=mask(Mask.NAME, node.name) or "")
    if node.label == "Dispute":
        return dataclasses.replace(node, name=mask(Mask.TEXT, node.name) or "")
    return node


def rewrite(
    value: _T, node: Callable[[NodeRef], NodeRef], contact: Callable[[Contact], Contact]
) -> _T:
    """A copy of a query result with every NodeRef passed through `node` and every Contact
    (whose person is not passed to `node`) through `contact`, paths included."""

    def walk(v: Any) -> Any:
        if isinstance(v, NodeRef):
            return node(v)
        if isinstance(v, Contact):
            return contact(v)
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            changes = {f.name: walk(getattr(v, f.name)) for f in dataclasses.fields(v)}
            return dataclasses.replace(v, **changes)
        if isinstance(v, tuple):
            return tuple(walk(x) for x in v)
        return v

    return walk(value)  # type: ignore[no-any-return]


def people_and_disputes(value: Any) -> Iterator[NodeRef | Contact]:
    """Every NodeRef and Contact in a query result, paths included, as `rewrite` meets them."""
    if isinstance(value, NodeRef | Contact):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from people_and_disputes(getattr(value, f.name))
    elif isinstance(value, tuple):
        for x in value:
            yield from people_and_disputes(x)


def masked(value: _T) -> _T:
    """A copy of a query result with every personal field masked (see the module docstring).

    `Reason.text` and other free text never name a person (they use ids), so need no mask.
    """
    return rewrite(
        value,
        _masked_node,
        lambda c: dataclasses.replace(
            c, person=_masked_node(c.person), mobile=mask(Mask.MOBILE, c.mobile)
        ),
    )


# -- helpers the query modules share --------------------------------------------------------


def first_label(value: Any) -> str:
    """A node's label as `labels(n)` returns it: a string in LadybugDB, a list in Neo4j."""
    if isinstance(value, list | tuple):
        return str(value[0]) if value else ""
    return str(value)


def today() -> date:
    """The day it is in China: an answer's as-of day when none is given, whatever zone the
    server runs in (at 07:00 in Beijing, date.today() on a UTC server is yesterday)."""
    return datetime.now(CHINA_TIME).date()


def as_date(value: Any) -> date | None:
    """A DATE column as a `date` (drivers return date, datetime or ISO text)."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value if type(value) is date else date(value.year, value.month, value.day)
    if hasattr(value, "to_native"):  # neo4j.time.Date
        native = value.to_native()
        assert isinstance(native, date)
        return native
    return date.fromisoformat(str(value)[:10])

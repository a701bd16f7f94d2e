"""Personal data, masked by role.

Which properties are personal data, and how each is masked, is declared once in
`graph/schema.py` (`Property.mask`); this module only decides, per caller and per record,
whether those properties are shown in full or masked with `graph.masking.mask`:

- admin: in full;
- mediator: in full for records inside their jurisdiction, masked outside it;
- viewer, researcher, and a request without a token: masked.

Whether a record is inside a jurisdiction is `graph.places`' rule (`JURISDICTION_BY`): a
person who LIVES_IN a unit inside it or SERVES_IN a grid inside it (any tie, past or present),
a dispute that occurred in a grid inside it, grids nested at any depth. A type with personal
data but no rule there is always masked for mediators: the rule fails closed.

Every record the API returns passes through `reveal`, whose result type (`Revealed`) is the
only thing the GraphQL types are built from.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, NewType, cast

from api.auth import Caller, Role
from graph.backend import Backend
from graph.masking import mask
from graph.places import JURISDICTION_BY, DivisionCode, lies_inside, places_query
from graph.pseudonym import Privacy
from graph.schema import SCHEMA, Mask, NodeType, Type

Revealed = NewType("Revealed", dict[str, Any])
"""A record as this caller may see it: masked where it must be."""


class Access(Enum):
    FULL = "full"
    MASKED = "masked"
    BY_JURISDICTION = "by_jurisdiction"


PERSONAL: dict[str, NodeType] = {
    n.label: n for n in SCHEMA.nodes if any(p.mask is not None for p in n.properties)
}
"""The node types that hold personal data."""


def access(caller: Caller, label: str) -> Access:
    if label not in PERSONAL or caller.role is Role.ADMIN:
        return Access.FULL
    if caller.role is Role.MEDIATOR and caller.scope and label in JURISDICTION_BY:
        return Access.BY_JURISDICTION
    return Access.MASKED


def inside_query(label: str) -> str:
    """Rows of key and the units each of `$keys` (records of type `label`) lies in by the
    jurisdiction rule, through grids at any depth; judged by `inside`."""
    return places_query(label, JURISDICTION_BY[label])


def inside(rows: Iterable[Mapping[str, Any]], scope: DivisionCode) -> bool:
    """Whether a record lies inside the jurisdiction `scope`, from its rows of
    `inside_query`."""
    return lies_inside(rows, scope)


_MASKS: dict[str, tuple[tuple[str, Mask], ...]] = {
    label: tuple((p.name, p.mask) for p in n.properties if p.mask is not None)
    for label, n in PERSONAL.items()
}
"""Per type with personal data, each personal property and how it is masked."""


_TEXTS: dict[str, tuple[str, ...]] = {
    n.label: tuple(
        p.name
        for p in n.properties
        if p.type is Type.STRING and p.mask is None and p.name != n.key and not p.choices
    )
    for n in SCHEMA.nodes
}
"""Per type, its free texts that are not personal data themselves (a grid's name, a person's
profession, a record's source) but may have a mobile or ID number typed into them. Keys are
left out: a key must come back as it is to be looked up."""
# What every such number has: 11 digits, one character at most between two (138-1234-1234;
# full-width ones too).
_ELEVEN_DIGITS = re.compile(r"\d(?:\D?\d){10}")
_masked_view = Privacy.masked()  # as exports and researchers' copies show such a number


@functools.lru_cache(maxsize=1 << 16)
def _scrub(text: str) -> str:
    """`text` with every mobile or ID number in it masked. Remembered: the same texts (a
    record's source, a profession) come back page after page."""
    return _masked_view.scrub(text) if _ELEVEN_DIGITS.search(text) else text


def _scrubbed(texts: tuple[str, ...], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` (copies, changed in place) with every mobile or ID number in `texts` masked."""
    for row in rows:
        for name in texts:
            value = row.get(name)
            if value.__class__ is str:
                row[name] = _scrub(value)
    return rows


def masked(label: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """The record with every personal property of its type masked."""
    return _masked(_MASKS[label], row)


def _masked(masks: tuple[tuple[str, Mask], ...], row: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for name, kind in masks:
        value = out.get(name)
        if value is not None:  # None, or a property not in the row, stays as it is
            out[name] = mask(kind, value)
    return out


def reveal(
    caller: Caller,
    label: str,
    rows: Sequence[Mapping[str, Any]],
    inside: Iterable[bool] | None = None,
) -> list[Revealed]:
    """The records as `caller` may see them, each a copy.

    `inside` gives, for a mediator (`Access.BY_JURISDICTION`), whether each row lies inside
    their jurisdiction; without it every row is masked.
    """
    how = access(caller, label)
    # (a list of Revealed made as a list of dicts: `Revealed(row)` is a call per row)
    if caller.role is Role.ADMIN:
        return cast(list[Revealed], [dict(r) for r in rows])
    texts = _TEXTS.get(label, ())
    if how is Access.FULL:  # a type without personal data: only numbers typed into its texts
        return cast(list[Revealed], _scrubbed(texts, [dict(r) for r in rows]))
    masks = _MASKS[label]
    flags = list(inside) if how is Access.BY_JURISDICTION and inside is not None else []
    if len(flags) != len(rows):
        return cast(list[Revealed], _scrubbed(texts, [_masked(masks, r) for r in rows]))
    out = [dict(r) if shown else _masked(masks, r) for r, shown in zip(rows, flags, strict=True)]
    _scrubbed(texts, [r for r, shown in zip(out, flags, strict=True) if not shown])
    return cast(list[Revealed], out)


def reveal_read(
    backend: Backend, caller: Caller, label: str, rows: Sequence[Mapping[str, Any]]
) -> list[Revealed]:
    """`reveal`, for code that reads the graph itself rather than through a request's loaders
    (the work queue's search, the command line): it looks up where each record lies."""
    flags = None
    if rows and access(caller, label) is Access.BY_JURISDICTION:
        key = SCHEMA.node(label).key
        found = backend.read(inside_query(label), {"keys": [r[key] for r in rows]})
        by_key: dict[Any, list[Mapping[str, Any]]] = {}
        for row in found:
            by_key.setdefault(row["key"], []).append(row)
        scope = DivisionCode.parse(caller.scope or "")
        flags = [inside(by_key.get(r[key], []), scope) for r in rows]
    return reveal(caller, label, rows, flags)


# The texts of a workflow event's data that the workflow makes itself, from closed lists or the
# graph's keys. Any other text there (a report's title and description, a note, a result, a
# cause) is what a person typed, withheld as the schema marks `DisputeEvent.data` (Mask.TEXT):
# a key not listed here is withheld, so a new kind of text fails closed.
EVENT_CODES = frozenset(
    """category channel kind level limit_source place step warning outcome settled_level
    back_to breached for type request_action""".split()
)


def whole(label: str, row: Mapping[str, Any], shown: Mapping[str, Any]) -> bool:
    """Whether `shown` (`reveal`'s copy of `row`) kept every personal property of `row`."""
    return all(shown.get(name) == row.get(name) for name, _ in _MASKS[label])


def reveal_event(
    dispute_whole: bool, reason: str | None, data: Mapping[str, Any]
) -> tuple[str | None, dict[str, Any]]:
    """A dispute event's reason and data as a caller sees them: in full when they see the
    dispute whole (`whole`), else with its free text withheld, as the dispute's title is."""
    if dispute_whole:
        return reason, dict(data)
    return mask(Mask.TEXT, reason), {
        k: mask(Mask.TEXT, v) if isinstance(v, str) and k not in EVENT_CODES else v
        for k, v in data.items()
    }

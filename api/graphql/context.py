"""What every resolver gets: the backend, the caller, this request's loaders.

Backend calls run off the event loop (`_off_loop`, in a pool of threads): the embedded store
is a blocking library (each read borrows one of a few connections; see graph/embedded.py). The read
model's lookups (`held`, `keys_within`, `dispute_fields`) are answered on the loop while
what they read is current (`_current`): a dictionary lookup, which a hop to a worker thread
and back costs many times over; only when the model must be read again, or caught up, do
they go off the loop.
"""

from __future__ import annotations

import asyncio
import bisect
import functools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple, TypeAlias, TypeVar, cast

import strawberry
from strawberry.utils.str_converters import to_camel_case

from api.auth import ANONYMOUS, Caller
from api.graphql.dataloaders import Loaders
from api.graphql.errors import QUERY_TIMEOUT, UserError
from api.privacy import Access, Revealed, access, reveal
from graph.backend import Backend, Params, Row
from graph.errors import QueryTimeout
from graph.places import (
    LEVELS,
    DivisionCode,
    grids_within,
    keys_within_query,
    params,
    placed_by,
    units_of,
    units_up,
)
from graph.schema import SCHEMA
from queries import read_model
from queries.cases import CASES_HELD, Cases
from queries.dispute_fields import DisputeFields

_T = TypeVar("_T")
_UNSEEN = object()  # a look not taken yet (`Context._looked`): its answer may be None


class Context:
    def __init__(self, backend: Backend, caller: Caller = ANONYMOUS, request: Any = None) -> None:
        self.backend = backend
        self.caller = caller
        self.request = request  # the HTTP request, if any: its app's audit log (workflow)
        self.loaders = Loaders(
            self.read,
            self.units_of,
            self.cases,
            self.model,
            self.asked,
            self.units_held,
            self.fields_held,
        )
        # The answers of this request's looks at the read model's currency (`_looks`), while
        # the backend's version stays the even one they were taken at.
        self._version: int | None = None
        self._seen: dict[Hashable, Any] | None = None
        self._grids: dict[DivisionCode, frozenset[str]] = {}
        # The field names the query's document has anywhere, set as it starts executing
        # (`api.graphql.execution`); None until then, or when not run by that execution.
        self.fields_named: frozenset[str] | None = None
        self._homes: asyncio.Future[bool] | None = None  # `_homes_caught_up`

    def close(self) -> None:
        """Called once the request is answered: its loaders closed (`Loaders.close`), so
        that what it made is freed at once, not left in reference cycles to the collector."""
        self.loaders.close()

    def asked(self, label: str) -> frozenset[str] | None:
        """The properties of `label` the query may ask for: each one whose field name the
        query's document has anywhere (in any selection or fragment), so a superset of what
        it asks of that type; None when the document is not known."""
        if self.fields_named is None:
            return None
        return _asked(label, self.fields_named)

    def _looked(self, at: Hashable, look: Callable[..., _T], *args: Any) -> _T:
        """`look(backend, *args)`, taken once a request while nothing is written (`_looks`);
        its arguments passed, not a closure made per call (`model` ~3.5 calls a grid)."""
        seen = self._looks()
        if seen is None:
            return look(self.backend, *args)
        found = seen.get(at, _UNSEEN)
        if found is _UNSEEN:
            found = seen[at] = look(self.backend, *args)
        return cast(_T, found)

    def _looks(self) -> dict[Hashable, Any] | None:
        """Where this request keeps what its looks at the read model found (`model`,
        `cases`), or None while a write is under way. Cleared whenever the backend's version
        has moved since: a write began (or ended) since they were taken. So a look answers
        exactly as a look at the model's stamps would at that moment (`_current`): the stamps
        a write moves change only while the version is odd (graph.embedded moves them before
        the version), and the model, its cases and fields are replaced only after a write.
        A request of 50 grids looked ~170 times, each a stamp lookup."""
        version = getattr(self.backend, "version", None)
        if version != self._version:
            self._version = version
            self._seen = {} if isinstance(version, int) and version % 2 == 0 else None
        return self._seen

    def model(self, labels: frozenset[str]) -> read_model.ReadModel | None:
        """The backend's read model when none of `labels` changed since it was read
        (`_current`), looked up once a request while nothing is written (`_looks`)."""
        return self._looked(labels, _current, labels)

    async def read(self, query: str, params: Params | None = None) -> list[Row]:
        return await self._off_loop(self.backend.read, query, params or {})

    async def units_of(self, grids: list[str]) -> dict[str, str]:
        """The code of the unit each grid lies in, at any depth (`graph.places.units_of`),
        walked up the read model's PART_OF ties when they are current."""
        held = self.units_held(grids)
        if held is not None:
            return held
        return await self._off_loop(units_of, self.backend.read, grids)

    def units_held(self, grids: list[str]) -> dict[str, str] | None:
        """`units_of` from the read model's PART_OF ties when they are current; else None."""
        model = self.model(read_model.PLACES)
        if model is None:
            return None
        if len(grids) == 1:  # a grid PART_OF units lies in the least, as `units_up` finds it
            codes = [code for _, _, code in model.grids_up(grids) if code is not None]
            if codes:
                return {grids[0]: min(codes)}
        return units_up(model.grids_up, grids)

    def cases(self, labels: frozenset[str]) -> Cases | None:
        """The read model's cases (`queries.cases`) when none of `labels` changed since they
        were read, those they hold by their stamp and the rest by the structure's; else None
        (never blocks, never reads them again: the caller reads Cypher); looked up once a
        request while nothing is written (`_looks`)."""
        return self._looked(("cases", labels), _current_cases, labels)

    async def grids_within(self, code: DivisionCode) -> frozenset[str]:
        """The grids inside `code`, at any depth: from the read model when the backend has
        one (`queries.read_model`), else read (once per request)."""
        if code not in self._grids:
            model = self.model(read_model.PLACES)
            self._grids[code] = (
                model.grids_within(code)
                if model is not None
                else await self._off_loop(_grids_within, self.backend, code)
            )
        return self._grids[code]

    async def keys_within(self, label: str, code: DivisionCode) -> list[str] | None:
        """The keys of the records of type `label` inside `code` when they are known without
        a scan: the grids, and the disputes that occurred in them from the read model; None
        for any other type, or without the model."""
        if label == "Grid":
            model = self.model(read_model.PLACES)
            held = (
                model.grids_in_order(code)
                if model is not None
                else await self._off_loop(read_model.grid_keys_within, self.backend, code)
            )
            return held if held is not None else sorted(await self.grids_within(code))
        if label == "Dispute":
            held = self._disputes_held(code)
            if held is not None:
                return held
            return await self._off_loop(read_model.disputes_within, self.backend, code)
        return None

    def _disputes_held(self, code: DivisionCode) -> list[str] | None:
        """`keys_within("Dispute", code)` from the read model while the places and the
        disputes' OCCURRED_IN ties are current (no catch-up needed); else None."""
        model = self.model(read_model.PLACES)
        if model is not None and self.cases(read_model.OCCURRED) is model.cases:
            return model.disputes_within(code)
        return None

    async def placed_keys(self, label: str, code: DivisionCode) -> Placed | None:
        """The keys of the records of `label` inside the town or village `code`, ascending,
        each once, with the unit each lies in (a person's home), when `label` lies by one tie
        to a unit (a person: LIVES_IN): kept from one read while no write changes what it
        read (`_PlacedKeys`); None above a town, for any other type, or on a backend that
        does not say what changed (Neo4j)."""
        if len(code.prefix) < LEVELS["town"] or keys_within_query(label) is None:
            return None
        kept = _PLACED.get(self.backend, label, code)
        if kept is not None or getattr(self.backend, "stamp", None) is None:
            return kept
        return await self._off_loop(_PLACED.read, self.backend, label, code)

    async def held(self, label: str) -> Mapping[str, Mapping[str, Any]] | None:
        """The nodes of `label` by key as the read model holds them (the structure, with the
        properties lists filter and sort on); None without a model."""
        model = self.model(frozenset({label}))
        if model is not None:
            return model.nodes[label]
        return await self._off_loop(read_model.held, self.backend, label)

    async def dispute_fields(self) -> DisputeFields | None:
        """What the list of disputes filters and sorts on, of every dispute, from the read
        model (`queries.dispute_fields`); None without a model, or when it is not current."""
        fields = self.fields_held()
        if fields is not None:
            return fields
        return await self._off_loop(read_model.dispute_fields, self.backend)

    def fields_held(self) -> DisputeFields | None:
        """`dispute_fields` when current as they are (never caught up here: None), looked
        up once a request while nothing is written (`_looks`)."""
        return self._looked("fields", _current_fields)

    async def place_params(self, code: DivisionCode) -> dict[str, Any]:
        """The parameters of `graph.places`' conditions for `code`."""
        return params(code, await self.grids_within(code))

    async def _off_loop(self, call: Callable[..., _T], *args: Any) -> _T:
        try:
            return await asyncio.get_running_loop().run_in_executor(READ_WORKERS, call, *args)
        except QueryTimeout:
            raise UserError(
                "the query ran past the store's time limit (GOVGRAPH_QUERY_TIMEOUT_MS); ask for "
                "a smaller page, fewer nested fields or a narrower filter",
                code=QUERY_TIMEOUT,
            ) from None

    async def reveal(self, label: str, rows: Sequence[Mapping[str, Any]]) -> list[Revealed]:
        """The records as this caller may see them (see `api.privacy`). Whether a record lies
        in a mediator's jurisdiction is judged from the read model where it holds what the
        judgement takes (`_inside_held`), else read: the disputes in the scope's grids
        (`keys_within`), or each record's places walked up (`api.privacy.inside_query`),
        only for the records not judged. One rule, `graph.places.JURISDICTION_BY`, the
        parity test's judge."""
        shown = self.reveal_held(label, rows)
        if shown is not None:
            return shown
        assert self.caller.scope is not None
        scope = DivisionCode.parse(self.caller.scope)
        keys = [r[SCHEMA.node(label).key] for r in rows]
        if label == "Person" and self.cases(_HOMES) is None and await self._homes_caught_up():
            self._version = None  # this request's looks taken again (`_looks`)
        inside = self._inside_held(label, scope, keys)
        unjudged = [k for k, flag in zip(keys, inside, strict=True) if flag is None]
        held = None
        if label == "Dispute":  # the disputes in the scope's grids, read (not held: above)
            held = await self._off_loop(read_model.disputes_within, self.backend, scope)
        if held is not None:
            found = {k: _among(held, k) for k in unjudged}
        else:
            loaded = await self.loaders.inside(label, scope).load_many(unjudged)
            found = dict(zip(unjudged, loaded, strict=True))
        flags = [found[k] if flag is None else flag for k, flag in zip(keys, inside, strict=True)]
        return reveal(self.caller, label, rows, flags)

    def _homes_caught_up(self) -> asyncio.Future[bool]:
        """`_homes_caught_up` off the loop, once a request: its people are revealed in one
        batch per item of a list, side by side."""
        if self._homes is None:
            self._homes = asyncio.ensure_future(self._off_loop(_homes_caught_up, self.backend))
        return self._homes

    def reveal_held(self, label: str, rows: Sequence[Mapping[str, Any]]) -> list[Revealed] | None:
        """`reveal` when it needs no read: for a caller who sees the type whole or masked
        wherever a record lies, or a mediator when the read model judges where every record
        lies (`_inside_held`); else None (whether some lie in the jurisdiction is read)."""
        if not rows or access(self.caller, label) is not Access.BY_JURISDICTION:
            return reveal(self.caller, label, rows)
        assert self.caller.scope is not None
        key = SCHEMA.node(label).key
        scope = DivisionCode.parse(self.caller.scope)
        inside = self._inside_held(label, scope, [r[key] for r in rows])
        if None in inside:
            return None
        return reveal(self.caller, label, rows, cast(list[bool], inside))

    def _inside_held(self, label: str, scope: DivisionCode, keys: list[Any]) -> list[bool | None]:
        """Whether each record of `keys` lies inside the jurisdiction `scope`, judged from the
        read model (None where it cannot): a dispute by the disputes in the scope's grids; a
        person by their homes (the cases' LIVES_IN of the people they number: a dispute's
        parties, the people on ties between people and on the structure's posts) and their
        posts (SERVES_IN, the structure's) on a grid inside the scope, the rule's two ties."""
        if label == "Dispute":
            held = self._disputes_held(scope)
            return [None if held is None else _among(held, k) for k in keys]
        if label != "Person":
            return [None] * len(keys)
        cases = self.cases(_HOMES)
        model = self.model(_POSTS)
        inside: list[bool | None] = []
        for k in keys:
            homes = None if cases is None else cases.homes(k)
            if homes is not None and any(map(scope.contains, homes)):
                inside.append(True)
            elif model is None:
                inside.append(None)
            elif k in model.nodes["Person"] and k in _SERVING.of(self.backend, model, scope):
                inside.append(True)  # the model holds everyone with a post, on a grid or not
            else:
                inside.append(None if homes is None else False)
        return inside

    def posted(self, person: str) -> tuple[str, ...] | None:
        """The grids `person` has a post on (SERVES_IN, any, past or present), from the read
        model's ties into the grids while they are current (`_Posted`); else None."""
        model = self.model(_POSTED)
        if model is None:
            return None
        grids = _POSTED_ON.of(self.backend, model).get(person, ())
        return (grids,) if isinstance(grids, str) else grids


class _Serving:
    """Per backend and scope, the people with a post (SERVES_IN, any, past or present) on a
    grid inside it (`grids_within`), from the read model's ties into the grids: made once
    (5 ms for the demo's county of 10,558 grids) and kept while the model's ties and the
    scope's grids are the ones it was made from (a model brought current after a report
    shares them; one read again after a load makes new ones). Scopes that are the code of a
    unit only (a mediator's), as `ReadModel.grids_within` keeps them."""

    def __init__(self) -> None:
        self._kept: weakref.WeakKeyDictionary[
            Backend, dict[DivisionCode, tuple[object, frozenset[str], frozenset[str]]]
        ] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def of(
        self, backend: Backend, model: read_model.ReadModel, scope: DivisionCode
    ) -> frozenset[str]:
        ties, grids = model.into["SERVES_IN"], model.grids_within(scope)
        with self._lock:
            found = self._kept.get(backend, {}).get(scope)
        if found is not None and found[0] is ties and found[1] is grids:
            return found[2]
        people = frozenset(k for g in grids for _, k, _ in ties.of("Grid", g))
        if scope.full in model.nodes["Unit"]:
            with self._lock:
                self._kept.setdefault(backend, {})[scope] = (ties, grids, people)
        return people


_SERVING = _Serving()


class _Posted:
    """Per backend, the grids each person has a post on (SERVES_IN, any, past or present),
    from the read model's ties into the grids (it holds them all): made when first asked
    and kept while the model's ties are the ones it was made from, as `_Serving` keeps its
    people. A grid's key each (the ties' own str), a tuple for a person on several (each
    once: two posts on one grid are two ties into it)."""

    def __init__(self) -> None:
        self._kept: weakref.WeakKeyDictionary[
            Backend, tuple[object, dict[str, str | tuple[str, ...]]]
        ] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def of(
        self, backend: Backend, model: read_model.ReadModel
    ) -> Mapping[str, str | tuple[str, ...]]:
        ties = model.into["SERVES_IN"]
        with self._lock:
            found = self._kept.get(backend)
        if found is not None and found[0] is ties:
            return found[1]
        posted: dict[str, str | tuple[str, ...]] = {}
        for label, grid in ties:
            if label == "Grid":
                for _, person, _ in ties.of(label, grid):
                    was = posted.get(person)
                    if was is None:
                        posted[person] = grid
                    elif grid not in ((was,) if isinstance(was, str) else was):
                        posted[person] = (*((was,) if isinstance(was, str) else was), grid)
        with self._lock:
            self._kept[backend] = (ties, posted)
        return posted


_POSTED_ON = _Posted()
_POSTED = frozenset({"SERVES_IN", "Grid"})  # what `posted` and `Loaders.posts_held` read
_HOMES = frozenset({"LIVES_IN"})  # what the cases' homes read (`Cases.homes`)
_POSTS = read_model.PLACES | {"SERVES_IN"}  # what `_Serving` reads of the model


class Placed(NamedTuple):
    """The records of a type inside a town or village (`Context.placed_keys`)."""

    keys: list[str]
    """Their keys, ascending, each once."""
    units: dict[str, str]
    """Per key, the least code of the units it lies in, inside the place or not: a person's
    home, as `Person.home` answers it (the least of two)."""


class _PlacedKeys:
    """Per backend, the records of a type inside a town or village (`Placed`), each with
    the stamp of what its read reads (the type, its tie, the units) when the read began:
    kept while that stamp stands, so a write of a person or a home that ends during the read
    or after it is never answered stale. The last read first out, beyond `budget` keys in
    all (a town's residents are thousands)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._kept: weakref.WeakKeyDictionary[
            Backend, OrderedDict[tuple[str, DivisionCode], tuple[int, Placed]]
        ] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    @staticmethod
    def _reads(label: str) -> frozenset[str]:
        (tie,) = placed_by(label)
        return frozenset({label, tie.rel, tie.to})

    def get(self, backend: Backend, label: str, code: DivisionCode) -> Placed | None:
        stamp = getattr(backend, "stamp", None)
        if stamp is None:
            return None
        with self._lock:
            kept = self._kept.get(backend)
            found = None if kept is None else kept.get((label, code))
        if found is None or found[0] != int(stamp(self._reads(label))):
            return None
        return found[1]

    def read(self, backend: Backend, label: str, code: DivisionCode) -> Placed:
        before = int(backend.stamp(self._reads(label)))  # type: ignore[attr-defined]
        query = keys_within_query(label)
        assert query is not None
        rows = backend.read(query, {"within": code.prefix})
        pairs = zip(rows[0]["keys"], rows[0]["units"], strict=True) if rows else ()
        codes: dict[str, str] = {}  # each code once, not once per record
        # a key's least unit put last
        units = {k: codes.setdefault(c, c) for k, c in sorted(pairs, reverse=True)}
        placed = Placed(sorted(units), units)
        if len(units) <= self.budget:
            with self._lock:
                kept = self._kept.setdefault(backend, OrderedDict())
                kept[(label, code)] = (before, placed)
                kept.move_to_end((label, code))
                while sum(len(p.keys) for _, p in kept.values()) > self.budget:
                    kept.popitem(last=False)
        return placed


_PLACED = _PlacedKeys(100_000)


def _among(ordered: list[str], key: str) -> bool:
    """Whether `key` is one of `ordered` (ascending)."""
    at = bisect.bisect_left(ordered, key)
    return at < len(ordered) and ordered[at] == key


def _current(backend: Backend, labels: frozenset[str]) -> read_model.ReadModel | None:
    """`backend`'s model when none of `labels` changed since it was read, found without
    blocking; else None (the caller then asks `queries.read_model`, off the loop, which reads
    it again). The same test as the model's own (`ReadModel.holds`), on the model as it is
    now: a write that ended before this call has moved the stamps it checks (graph.embedded
    moves them before the version), so its changes are never answered stale; one that ends
    after is not seen, as a lookup a moment earlier would not."""
    model = read_model.model_of(backend)
    return model if model is not None and model.holds(backend, labels) else None


def _current_cases(backend: Backend, labels: frozenset[str]) -> Cases | None:
    """`backend`'s model's cases when none of `labels` changed since they were read, those
    they hold by their stamp and the rest by the structure's, found without blocking; else
    None."""
    model = read_model.model_of(backend)
    if model is None:
        return None
    cases = model.cases  # one look: a catch-up replaces them
    if not cases.current(backend, labels & CASES_HELD):
        return None
    return cases if model.holds(backend, labels - CASES_HELD) else None


def _homes_caught_up(backend: Backend) -> bool:
    """Whether `backend`'s model's cases were read again for their homes, not current (a
    write of a home: `Cases.reported` reads them again whole), as `read_model` brings them
    current for what its questions read; False when there is no model or it cannot now."""
    model = read_model.model_of(backend)
    if model is None or model.cases.current(backend, _HOMES):
        return False
    return read_model.catch_up_cases(backend)


def _current_fields(backend: Backend) -> DisputeFields | None:
    """`backend`'s model's dispute fields when current as they are; else None."""
    model = read_model.model_of(backend)
    fields = None if model is None else model.disputes  # one look: a catch-up replaces it
    return fields if fields is not None and fields.current(backend) else None


def _grids_within(backend: Backend, code: DivisionCode) -> frozenset[str]:
    held = read_model.grids_within(backend, code)
    return held if held is not None else grids_within(backend.read, code)


# The threads the backend's calls (`Context._off_loop`) and the headline queries run in: as
# many as Starlette's `run_in_threadpool` allows (anyio's default limiter), a hop 15-40 µs
# cheaper than through it. Any of them may read: each read borrows one of the store's
# connections (graph.embedded).
READ_WORKERS = ThreadPoolExecutor(max_workers=40, thread_name_prefix="govgraph-read")


@functools.lru_cache(maxsize=4096)
def _asked(label: str, fields_named: frozenset[str]) -> frozenset[str]:
    """`Context.asked`, once per label and document (a document's names are one frozenset,
    kept with its parsed operation: `api.graphql.execution`)."""
    properties = SCHEMA.node(label).properties
    return frozenset(p.name for p in properties if _CAMEL[p.name] in fields_named)


_CAMEL = {p.name: to_camel_case(p.name) for n in SCHEMA.nodes for p in n.properties}

Info: TypeAlias = strawberry.Info[Context, None]

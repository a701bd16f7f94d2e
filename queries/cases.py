"""The cases held in memory beside the structure (`queries.read_model`): each dispute's
parties, place, category and list item, and the ties between people a conflict walk follows,
answering the named queries of a dispute (`dispute_facts`, `dispute_parties`, `dispute_orgs`,
`party_visits`, `expert_conflicts`, `conflict_paths`, `expert_load`) with their Cypher's rows.

What a dispute's workflow events change is kept apart, by what each writes
(workflow/store.py):

- The cases (`Cases`): each dispute's parties (PARTY_TO), grid, category and list item, and
  the ties between people a conflict walk follows (RELATED_TO, WORKS_IN, MEMBER_OF), with the
  names of the people and bodies on them; and where those people live (LIVES_IN), with the
  people on the structure's posts (`POSTS`), for a mediator's jurisdiction over them
  (`Cases.homes`, api.graphql.context). A report writes a new dispute's ties, in one write
  locked on the dispute (and its new parties before it, by key); no later event writes any;
  the ties between people are loaded. The cases carry a version of their own. After reports,
  the next question that reads them takes the new disputes' ties, with the people and bodies
  on them and the disputes' list fields, from what each report's writer told of it
  (`dispute_fields.reported`, `reported_rows`: no read) while no later write touched what it
  names, else reads them by key (one read per dispute); the list fields' catch-up at that
  version then reads none (`dispute_fields.read_along`). It appends them
  to the storage the cases before share, with counts of their own (`Cases.reported`; the
  backend's `writes_since` tells what each write since was about): questions under way keep
  the cases before, which see nothing past their counts. Reading them again whole at each
  report took a second of CPU on the demo, and copying them for each report 0.1–1.3 s on a
  city, while the next list waited. Read whole, they are read as Arrow tables, each label's
  keys numbered by Arrow at once, in their order (about 2.3 s of CPU on a city, half of it the
  store's reads). After anything else that changed what they hold (a load, a tie between people, a
  write that did not say what it was about) they are read again whole, alone, first (other
  questions meanwhile read Cypher).
- A dispute's own properties (its title, report day, count of parties and state, which
  every event sets: `OWN`) are never held with the cases, so that the Dispute label's stamp,
  which moves at every event, is not the cases'. They are held for every dispute apart, with
  what the list of disputes filters on (`queries.dispute_fields`), caught up by key by the
  first question after workflow writes; the answers take them from there (`Own`), and read
  the disputes they name by key (`UNWIND $keys … MATCH (d:Dispute {id: k})`, a fraction of
  a millisecond each) only while those cannot answer (a write under way, another question
  catching them up). Read so per question, they cost the referral two reads and the expert
  pool one or two (docs/benchmarks.md).
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
import sys
from array import array
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from datetime import date, datetime
from functools import partial
from itertools import product
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from graph.backend import Backend, Row, writes_changing
from graph.ddl import ident
from graph.labels import EVERYTHING
from graph.schema import SCHEMA, NodeType, Type
from graph.temporal import valid_on
from queries.dispute_fields import (
    FIELDS,
    STRIDE,
    Reported,
    combined,
    ints,
    place_in_text,
    read_along,
    reports_holding,
    scalar,
)

if TYPE_CHECKING:
    from queries.dispute_fields import DisputeFields
    from queries.read_model import ReadModel

Props = dict[str, Any]
FOUND = 4096  # keys' numbers kept by `Cases._find`: under 1 MiB
NULLS: Props = {}  # an optional match that found nothing: every property reads as null


def listed(params: Mapping[str, Any], name: str) -> list[Any] | None:
    """`$name` as a list, or None for anything else (left to Cypher and its error)."""
    value = params[name]
    return list(value) if isinstance(value, list | tuple) else None


# What a report writes for a dispute (its parties, place, category and list item) and the
# ties between people (loaded): read whole, by keys, with the names of their people and
# bodies. Not a dispute's own properties: the workflow sets its state on every event, so the
# answers below read those by key, each time (`Read`).
WALKED = ("RELATED_TO", "WORKS_IN", "MEMBER_OF", "PARTY_TO")
FILED = ("OCCURRED_IN", "IN_DOMAIN", "CLASSIFIED_AS")
# Where the people the cases number live (the units' codes): a mediator's jurisdiction over
# a dispute's parties, judged without a read (api.graphql.context). Read with the rest, for
# the people numbered then; not for those a report numbers since (`Cases.homes`: unknown).
HOMES = "LIVES_IN"
# The people on the structure's posts, numbered (with no tie) for their homes: those a
# referral's contacts name; the model's cases take them from the structure's read of these
# (`Posted`), cases read alone read them. Who holds a post may change with a load unseen
# here: a person not numbered is only not judged (`Cases.homes`: None), and read.
POSTS = ("SERVES_IN", "HOLDS_POST", "LEADS", "MEDIATES_IN")
CASES_HELD = frozenset((*WALKED, *FILED, HOMES, "Person", "Organisation", "PartyOrg", "Department"))
OF_DISPUTES = frozenset(  # what a report writes of them: the ties with a dispute at one end
    t for t in (*WALKED, *FILED) if any("Dispute" in ends for ends in SCHEMA.rel(t).endpoints)
)
_TIE = ("kind", "relation", "side", "valid_from", "valid_to")  # what a walk reads of a tie
_SIDE = _TIE.index("side")

Read = Callable[..., list[Row]]  # a backend's `read`
# The most nodes, as a share of all, with ties added since the index was built (`Cases.later`)
# before it is built again (a pass over every tie: a tenth of a second on the demo)
LATER = 1 / 8


class Cases:
    """The ties of disputes and people as read at `version`: the nodes a walk passes through
    (numbered: label, key and name), every tie of WALKED (its type, ends and `_TIE`
    properties), each node's ties (`ties_of`), and each dispute's grid, domain and list item
    (`filed_of`). Numbers and arrays, not a dict per tie: a city holds half a million; and
    not a str object per node (`key`, `name`): a city's 569,176 nodes, with a dict numbering
    their keys, took 84 MiB so, 15 now.

    Never changed once read (questions on other threads read them): `reported` gives new
    ones, which share these lists, arrays and dictionaries and append to them. Each holds
    its own counts (`node_count`, `tie_count`) and sees nothing numbered past them, so a
    later report's appends are invisible to it: readers take values by number or by key
    (atomic under the GIL) and never iterate what another thread appends to."""

    def __init__(self, backend: Backend, posted: Posted | None = None) -> None:
        """Read whole from `backend`; with `posted` (what the structure's read gave, Arrow:
        its version and the people on POSTS) the people on posts are taken from there, not
        read again, and these cases are of that version, read before their own snapshot
        began: a write between the two then moves a stamp above it (`current`)."""
        self.version = int(getattr(backend, "version", 0)) if posted is None else posted[0]
        self._label_at = array("B")  # each node's label, as its place in `_label_names`
        self._label_names: list[str] = []
        # The nodes numbered by the bulk read, below `_read`: each label's a span of numbers
        # in the order of their keys (`_spans`: its first and end, and every STRIDE-th key),
        # their keys held as one string (key n is _text[_at[n]:_at[n + 1]]) and their names
        # as a number each into one string of the distinct names (-1 for none). A str object
        # each took 64 bytes for a key of 13 characters and a dict numbering them 64 more:
        # 70 MiB for a city's 569,176 nodes, found now by bisection (`_find`).
        self._read = 0
        self._spans: dict[str, tuple[int, int, list[str]]] = {}
        self._text, self._at = "", array("i", (0,))
        # the numbers of the keys last found in those spans (`_find`): a page asks each of
        # its disputes' and people's 2-4 times, ~12,500 instructions a bisection; emptied
        # past FOUND keys. Shared with the cases brought current from these: the spans'
        # numbers never change.
        self._found: dict[tuple[str, str], int] = {}
        self._name_at = array("i")
        self._names_text, self._names_at = "", array("i", (0,))
        # The mobiles of the people numbered by the bulk read (the first span's), in their
        # order: each as a number (`_mobile_numbers`), the few that are not held apart. For a
        # page of disputes' parties shown without a read (api.graphql.dataloaders): a str
        # each would take ~60 bytes, and the demo's and a city's are all 11 digits.
        self._mobiles = array("Q")
        self._odd_mobiles: dict[int, str] = {}
        # Nodes numbered since (a report's, or every node where the store gives no tables),
        # from `_read` on: label -> key -> number, and their keys and names in order
        self._added: dict[str, dict[Any, int]] = defaultdict(dict)
        self._added_keys: list[Any] = []
        self._added_names: list[Any] = []
        self._type_at = array("B")  # each tie's type, as its place in `_type_names`
        self._type_names: list[str] = []
        self.starts, self.ends = array("i"), array("i")
        # each tie's `_TIE` properties, as its place among the distinct tuples (`props`): a
        # pointer each took 4.3 MiB for a city's 497,571 ties, two bytes each now (four past
        # 65,536 distinct tuples: a city's share 13,872)
        self._props_at = array("H")
        self._props: list[tuple[Any, ...]] = []
        # Each FILED type's other end of the disputes read, and HOMES' of the people: (the
        # first node's number, for each node from it the number of its other end or -1,
        # those other ends); and by number those filed since, or with several (a tuple)
        self._filed_read: dict[str, tuple[int, array[int], list[str]]] = {}
        self.filed: dict[str, dict[int, Filed]] = {t: {} for t in (*FILED, HOMES)}
        held: dict[Any, Any] = {}  # each repeated value (names, keys, property tuples) once
        tables = getattr(backend, "table_snapshot", None)
        if tables is not None:
            read_posts = posted is None
            with tables() as read:
                tables_read = [(*t[:3], read(t[3])) for t in _texts(read_posts, arrow=True)]
            self._append_tables(tables_read, held, [] if posted is None else posted[1])
            del tables_read
        else:
            for fetched in _fetch(backend.read):  # a fresh object: appended as read
                self._append(fetched, held)
        self.node_count, self.tie_count = self._numbered(), len(self._type_at)
        self.homed = self.node_count  # the nodes whose homes were read with them (`homes`)
        self._index()
        self._by_grid: dict[str, list[int]] | None = None  # OCCURRED_IN the other way
        self._occurred_in: dict[Any, tuple[frozenset[str], list[str]]] = {}  # as asked

    def _append(self, fetched: Fetched, held: dict[Any, Any]) -> None:
        """Append one read's ties (of WALKED or FILED) and the nodes at their ends."""
        type_, a_label, b_label, rows = fetched
        if type_ in POSTS:
            for row in rows:
                self._number(a_label, row["a"], row["a_name"], held)
            return
        if type_ == HOMES:  # read last: of the people numbered, none numbered for it
            homes = self.filed[HOMES]
            for row in rows:
                n = self._find("Person", row["a"])
                if n is not None:
                    _file(homes, n, held.setdefault(row["b"], row["b"]))
            return
        if type_ in FILED:
            filed = self.filed[type_]
            for row in rows:
                d = self._number("Dispute", row["a"], None, held)
                _file(filed, d, held.setdefault(row["b"], row["b"]))
            return
        for row in rows:
            props = tuple(row.get(c) for c in _TIE)
            self._type_at.append(_code(self._type_names, type_))
            self.starts.append(self._number(a_label, row["a"], row["a_name"], held))
            self.ends.append(self._number(b_label, row["b"], row.get("b_name"), held))
            self._append_props([props])

    def _append_tables(
        self,
        tables: list[tuple[str, str, str, pa.Table]],
        held: dict[Any, Any],
        posted: list[_Ends],
    ) -> None:
        """Every tie of WALKED and FILED, read as Arrow tables, into cases with no node yet:
        each label's keys numbered at once, in their order (Arrow's `dictionary_encode` of
        all its ends together, then sorted), each node's name taken where its key is first
        seen, as `_append` does row by row; the people `posted` (their keys, names, mobiles
        and places in the store, where POSTS' reads are not among `tables`) numbered with
        them. A person's home (HOMES) is found by that place (`AT`), not by the key: a
        city's million homes were read with their people's keys and looked up by them,
        0.3 s and 0.2 of CPU."""
        # label -> its ends in each table: their keys, names, (a person's) mobiles and places
        ends: dict[str, list[_Ends]] = {}
        at: dict[tuple[int, str], tuple[str, int]] = {}  # (table, end) -> label, first row
        for i, (type_, a_label, b_label, table) in enumerate(tables):
            for end, label in (("a", a_label), ("b", b_label)):
                if ((type_ in FILED or type_ in POSTS) and end == "b") or type_ == HOMES:
                    continue
                name, mobile, place = (
                    table.column(c) if c in table.column_names else None
                    for c in (end + "_name", end + "_" + MOBILE, end + AT)
                )
                columns = ends.setdefault(label, [])
                at[(i, end)] = (label, sum(len(c[0]) for c in columns))
                columns.append((table.column(end), name, mobile, place))
        if posted:
            ends.setdefault("Person", []).extend(posted)
        numbers: dict[str, pa.Array] = {}  # label -> the number of each of its ends, in order
        keys: list[pa.Array] = []  # each label's, in order
        ordered: dict[str, pa.Array] = {}  # label -> its keys, in order
        names: list[pa.Array] = []  # of those keys
        places = pa.nulls(0, pa.int64())  # of the people numbered, in order (`AT`)
        for label, columns in ends.items():
            encoded = pc.dictionary_encode(pa.concat_arrays([_strings(c[0]) for c in columns]))
            unique, indices = encoded.dictionary, encoded.indices
            order = pc.array_sort_indices(unique)  # its n-th key's place among the unique
            rank = pc.array_sort_indices(order)  # the inverse: each unique key's place
            offset = self._read
            numbers[label] = pc.add(pc.take(rank, indices), scalar(offset, "Q"))
            self._read += len(unique)
            keys.append(ordered.setdefault(label, unique.take(order)))
            self._label_at.extend(array("B", (_code(self._label_names, label),)) * len(unique))
            self._spans[label] = (offset, self._read, [])
            # a key is first seen where its number is above every number before it
            before = pa.concat_arrays(
                [ints(array("i", (-1,))).cast(indices.type), pc.cumulative_max(indices)]
            ).slice(0, len(indices))
            first_seen = pc.greater(indices, before)
            names.append(_where_first_seen([c[1] for c in columns], columns, first_seen, order))
            if label == "Person":
                mobiles = [c[2] for c in columns]
                self._mobiles, self._odd_mobiles = _mobile_numbers(
                    _where_first_seen(mobiles, columns, first_seen, order)
                )
                places = _where_first_seen([c[3] for c in columns], columns, first_seen, order)
        if keys:
            self._text, self._at = joined(pa.concat_arrays(keys))
            for first, stop, samples in self._spans.values():
                samples.extend(map(self.key, range(first, stop, STRIDE)))
            distinct = pc.dictionary_encode(pa.concat_arrays(names))
            self._names_text, self._names_at = joined(distinct.dictionary)
            none = scalar(-1, "i")
            self._name_at = _numbers(pc.fill_null(distinct.indices.cast(pa.int32()), none))

        def numbered(i: int, end: str, count: int) -> array[int]:
            label, first = at[(i, end)]
            return _numbers(numbers[label].slice(first, count))

        for i, (type_, a_label, _, table) in enumerate(tables):
            n = table.num_rows
            if type_ == HOMES and a_label in ordered:  # of the people numbered: their number
                found = pc.index_in(combined(table.column("a" + AT)), value_set=places)
                kept = pc.is_valid(found)
                first = scalar(self._spans[a_label][0], "i")
                people = pc.add(pc.filter(found, kept).cast(pa.int32()), first)
                self._file_read(type_, a_label, _numbers(people), table.filter(kept)["b"], held)
                continue
            if type_ in FILED:
                if n:
                    self._file_read(type_, "Dispute", numbered(i, "a", n), table.column("b"), held)
                continue
            if type_ in POSTS:
                continue  # their people numbered, no tie
            self._type_at.extend(array("B", (_code(self._type_names, type_),)) * n)
            self.starts.extend(numbered(i, "a", n))
            self.ends.extend(numbered(i, "b", n))
            distinct, codes = _tie_props(table, held)
            self._append_props(distinct, codes)

    def _append_props(
        self, distinct: list[tuple[Any, ...]], codes: Iterable[int] | None = None
    ) -> None:
        """Ties' `_TIE` properties appended: `distinct` appended to the tuples held, each
        tie's the one of them its code names (by default the only one). A tuple is held once
        per read: each report's are appended anew, as they were held anew before."""
        base = len(self._props)
        self._props.extend(distinct)
        if len(self._props) > 1 << 16 and self._props_at.typecode == "H":
            # wider, for these and the cases brought current from them: the cases before
            # keep theirs, which they read no further than their own count
            self._props_at = array("i", self._props_at)
        if codes is None:
            self._props_at.append(base)
        else:
            self._props_at.fromlist([code + base for code in codes])

    def props(self, tie: int) -> tuple[Any, ...]:
        """The `_TIE` properties of `tie`."""
        return self._props[self._props_at[tie]]

    def _file_read(
        self,
        type_: str,
        label: str,
        nodes: array[int],
        others: pa.ChunkedArray,
        held: dict[Any, Any],
    ) -> None:
        """The ties of `type_` (one of FILED, or HOMES) read whole: from each of `nodes`
        (numbered, of `label`) to the other end's key in `others`. A node with one is held
        by number, placed by Arrow (a Python loop over a city's 740,000 took 0.16 s); one
        with several, as a tuple of them in the order read."""
        first, end, _ = self._spans[label]
        encoded = pc.dictionary_encode(_strings(others))
        values = [held.setdefault(v, v) for v in encoded.dictionary.to_pylist()]
        at = pc.subtract(ints(nodes), scalar(first, "i"))  # each one's place in the span
        counted = pc.value_counts(at)
        twice = pc.filter(
            counted.field("values"), pc.greater(counted.field("counts"), scalar(1, "q"))
        )
        once = pc.invert(pc.is_in(at, value_set=twice))
        placed = pc.scatter(
            pc.filter(encoded.indices, once), pc.filter(at, once), max_index=end - first - 1
        )
        of = _numbers(pc.fill_null(placed, scalar(-1, "i")))
        several = self.filed[type_]
        if len(twice):
            more = pc.invert(once)
            for d, b in zip(
                _numbers(pc.filter(at, more)),
                _numbers(pc.filter(encoded.indices, more)),
                strict=True,
            ):
                _file(several, d + first, values[b])
        self._filed_read[type_] = (first, of, values)

    def _index(self) -> None:
        """Each node's ties, both ways: ties[first[n]:first[n + 1]], and none `later`."""
        nodes, tied = self.node_count, self.tie_count
        # both ends of every tie, sorted by node (stably: a node's ties as a start, then as an
        # end, each in the order of the ties), in Arrow rather than a Python loop per end
        both = pa.concat_arrays([ints(self.starts[:tied]), ints(self.ends[:tied])])
        order = pc.sort_indices(both)
        # where each node's first lies among the ends sorted (a Python loop per node took a
        # quarter of a second on a city)
        one = scalar(1, "i")
        ones = pc.fill_null(pa.nulls(nodes + 1, pa.int32()), one)
        upto = pc.subtract(pc.cumulative_sum(ones), one)
        self.first = _numbers(pc.search_sorted(both.take(order), upto.cast(pa.int32())))
        past = scalar(tied, "Q")  # `order`'s type
        self.ties = _numbers(pc.if_else(pc.less(order, past), order, pc.subtract(order, past)))
        del both, order, upto
        pa.default_memory_pool().release_unused()  # mimalloc keeps what Arrow freed: 80 MiB
        # node -> its ties appended since (`reported`), in ascending order: shared by the
        # cases brought current from these, each seeing those below its `tie_count`
        self.later: dict[int, array[int]] = {}

    def reported(self, backend: Backend, version: int) -> Cases | None:
        """These cases brought to `version` (at which no write is under way) by reading only
        the ties of the disputes reported since, and the people and bodies on them: when
        every write since that changed what they hold was a report (a write locked on a
        dispute they do not hold, creating only ties of disputes: `Written.about`) or wrote
        nodes by key none of which they hold (the reporter's new parties). The new ties are
        read first (one read per dispute, its list fields along: `_fetch_reported`), then
        appended to the storage these share, with new counts: questions under way keep
        these, which see none of them, and a read that fails appends nothing. The cost is
        that of what was reported, never a copy of the cases. None when anything else
        changed them (a load, a tie between people, a write that named nothing), the writes
        since are no longer known, or these are not the latest cases read (others appended
        past them): they are then read again whole."""
        writes = writes_changing(backend, self.version, version, CASES_HELD)
        if writes is None or (self._numbered(), len(self._type_at)) != (
            self.node_count,
            self.tie_count,
        ):
            return None
        disputes: set[str] = set()
        for w in writes:
            held = w.changed & (CASES_HELD | {EVERYTHING})
            if w.about is None:
                return None
            label, keys = w.about
            if label == "Dispute" and held <= OF_DISPUTES and not any(map(self._holds, keys)):
                disputes |= keys
            elif held != {label} or any(self.node(label, k) is not None for k in keys):
                return None
        new = copy.copy(self)
        new.version = version
        if not disputes:
            return new
        # what their writer told of them where it still holds (no store read of new ties),
        # else read; all before anything is appended
        told = {
            d: rows
            for d, report in reports_holding(backend, disputes, version).items()
            if (rows := reported_rows(report)) is not None
        }
        fetched, fields = _fetch_reported(backend.read, sorted(disputes), told)
        read_along(backend, version, fields)  # the list fields' catch-up at `version` reads none
        added, appended = len(self._type_at), dict[Any, Any]()
        for each in fetched:
            new._append(each, appended)
        new.node_count, new.tie_count = new._numbered(), len(new._type_at)
        for tie in range(added, new.tie_count):
            for x in (new.starts[tie], new.ends[tie]):
                ties = new.later.get(x)
                if ties is None:
                    new.later[x] = array("i", (tie,))
                else:
                    ties.append(tie)  # twice for a tie of a node to itself, as `_index`
        if len(new.later) > LATER * new.node_count:
            new._index()
        # the new disputes in the places' answers kept: by grid, and per place asked
        placed = [(d, g) for d in sorted(disputes) for g in new.filed_of("OCCURRED_IN", d)]
        if new._by_grid is not None:
            for d, g in placed:
                n = new.node("Dispute", d)
                assert n is not None
                new._by_grid.setdefault(g, []).append(n)
        new._occurred_in = {}
        for place, (grids, found) in dict(self._occurred_in).items():
            hits = {d for d, g in placed if g in grids}
            new._occurred_in[place] = (grids, sorted([*found, *hits]) if hits else found)
        return new

    def _holds(self, dispute: str) -> bool:
        return self.node("Dispute", dispute) is not None  # every filed dispute is numbered

    def filed_of(self, type_: str, dispute: Any) -> tuple[str, ...]:
        """The other ends of `dispute`'s ties of `type_` (one of FILED)."""
        n = self.node("Dispute", dispute)
        if n is None:
            return ()  # none held, or filed after these were read
        return self._other_ends(type_, n)

    def homes(self, person: Any) -> tuple[str, ...] | None:
        """The codes of the units `person` LIVES_IN; None when not known here: a person the
        cases do not number, or numbered since they were read whole (a report's new party:
        `reported` reads no homes)."""
        n = self.node("Person", person)
        return None if n is None or n >= self.homed else self._other_ends(HOMES, n)

    def person(self, key: Any) -> tuple[Any, Any] | None:
        """The name and mobile of the person `key` as read whole with these cases; None for
        a person they do not number, or numbered since (a report's: no mobile read)."""
        span = self._spans.get("Person")
        n = self.node("Person", key)
        if span is None or n is None or not span[0] <= n < min(span[1], self._read):
            return None
        code = self._mobiles[n - span[0]]
        mobile = str(code)[1:] if code else self._odd_mobiles.get(n - span[0])
        return self.name(n), mobile

    def _other_ends(self, type_: str, n: int) -> tuple[str, ...]:
        held = self.filed[type_].get(n)
        if held is None:
            read = self._filed_read.get(type_)
            if read is None or not 0 <= n - read[0] < len(read[1]) or read[1][n - read[0]] < 0:
                return ()
            return (read[2][read[1][n - read[0]]],)
        return (held,) if isinstance(held, str) else held

    def occurred_in(self, grids: frozenset[str], place: Hashable | None) -> list[str]:
        """The disputes that OCCURRED_IN any of `grids` (the grids inside `place`), each once,
        in ascending order; kept per `place` unless None, with its grids (`reported` adds
        the new disputes in them)."""
        kept = self._occurred_in.get(place) if place is not None else None
        if kept is not None:
            return kept[1]
        by_grid = self._by_grid
        if by_grid is None:  # built from a copy of the items: later reports add to them
            ties: dict[str, list[int]] = defaultdict(list)
            read = self._filed_read.get("OCCURRED_IN")
            if read is not None:
                first, of, values = read
                for n, b in enumerate(of, first):
                    if b >= 0:
                        ties[values[b]].append(n)
            for n, places in list(self.filed["OCCURRED_IN"].items()):
                if n < self.node_count:
                    for grid in (places,) if isinstance(places, str) else places:
                        ties[grid].append(n)
            by_grid = self._by_grid = dict(ties)
        fence = self.node_count
        found = sorted({self.key(n) for g in grids for n in by_grid.get(g, ()) if n < fence})
        if place is not None:
            self._occurred_in[place] = (grids, found)
        return found

    def _numbered(self) -> int:
        """How many nodes are numbered, by these cases or by any brought current from them."""
        return self._read + len(self._added_keys)

    def _number(self, label: str, key: Any, name: Any, held: dict[Any, Any]) -> int:
        n = self._find(label, key)
        if n is None:
            n = self._added[label][key] = self._numbered()
            self._label_at.append(_code(self._label_names, label))
            self._added_keys.append(key)
            self._added_names.append(None if name is None else held.setdefault(name, name))
        return n

    def _find(self, label: str, key: Any) -> int | None:
        """The number of the node `label` `key`, however recent (others' appends too)."""
        span = self._spans.get(label)
        if span is not None and isinstance(key, str):
            found = self._found
            n = found.get((label, key))
            if n is not None:
                return n
            first, end, samples = span
            n = place_in_text(self._text, self._at, samples, key, first, end)
            if n is not None:
                if len(found) >= FOUND:
                    found.clear()
                found[label, key] = n
                return n
        added = self._added.get(label)  # never adds a label: other threads read them
        return None if added is None else added.get(key)

    def node(self, label: str, key: Any) -> int | None:
        if not isinstance(key, str):
            return None
        n = self._find(label, key)
        return n if n is not None and n < self.node_count else None

    def label(self, n: int) -> str:
        return self._label_names[self._label_at[n]]

    def type_of(self, tie: int) -> str:
        return self._type_names[self._type_at[tie]]

    def key(self, n: int) -> Any:
        """The key of the node numbered `n`."""
        read = self._read
        if n < read:
            at = self._at
            return self._text[at[n] : at[n + 1]]
        return self._added_keys[n - read]

    def name(self, n: int) -> Any:
        """The name of the node numbered `n` (None when it has none)."""
        read = self._read
        if n < read:
            i = self._name_at[n]
            if i < 0:
                return None
            at = self._names_at
            return self._names_text[at[i] : at[i + 1]]
        return self._added_names[n - read]

    def ties_of(self, n: int) -> array[int]:
        first = self.first
        ties = self.ties[first[n] : first[n + 1]] if n + 1 < len(first) else array("i")
        later = self.later.get(n)
        if later is None:
            return ties
        later = later[:]  # one copy (atomic): `reported` may be appending to it
        if later[-1] >= self.tie_count:
            later = array("i", (t for t in later if t < self.tie_count))
        return ties + later

    def other(self, tie: int, n: int) -> int:
        a = self.starts[tie]
        return self.ends[tie] if a == n else a

    def side(self, tie: int) -> Any:
        """The side of the party on PARTY_TO tie `tie` (its `_TIE` property)."""
        return self._props[self._props_at[tie]][_SIDE]

    def parties(self, dispute: str) -> list[tuple[int, int]]:
        """(party, tie) of each PARTY_TO tie into `dispute`."""
        d = self.node("Dispute", dispute)
        if d is None:
            return []
        return [(self.starts[t], t) for t in self.ties_of(d) if self.ends[t] == d]

    def current(self, backend: Backend, labels: frozenset[str]) -> bool:
        stamp = getattr(backend, "stamp", None)
        return stamp is not None and int(stamp(labels)) <= self.version


Filed = str | tuple[str, ...]  # a dispute's other end of a FILED type, or its several
# The people on POSTS as the structure read them, in Arrow (each read's keys, names and
# mobiles), with the version the structure was read at (queries.read_model)
Posted = tuple[int, list["_Ends"]]
Fetched = tuple[str, str, str, list[Row]]  # a read's type, end labels and rows


def _code(names: list[str], name: str) -> int:
    """`name`'s place in `names` (a label's, a type's: a byte each, not a pointer), added
    there when it is not yet."""
    if name not in names:
        names.append(name)
    return names.index(name)


def _file(filed: dict[int, Filed], dispute: int, other: Any) -> None:
    """`other` filed for `dispute`: a value, or a tuple once it has several."""
    was = filed.get(dispute)
    filed[dispute] = other if was is None else (*((was,) if isinstance(was, str) else was), other)


def _tie_props(table: pa.Table, held: dict[Any, Any]) -> tuple[list[tuple[Any, ...]], array[int]]:
    """The distinct `_TIE` properties of the ties of `table`, each tuple held once, and
    each tie's place among them: its columns' values numbered by Arrow, each tie's numbers
    made one (a city's ties share 13,872 tuples: a Python value per tie and column took a
    third of a second)."""
    code = pc.fill_null(pa.nulls(table.num_rows, pa.int64()), scalar(0, "q"))
    dictionaries = []
    for c in _TIE:
        if c not in table.column_names:
            dictionaries.append([None])
            continue
        encoded = pc.dictionary_encode(combined(table.column(c)))
        values = [*encoded.dictionary.to_pylist(), None]  # the last: null
        indices = pc.fill_null(encoded.indices.cast(pa.int64()), scalar(len(values) - 1, "q"))
        code = pc.add(pc.multiply(code, scalar(len(values), "q")), indices)
        dictionaries.append(values)
    distinct = pc.dictionary_encode(code)
    tuples = []
    for number in distinct.dictionary.to_pylist():
        props = []
        for values in reversed(dictionaries):
            number, at = divmod(number, len(values))
            props.append(values[at])
        p = tuple(reversed(props))
        tuples.append(held.setdefault(p, p))
    return tuples, _numbers(distinct.indices)


def joined(values: pa.Array) -> tuple[str, array[int]]:
    """Strings (no nulls) as one string and where each starts in it, with its end last."""
    lengths = pc.utf8_length(values).cast(pa.int32())
    at = _numbers(pa.concat_arrays([ints(array("i", (0,))), pc.cumulative_sum(lengths)]))
    values = values.cast(pa.string())
    _, offsets, data = values.buffers()  # the UTF-8 of each, one after another
    first, last = (
        int.from_bytes(offsets[4 * n : 4 * n + 4], sys.byteorder, signed=True)
        for n in (values.offset, values.offset + len(values))
    )
    return bytes(data[first:last]).decode() if last > first else "", at


# a read's ends of one label: their keys, names, mobiles and (a person's) places (`AT`)
_Ends = tuple[
    pa.ChunkedArray, pa.ChunkedArray | None, pa.ChunkedArray | None, pa.ChunkedArray | None
]


def _where_first_seen(
    values: list[pa.ChunkedArray | None],
    columns: list[_Ends],
    first_seen: pa.Array,
    order: pa.Array,
) -> pa.Array:
    """Per key of `columns` (their ends, numbered in `order`), its value in `values` (each
    column's, or None: nulls) where the key is first seen."""
    joined = [
        _strings(v) if v is not None else pa.nulls(len(c[0]), pa.string())
        for v, c in zip(values, columns, strict=True)
    ]
    return pc.filter(pa.concat_arrays(joined), first_seen).take(order)


_DIGITS = 18  # the most a mobile held as a number may have ("1" and them: below 2**64)


def _mobile_numbers(mobiles: pa.Array) -> tuple[array[int], dict[int, str]]:
    """Mobiles (strings or nulls) as a number each: "1" and the mobile's digits read as one
    number (a leading zero kept), 0 for none; one that is not 1 to `_DIGITS` ASCII digits is
    held apart as it is, by its place."""
    short = pc.less_equal(pc.utf8_length(mobiles), scalar(_DIGITS, "i"))
    digits = pc.and_kleene(pc.is_valid(mobiles), pc.and_(pc.ascii_is_decimal(mobiles), short))
    prefixed = pc.utf8_replace_slice(mobiles, start=0, stop=0, replacement="1")
    numbers = pc.fill_null(
        pc.if_else(digits, prefixed, pa.nulls(len(mobiles), pa.string())).cast(pa.uint64()),
        scalar(0, "Q"),
    )
    held = array("Q")
    held.frombytes(numbers.buffers()[1])
    del held[len(numbers) :]  # a buffer may be longer than its array
    odd = pc.indices_nonzero(pc.and_(pc.is_valid(mobiles), pc.invert(digits))).to_pylist()
    return held, {at: mobiles[at].as_py() for at in odd}


def _numbers(values: pa.Array) -> array[int]:
    """Arrow's integers (no nulls) as an array of ints, copied from their buffer."""
    values = values.cast(pa.int32())
    out = array("i")
    data = values.buffers()[1]
    out.frombytes(memoryview(data)[values.offset * 4 : (values.offset + len(values)) * 4])
    return out


def _strings(column: pa.ChunkedArray) -> pa.Array:
    return combined(column.cast(pa.string()))


Column = tuple[str, str, Type]  # a read's column: its name, its expression, its type


def _reads() -> Iterator[tuple[str, str, str, list[Column]]]:
    """The reads of the ties of WALKED and FILED: each one's type, end labels and columns (the
    keys of the nodes at their ends, their names where they have one, the tie's `_TIE`)."""
    for type_ in WALKED:
        rel = SCHEMA.rel(type_)
        for a_label, b_label in rel.endpoints:
            a, b = SCHEMA.node(a_label), SCHEMA.node(b_label)
            columns = [_key("a", a), _key("b", b), ("a_name", "a.name", a.property("name").type)]
            if any(p.name == "name" for p in b.properties):
                columns.append(("b_name", "b.name", b.property("name").type))
            columns += [
                (p.name, "r." + ident(p.name), p.type) for p in rel.properties if p.name in _TIE
            ]
            yield type_, a_label, b_label, columns
    for type_ in POSTS:
        for a_label, b_label in SCHEMA.rel(type_).endpoints:
            a = SCHEMA.node(a_label)
            name = a.property("name").type
            yield type_, a_label, b_label, [_key("a", a), ("a_name", "a.name", name)]
    for type_ in (*FILED, HOMES):  # HOMES last: of the people the others numbered
        ((a_label, b_label),) = SCHEMA.rel(type_).endpoints
        yield (
            type_,
            a_label,
            b_label,
            [_key("a", SCHEMA.node(a_label)), _key("b", SCHEMA.node(b_label))],
        )


def _key(var: str, node: NodeType) -> Column:
    return var, var + "." + ident(node.key), node.property(node.key).type


MOBILE = "mobile"  # of the people at the ends of WALKED and POSTS, read whole (`Cases.person`)
# A person's place among the store's people (LadybugDB's `offset(id(n))`), read beside its
# key where the cases are read as Arrow tables (`_append_tables`), as "a" + AT, "b" + AT
AT = "_at"


def offset_of(var: str) -> str:
    """The expression of `var`'s place among the nodes of its label in the store."""
    return "offset(id(" + var + "))"


def _texts(posts: bool = True, arrow: bool = False) -> Iterator[tuple[str, str, str, str]]:
    """The text of each of `_reads` (but POSTS' without `posts`), of every such tie, with the
    mobile of each person the cases number at its ends; `arrow`: with each such person's
    place (`AT`), and HOMES' people by that place, not their keys."""
    for type_, a_label, b_label, columns in _reads():
        if type_ in POSTS and not posts:
            continue
        if type_ not in FILED and type_ != HOMES:
            numbered = ("a", a_label), *(() if type_ in POSTS else (("b", b_label),))
            mobile = SCHEMA.node("Person").property(MOBILE).type
            people = [end for end, label in numbered if label == "Person"]
            columns = columns + [
                (e + "_" + MOBILE, e + "." + ident(MOBILE), mobile) for e in people
            ]
            if arrow:
                columns += [(e + AT, offset_of(e), Type.INT64) for e in people]
        elif type_ == HOMES and arrow:
            columns = [("a" + AT, offset_of("a"), Type.INT64), *columns[1:]]
        returned = ", ".join(e + " AS " + n for n, e, _ in columns)
        yield (
            type_,
            a_label,
            b_label,
            (_posted if type_ in POSTS else partial(_match, keyed=False))(type_, a_label, b_label)
            + " RETURN "
            + returned,
        )


def _posted(type_: str, a_label: str, b_label: str) -> str:
    """`MATCH` of every tie of `type_` (one of POSTS) from the other end's nodes: LadybugDB
    plans it from the people as a scan of every person (a city's million, queries.read_model)."""
    b = "(b:" + ident(b_label) + ")"
    return "MATCH " + b + " WITH b MATCH (a:" + ident(a_label) + ")-[r:" + ident(type_) + "]->(b)"


def _fetch(read: Read) -> Iterator[Fetched]:
    """The rows of each of `_texts`: every tie."""
    for type_, a_label, b_label, text in _texts():
        yield type_, a_label, b_label, read(text)


def _reported_text() -> tuple[str, list[tuple[str, str, str, frozenset[str]]], list[str]]:
    """One read of everything a report wrote of the dispute `$dispute` that the cases hold
    (those of `_reads` with a Dispute at one end, as one UNION ALL, `branch` telling which
    each row is of), each row with the dispute's FIELDS (queries.dispute_fields); those
    reads' types, end labels and the columns each gives, in the order of `branch`; and the
    columns of a row. One read, not one per type and one for the fields: each read takes a
    connection from the pool, prepares its statement again on one opened since (the pool
    replaces each every 100 reads), and waits to take the interpreter back after it (a
    writer on another thread holds it meanwhile)."""
    keyed = [(t, a, b, columns) for t, a, b, columns in _reads() if "Dispute" in (a, b)]
    types: dict[str, Type] = {}  # every column of any of them, in order: null where not its
    for *_, columns in keyed:
        for name, _, held in columns:
            types.setdefault(name, held)
    branches = []
    for i, (type_, a_label, b_label, columns) in enumerate(keyed):
        given = {name: expression for name, expression, _ in columns}
        dispute = "a" if a_label == "Dispute" else "b"
        returned = [
            f"{i} AS branch",
            *(given.get(n, f"CAST(NULL AS {t.value})") + " AS " + n for n, t in types.items()),
            *(f"{dispute}.{ident(f)} AS {ident(f)}" for f in FIELDS),
        ]
        branches.append(
            _match(type_, a_label, b_label, keyed=True) + " RETURN " + ", ".join(returned)
        )
    reads = [(t, a, b, frozenset(n for n, _, _ in columns)) for t, a, b, columns in keyed]
    return " UNION ALL ".join(branches), reads, ["branch", *types, *FIELDS]


def _fetch_reported(
    read: Read, disputes: list[str], told: Mapping[str, list[Row]]
) -> tuple[list[Fetched], list[Row]]:
    """What reports wrote of `disputes` that the cases hold, as `_fetch` gives every tie (each
    read's rows in the order of `disputes`), and the FIELDS of each (with "id") that has a
    tie: the rows their writer `told` where it did, else one read per dispute (LadybugDB
    joins an `UNWIND $keys` with a relationship by scanning its type: 30 ms on the demo,
    where a read of one dispute's takes a fraction of one)."""
    rows, fields = [], []
    for d in disputes:
        found = told[d] if d in told else read(_REPORTED, {"dispute": d})
        rows += found
        if found:
            fields.append({"id": d, **{f: found[0][f] for f in FIELDS}})
    fetched = [
        (type_, a_label, b_label, [row for row in rows if row["branch"] == i])
        for i, (type_, a_label, b_label, _) in enumerate(_REPORTED_READS)
    ]
    return fetched, fields


def reported_rows(report: Reported) -> list[Row] | None:
    """The rows `_REPORTED` reads of the dispute a report wrote, made from what its writer
    told of it (`dispute_fields.Reported`); None when it wrote a tie the cases hold that no
    branch reads (the catch-up then reads)."""
    rows = []
    for type_, a_label, a_key, a_name, b_label, b_key, props in report.ties:
        branch = _REPORTED_BRANCHES.get((type_, a_label, b_label))
        if branch is None:
            if type_ in CASES_HELD:
                return None
            continue  # not the cases' (REPORTED)
        i, given = branch
        values = {"branch": i, "a": a_key, "b": b_key, "a_name": a_name, **props}
        rows.append(
            {c: values.get(c) if c in given or c == "branch" else None for c in _REPORTED_COLUMNS}
            | {f: report.fields[f] for f in FIELDS}
        )
    return rows


def _match(type_: str, a_label: str, b_label: str, keyed: bool) -> str:
    """`MATCH (a)-[r:type_]->(b)` of every such tie, or (`keyed`) of the dispute `$dispute`."""
    by_key = " {" + ident(SCHEMA.node("Dispute").key) + ": $dispute})"
    ends = [
        "(" + var + ":" + ident(label) + (by_key if keyed and label == "Dispute" else ")")
        for var, label in (("a", a_label), ("b", b_label))
    ]
    return "MATCH " + ends[0] + "-[r:" + ident(type_) + "]->" + ends[1]


_REPORTED, _REPORTED_READS, _REPORTED_COLUMNS = _reported_text()
# each read's branch and columns by its type and end labels (`reported_rows`)
_REPORTED_BRANCHES = {(t, a, b): (i, given) for i, (t, a, b, given) in enumerate(_REPORTED_READS)}


def _day(params: Mapping[str, Any], name: str) -> bool:
    """Whether `$name` is a date or null (anything else is left to Cypher and its error)."""
    day = params[name]
    return day is None or (isinstance(day, date) and not isinstance(day, datetime))


OWN = ("title", "reported_on", "parties", "warning", "status", "outcome")
_OWN_BY_KEY = "UNWIND $keys AS k MATCH (d:Dispute {id: k}) RETURN d.id AS id" + "".join(
    ", d." + ident(c) + " AS " + ident(c) for c in OWN
)
_OWN_AT = [FIELDS.index(c) for c in OWN]


class Own:
    """The own properties of the disputes a question names (OWN: the workflow sets their state
    at every event), as they are now: from what is held of every dispute (`held()`:
    `queries.dispute_fields`, caught up by key after workflow writes, queries.read_model),
    else read by key. `held` is asked once, when first needed; None when it cannot answer now
    (a write under way, another question catching them up)."""

    def __init__(self, read: Read, held: Callable[[], DisputeFields | None] = lambda: None) -> None:
        self.read = read
        self._held = held
        self._asked: tuple[DisputeFields | None] | None = None

    def of(self, keys: Iterable[str]) -> dict[str, Row] | None:
        """OWN of the disputes `keys` by key (with "id"); None when one is not in the store
        (the cases name a dispute no more there)."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        if self._asked is None:
            self._asked = (self._held(),)
        fields = self._asked[0]
        if fields is None:
            rows = self.read(_OWN_BY_KEY, {"keys": wanted})
            found = {row["id"]: row for row in rows}
            return found if len(found) == len(wanted) else None
        numbers = [n for n in map(fields.numbered, wanted) if n is not None]
        if len(numbers) < len(wanted):
            return None  # not held (reported since): the question reads Cypher
        values = [fields.values(at, numbers) for at in _OWN_AT]
        return {
            key: {"id": key, **dict(zip(OWN, row, strict=True))}
            for key, row in zip(wanted, zip(*values, strict=True), strict=True)
        }


def dispute_parties(m: ReadModel, params: Mapping[str, Any], own: Own) -> list[Row] | None:
    c = m.cases
    return [
        {"party": c.key(p), "side": c.side(t)}
        for p, t in c.parties(params["dispute"])
        if c.label(p) == "Person"
    ]


def dispute_orgs(m: ReadModel, params: Mapping[str, Any], own: Own) -> list[Row] | None:
    c = m.cases
    return [
        {"org": c.key(p)} for p, _ in c.parties(params["dispute"]) if c.label(p) == "Organisation"
    ]


def party_visits(m: ReadModel, params: Mapping[str, Any], own: Own) -> list[Row] | None:
    if not (_day(params, "since") and _day(params, "until")):
        return None
    c = m.cases
    since, until = params["since"], params["until"]
    visits: list[tuple[str, list[str]]] = []  # per PARTY_TO tie of a person: its disputes
    for p, _ in c.parties(params["dispute"]):
        if c.label(p) == "Person":
            ties = c.ties_of(p)
            disputes = [c.key(c.ends[t]) for t in ties if c.type_of(t) == "PARTY_TO"]
            visits.append((c.key(p), disputes))
    facts = own.of(d for _, ds in visits for d in ds)
    if facts is None:
        return None
    counts: dict[str, int] = {}
    for person, disputes in visits:
        for d in disputes:
            day = facts[d]["reported_on"]
            if None not in (since, until, day) and since <= day <= until:
                counts[person] = counts.get(person, 0) + 1
    return [{"person": person, "n": n} for person, n in counts.items()]


def dispute_facts(m: ReadModel, params: Mapping[str, Any], own: Own) -> list[Row] | None:
    key = params["dispute"]
    if not isinstance(key, str):
        return None  # left to Cypher
    found = own.of((key,))
    if found is None:
        return []  # no such dispute
    d = found[key]
    c = m.cases
    grids = [m.nodes["Grid"][g] for g in c.filed_of("OCCURRED_IN", key)] or [NULLS]
    domains = [m.nodes["Domain"][x] for x in c.filed_of("IN_DOMAIN", key)] or [NULLS]
    items = [m.nodes["ListItem"][x] for x in c.filed_of("CLASSIFIED_AS", key)] or [NULLS]
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


def expert_conflicts(m: ReadModel, params: Mapping[str, Any], own: Own) -> list[Row] | None:
    """Every shortest walk (ALL SHORTEST 1..4) from the dispute to each person, over WALKED
    ties holding on `$as_of`: breadth first, keeping every tie that reaches a node at its
    least depth, then each person's walks spelled out backwards. A walk's nodes are given
    as (label, key) where the Cypher gives the store's internal ids (`node_ids`,
    `rel_starts`): the caller only compares them with each other."""
    kinds = listed(params, "related_kinds")
    if kinds is None or not _day(params, "as_of"):
        return None
    c = m.cases
    day = params["as_of"]
    start = c.node("Dispute", params["dispute"])
    if start is None:
        return []
    walked = _breadth_first(c, start, _DEEPEST_WALK, lambda t: _holds(c, t, kinds, day))
    if walked is None:
        return None
    depth, came = walked
    walks: list[tuple[int, list[int], list[int]]] = []  # person, nodes between, ties
    for n, at in depth.items():
        if at and c.label(n) == "Person":
            walks += [(n, nodes, ties) for nodes, ties in _back(came, start, n)]
    disputes = own.of(c.key(x) for _, nodes, _ in walks for x in nodes if c.label(x) == "Dispute")
    if disputes is None:
        return None
    rows = []
    for person, nodes, ties in walks:
        facts = [disputes.get(c.key(x)) or NULLS for x in nodes]
        rows.append(
            {
                "expert": c.key(person),
                "steps": len(ties),
                **_named(c, nodes),
                "titles": [f.get("title") for f in facts],
                "reported": [f.get("reported_on") for f in facts],
                **_walked(c, nodes, ties),
            }
        )
    return rows


def conflict_paths(m: ReadModel, params: Mapping[str, Any], own: Own) -> list[Row] | None:
    """The shortest walk (SHORTEST 1..3) from each party of the dispute to each of `$experts`,
    over the ties of `$ties` holding on `$as_of`, never through the dispute nor through a
    dispute reported after `$as_of`. Where several walks are equally short, the store takes
    one of its choosing; the model takes the least by the keys along it read from the
    person's end (`queries.experts._order`), as the caller breaks ties between parties."""
    kinds, ties, experts = (listed(params, n) for n in ("related_kinds", "ties", "experts"))
    if kinds is None or ties is None or experts is None or not _day(params, "as_of"):
        return None
    c = m.cases
    day, dispute = params["as_of"], params["dispute"]
    wanted = {x for x in experts if isinstance(x, str)}
    reported: dict[str, Row] = {}  # the disputes walked into: their report days and titles
    rows = []
    for party, pt in c.parties(dispute):
        walked = _breadth_first(
            c,
            party,
            3,
            lambda t: c.type_of(t) in ties and _holds(c, t, kinds, day),
            # never on from the dispute itself, or from one reported after the day
            expands=lambda n: _counts(c, n, dispute, day, reported),
            ready=lambda frontier: _report_days(c, own, frontier, reported),
        )
        if walked is None:
            return None
        depth, came = walked
        for e, at in depth.items():
            if not at or c.label(e) != "Person" or c.key(e) not in wanted:
                continue
            walks = [
                ([party, *nodes, e], ties_)
                for nodes, ties_ in _back(came, party, e)
                if all(_counts(c, x, dispute, day, reported) for x in nodes)
            ]
            if not walks:
                continue
            nodes, walk = min(walks, key=lambda w: tuple(reversed([c.key(x) for x in w[0]])))
            between = [
                reported.get(c.key(x), NULLS) if c.label(x) == "Dispute" else NULLS for x in nodes
            ]
            titles = [None, *(f.get("title") for f in between[1:-1]), None]
            rows.append(
                {
                    "party": c.key(party),
                    "side": c.side(pt),
                    "expert": c.key(e),
                    "hops": len(walk),
                    **_named(c, nodes),
                    "titles": titles,
                    **_walked(c, nodes, walk),
                }
            )
    return rows


def _named(c: Cases, nodes: list[int]) -> Row:
    """A walk's nodes as the conflict queries' Cypher gives them (`labels`, `keys`, `names`)."""
    return {
        "labels": [c.label(x) for x in nodes],
        "keys": [c.key(x) for x in nodes],
        "names": [c.name(x) for x in nodes],
    }


def _walked(c: Cases, nodes: list[int], ties: list[int]) -> Row:
    """A walk's ids and ties as the conflict queries' Cypher gives them, but for a node's
    internal id, given as its (label, key): the caller only compares them with each other."""
    return {
        "node_ids": [(c.label(x), c.key(x)) for x in nodes],
        "rel_types": [c.type_of(t) for t in ties],
        "rel_starts": [(c.label(c.starts[t]), c.key(c.starts[t])) for t in ties],
        "kinds": [c.props(t)[0] for t in ties],
        "relations": [c.props(t)[1] for t in ties],
        "sides": [c.side(t) for t in ties],
    }


Came = dict[int, list[tuple[int, int]]]  # node -> (node before, tie) of its shortest walks


def _breadth_first(
    c: Cases,
    start: int,
    steps: int,
    follows: Callable[[int], bool],
    expands: Callable[[int], bool] = lambda n: True,
    ready: Callable[[list[int]], bool] = lambda frontier: True,
) -> tuple[dict[int, int], Came] | None:
    """Each node within `steps` of `start` over the ties it `follows`, at its least depth, with
    every tie that reaches it there, so that `_back` spells out every shortest walk, as ALL
    SHORTEST gives them. The ties of a node (not `start`) that does not `expand` are not
    followed on; each step's frontier is made `ready` first (None when it cannot be)."""
    depth, came = {start: 0}, {}
    frontier = [start]
    for step in range(1, steps + 1):
        if not ready(frontier):
            return None
        reached = []
        for n in frontier:
            if n != start and not expands(n):
                continue
            for t in c.ties_of(n):
                if not follows(t):
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
    return depth, came


def _holds(c: Cases, tie: int, kinds: list[Any], day: date | None) -> bool:
    """Whether `tie` is of one of `kinds` (or of none) and holds on `day`."""
    kind, _, _, since, until = c.props(tie)
    return (kind is None or kind in kinds) and valid_on(since, until, day)


def _report_days(c: Cases, own: Own, nodes: Iterable[int], reported: dict[str, Row]) -> bool:
    """The disputes among `nodes` read by key into `reported` (their report days and titles);
    False when one is no more in the store."""
    keys = [c.key(n) for n in nodes if c.label(n) == "Dispute" and c.key(n) not in reported]
    found = own.of(keys)
    if found is None:
        return False
    reported.update(found)
    return True


def _counts(c: Cases, n: int, dispute: Any, day: date | None, reported: dict[str, Row]) -> bool:
    """Whether a walk may pass through node n: conflict_paths' test on the nodes of a walk."""
    if c.key(n) == dispute:
        return False
    if c.label(n) != "Dispute":
        return True
    when = reported[c.key(n)]["reported_on"]
    return when is None or (day is not None and when <= day)


def _back(came: Came, start: int, end: int) -> list[tuple[list[int], list[int]]]:
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


def expert_load(m: ReadModel, params: Mapping[str, Any], own: Own) -> list[Row] | None:
    """The disputes the experts with one of `$domains` handled, with their state now: the
    model holds the HANDLED ties (loaded) and the state of every dispute an expert handled,
    read again by key whenever a write changed a Dispute (`current_handled`)."""
    wanted = listed(params, "domains")
    if wanted is None:
        return None
    facts = m.handled_facts[1]
    domains = m.nodes["Domain"]
    experts = {
        e
        for code in wanted
        if isinstance(code, str) and code in domains
        for e in m.pooled(domains[code])[1]
    }
    kept = m.load_rows
    if kept[0] is not facts:  # the disputes' state was read again since: rows made anew
        kept = m.load_rows = (facts, {})
    rows: list[Row] = []
    for e in experts:
        made = kept[1].get(e)
        if made is None:
            made = kept[1][e] = [
                {"expert": e, "dispute": d, **{k: facts[d][k] for k in _LOAD}}
                for d in dict.fromkeys(m.handled.get(e, ()))
            ]
        rows += made
    return rows


def current_handled(backend: Backend, m: ReadModel) -> bool:
    """Whether the state of the disputes experts handled is held as it is now: read again (by
    key) when a write changed one of them since, or a Dispute it cannot tell; False when it
    could not be."""
    stamp = getattr(backend, "stamp", None)
    if stamp is None:
        return False
    held, facts = m.handled_facts
    if int(stamp(frozenset({"Dispute"}))) <= held:
        return True
    version = int(getattr(backend, "version", 1))
    if version % 2:
        return False  # a write under way
    if held >= 0 and _untouched(backend, facts, held, version):
        m.handled_facts = (version, facts)  # the same state: expert_load's rows stay
        return True
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


def _untouched(backend: Backend, handled: Mapping[str, Row], since: int, version: int) -> bool:
    """Whether every write from `since` to `version` that changed a Dispute named the disputes
    it was about, none of them `handled` (a report, an event of another dispute: a workflow
    write sets the state of the dispute it locked only, `Written.about`)."""
    writes = writes_changing(backend, since, version, frozenset({"Dispute"}))
    return writes is not None and all(
        w.about is not None
        and w.about[0] == "Dispute"
        and not any(map(handled.__contains__, w.about[1]))
        for w in writes
    )


CaseAnswer = Callable[["ReadModel", Mapping[str, Any], Own], "list[Row] | None"]

# The named queries answered from the cases (and the structure), a dispute's own properties
# from what is held of every dispute (`Own`).
CASE_ANSWERS: dict[str, CaseAnswer] = {
    "dispute_facts": dispute_facts,
    "dispute_parties": dispute_parties,
    "dispute_orgs": dispute_orgs,
    "party_visits": party_visits,
    "expert_conflicts": expert_conflicts,
    "expert_load": expert_load,
    "conflict_paths": conflict_paths,
}

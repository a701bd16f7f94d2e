"""The keys a load has met, each with the digest of the row that first gave it and where that
row was: held in numpy arrays (the keys as fixed-width bytes) and found through an
open-addressing hash table of entry numbers, a batch at a time.

A hash only chooses where to look: every key found is compared whole with the one held, so two
keys with one hash are two keys. Dicts of the same (str and bytes keys, Python ints) took 3.5
times the memory (docs/benchmarks.md, "The keys a load has met held in arrays").
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

_U64 = np.uint64
_MIN_SLOTS = 1 << 10
_NO_BYTES = np.zeros(0, dtype="S1")
_MARKED = 2**30 + 2  # a claim's mark is its row less this: rows of a batch stay below 2**30


def _mixed(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser over an array of uint64 (wrapping arithmetic)."""
    x = x ^ (x >> _U64(30))
    x = x * _U64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> _U64(27))
    x = x * _U64(0x94D049BB133111EB)
    mixed: np.ndarray = x ^ (x >> _U64(31))
    return mixed


def _word_weights(count: int) -> np.ndarray:
    return _mixed(np.arange(1, count + 1, dtype=_U64)) | _U64(1)


def byte_hashes(encoded: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each fixed-width bytes value, the same whatever the array's width: the
    value's 8-byte words weighted and summed (padding's zero words add nothing), then mixed."""
    width = encoded.dtype.itemsize
    words = -(-width // 8)
    if width != words * 8:
        encoded = encoded.astype(f"S{words * 8}")
    matrix = np.ascontiguousarray(encoded).view("<u8").reshape(len(encoded), words)
    total = np.zeros(len(encoded), dtype=_U64)
    for column, weight in zip(matrix.T, _word_weights(words), strict=True):
        total += column * weight
    return _mixed(total)


class KeysMet:
    """Node keys met: `meet` a batch's keys, each found among those met before or added.

    A str key is held as its UTF-8 bytes. numpy's fixed-width bytes drop trailing NULs, so a
    key ending in one ("a\\x00", which would be taken for "a") is held in a dict beside the
    table, as is a key of any other type (the schema's keys are all text)."""

    def __init__(self) -> None:
        self._keys = np.zeros(0, dtype="S1")
        self._digests = np.zeros(0, dtype=np.int64)
        self._places = np.zeros(0, dtype=np.int64)
        self._count = 0
        self._slots = np.full(_MIN_SLOTS, -1, dtype=np.int32)  # entry numbers; -1 is free
        self._others: dict[Any, int] = {}  # keys not held as bytes: their entry numbers

    def __len__(self) -> int:
        return self._count

    # -- what the loader asks -------------------------------------------------------------

    def meet(self, keys: Sequence[Any], digests: np.ndarray, places: np.ndarray) -> np.ndarray:
        """For each key in turn: the entry of the same key met before (in an earlier batch, or
        earlier in this one), or -1 where it is met first, and then held with its digest and
        place (int64 each)."""
        self._reserve(len(keys))
        earlier = np.full(len(keys), -1, dtype=np.int64)
        encoded, rows, others = self._encoded(keys)
        if len(rows):
            earlier[rows] = self._probe(encoded, digests[rows], places[rows])
        for i in others:
            found = self._others.get(keys[i])
            if found is None:
                self._others[keys[i]] = self._append(_NO_BYTES, digests[i], places[i])
            else:
                earlier[i] = found
        return earlier

    def has(self, keys: Sequence[Any]) -> np.ndarray:
        """Whether each key has been met."""
        found = np.zeros(len(keys), dtype=bool)
        encoded, rows, others = self._encoded(keys)
        if len(rows):
            found[rows] = self._probe(encoded) >= 0
        for i in others:
            found[i] = keys[i] in self._others
        return found

    def missing(self, keys: Sequence[Any]) -> set[Any]:
        """Those of `keys` not met."""
        return {key for key, met in zip(keys, self.has(keys).tolist(), strict=True) if not met}

    def same(self, entries: np.ndarray, digests: np.ndarray) -> np.ndarray:
        """Whether each of `entries` (-1: none) holds the digest beside it in `digests`."""
        held = entries >= 0
        same = np.zeros(len(entries), dtype=bool)
        same[held] = self._digests[entries[held]] == digests[held]
        return same

    def place(self, entry: int) -> int:
        return int(self._places[entry])

    def __iter__(self) -> Iterator[Any]:
        """The keys met (in no particular order)."""
        texts = self._keys[: self._count]
        held = np.ones(self._count, dtype=bool)
        held[list(self._others.values())] = False
        for value in texts[held].tolist():
            yield self._decoded(value)
        yield from self._others

    # -- encoding -------------------------------------------------------------------------

    def _encoded(self, keys: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """The keys held as bytes, the rows they are of, and the rows whose keys are held in
        the dict instead."""
        everyone = np.arange(len(keys))
        try:
            joined = "\x02".join(keys)  # a key ending in NUL is followed by "\x02", or last
            plain = not joined.endswith("\x00") and "\x00\x02" not in joined
        except TypeError:  # a key that is not text
            plain = False
        if plain and joined.isascii():  # as files' keys are: numpy encodes them at once
            return np.array(keys, dtype="S") if len(keys) else _NO_BYTES, everyone, []
        if plain:
            texts = [key.encode("utf-8", "surrogatepass") for key in keys]
            return np.array(texts, dtype=bytes), everyone, []
        rows = [i for i, k in enumerate(keys) if isinstance(k, str) and not k.endswith("\x00")]
        others = sorted(set(range(len(keys))).difference(rows))
        texts = [keys[i].encode("utf-8", "surrogatepass") for i in rows]
        return np.array(texts, dtype=bytes), np.array(rows, dtype=np.int64), others

    @staticmethod
    def _decoded(value: bytes) -> Any:
        return value.decode("utf-8", "surrogatepass")

    @staticmethod
    def _hashes(encoded: np.ndarray) -> np.ndarray:
        return byte_hashes(encoded)

    # -- the table ------------------------------------------------------------------------

    def _slot_of(self, encoded: np.ndarray) -> np.ndarray:
        shift = _U64(64 - (len(self._slots).bit_length() - 1))
        return (self._hashes(encoded) >> shift).astype(np.int64)

    def _probe(
        self,
        encoded: np.ndarray,
        digests: np.ndarray | None = None,
        places: np.ndarray | None = None,
    ) -> np.ndarray:
        """Each key's entry, or -1. With `digests` and `places`, a key not found is added (and
        -1 returned for it): of rows with one key, the first is added and the later ones find
        it. Linear probing; the table is at most two thirds full, so every walk ends."""
        found = np.full(len(encoded), -1, dtype=np.int64)
        last = len(self._slots) - 1
        slot = self._slot_of(encoded)
        pending = np.arange(len(encoded))  # ascending: the first row wanting a slot wins it
        while len(pending):
            at = slot[pending]
            held = self._slots[at].astype(np.int64)
            taken = held >= 0
            same = np.zeros(len(pending), dtype=bool)
            same[taken] = self._keys[held[taken]] == encoded[pending[taken]]
            found[pending[same]] = held[same]
            done = same
            if digests is not None and places is not None:
                free = np.flatnonzero(~taken)
                winners = free[self._claimed(at[free], pending[free])]
                if len(winners):
                    rows = pending[winners]
                    entries = self._append(encoded[rows], digests[rows], places[rows])
                    self._slots[at[winners]] = entries
                    done = done.copy()
                    done[winners] = True
                # Others wanting a slot just taken stay: next round they meet its key.
            else:
                done = done | ~taken
            moving = pending[taken & ~same]
            slot[moving] = (slot[moving] + 1) & last
            pending = pending[~done]
        return found

    def _claimed(self, slots: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Free `slots` wanted by `rows`: whether each row is the lowest wanting its slot.
        Each slot takes the lowest of its rows' marks (`ufunc.at` applies every one), all
        below -1, free's mark; the winners then fill their slots with entries."""
        marks = (rows - _MARKED).astype(np.int32)
        np.minimum.at(self._slots, slots, marks)
        claimed: np.ndarray = self._slots[slots] == marks
        return claimed

    def _append(self, encoded: np.ndarray, digests: Any, places: Any) -> Any:
        """Hold new entries (room made by `_reserve`): `encoded` and their digests and places,
        or one entry without bytes (a key held in the dict) for a digest and place. Their
        numbers."""
        start = self._count
        stop = start + max(len(encoded), 1)
        if encoded.dtype.itemsize > self._keys.dtype.itemsize:
            self._keys = self._keys.astype(encoded.dtype)
        if len(encoded):
            self._keys[start:stop] = encoded
        self._digests[start:stop] = digests
        self._places[start:stop] = places
        self._count = stop
        return np.arange(start, stop) if len(encoded) else start

    def _reserve(self, more: int) -> None:
        """Room for `more` entries, and a table at most two thirds full with them."""
        wanted = self._count + more
        if wanted > len(self._digests):
            size = max(wanted, len(self._digests) * 9 // 8, 1024)
            self._keys = _grown(self._keys, size, self._count)
            self._digests = _grown(self._digests, size, self._count)
            self._places = _grown(self._places, size, self._count)
        if 3 * wanted > 2 * len(self._slots):
            self._rehash(1 << (3 * wanted // 2).bit_length())

    def _rehash(self, size: int) -> None:
        """A table of `size` slots, every entry held as bytes placed in it again."""
        self._slots = np.full(size, -1, dtype=np.int32)
        held = np.ones(self._count, dtype=bool)
        held[list(self._others.values())] = False
        entries = np.flatnonzero(held)
        slot = self._slot_of(self._keys[entries])
        pending = np.arange(len(entries))
        while len(pending):
            at = slot[pending]
            free = np.flatnonzero(self._slots[at] < 0)
            winners = free[self._claimed(at[free], pending[free])]
            self._slots[at[winners]] = entries[pending[winners]]
            placed = np.zeros(len(pending), dtype=bool)
            placed[winners] = True
            pending = pending[~placed]
            slot[pending] = (slot[pending] + 1) & (size - 1)


class RidsMet(KeysMet):
    """Relationships met, by the 12 bytes of their rid (`loaders.load._rid_texts`)."""

    def _encoded(self, keys: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, list[int]]:
        return np.frombuffer(b"".join(keys), dtype="S12"), np.arange(len(keys)), []


def _grown(values: np.ndarray, size: int, count: int) -> np.ndarray:
    grown = np.zeros(size, dtype=values.dtype)
    grown[:count] = values[:count]
    return grown

"""The keys a load has met (loaders.met) answer as a dict of the same keys would, whatever their
hashes: random keys met a batch at a time, against a dict met a key at a time."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from loaders.met import KeysMet, RidsMet, byte_hashes


class _OneHash(KeysMet):
    """Every key with the same hash: each is told from the others by its bytes alone."""

    @staticmethod
    def _hashes(encoded: np.ndarray) -> np.ndarray:
        return np.zeros(len(encoded), dtype=np.uint64)


class _FewHashes(KeysMet):
    @staticmethod
    def _hashes(encoded: np.ndarray) -> np.ndarray:
        return byte_hashes(encoded) % np.uint64(5) << np.uint64(61)


class _RidsOneHash(RidsMet):
    @staticmethod
    def _hashes(encoded: np.ndarray) -> np.ndarray:
        return np.zeros(len(encoded), dtype=np.uint64)


# Text that numpy's bytes or a careless encoding would take for other text: trailing NULs,
# the joining character, the empty key, non-ASCII, a lone surrogate. ASCII alone goes the way
# files' keys do.
_ASCII = ["a", "b", "\x00", "\x02", "3205-P", "0"]
_PIECES = [*_ASCII, "网", "\ud800", "é"]


def _text(rng: random.Random, pieces: list[str]) -> str:
    return "".join(rng.choice(pieces) for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 5, 9, 30])))


def _node_key(rng: random.Random) -> Any:
    if rng.random() < 0.03:  # keys that are not text, held beside the table
        return rng.choice([None, 0, 1, 7, b"a", ("a",), 2.5])
    return _text(rng, _PIECES)


def _ascii_key(rng: random.Random) -> str:
    return _text(rng, _ASCII)


def _rid(rng: random.Random) -> bytes:
    # Few distinct bytes, so rids share prefixes and end in NULs.
    return bytes(rng.choice([0, 0, 1, 255]) for _ in range(12))


def _check(met: KeysMet, make_key: Any, seed: int, batches: int = 60) -> None:
    rng = random.Random(seed)
    pool = [make_key(rng) for _ in range(3000)]
    expected: dict[Any, tuple[int, int]] = {}  # key: (digest, place) of its first row
    place = 0
    for _ in range(batches):
        keys = [rng.choice(pool) for _ in range(rng.choice([0, 1, 5, 50, 300]))]
        digests = np.array([rng.choice([-(2**63), -1, 0, 1, 2**63 - 1]) for _ in keys])
        places = np.arange(place, place + len(keys), dtype=np.int64)
        place += len(keys)
        asked = [rng.choice(pool) for _ in range(40)]
        assert met.has(asked).tolist() == [k in expected for k in asked]
        assert met.missing(asked) == {k for k in asked if k not in expected}
        earlier = met.meet(keys, digests.astype(np.int64), places)
        same = met.same(earlier, digests).tolist()
        for i, key in enumerate(keys):
            if key not in expected:
                assert earlier[i] == -1
                expected[key] = (int(digests[i]), int(places[i]))
                continue
            assert earlier[i] >= 0
            assert met.place(int(earlier[i])) == expected[key][1]
            assert same[i] == (expected[key][0] == digests[i])
    assert len(met) == len(expected)
    if not isinstance(met, RidsMet):
        assert sorted(map(repr, met)) == sorted(map(repr, expected))


@pytest.mark.parametrize("kind", [KeysMet, _OneHash, _FewHashes])
@pytest.mark.parametrize("make_key", [_node_key, _ascii_key])
@pytest.mark.parametrize("seed", [1, 2])
def test_node_keys_met_answer_as_a_dict(kind: type[KeysMet], make_key: Any, seed: int) -> None:
    _check(kind(), make_key, seed, batches=60 if kind is KeysMet else 15)


@pytest.mark.parametrize("kind", [RidsMet, _RidsOneHash])
def test_rids_met_answer_as_a_dict(kind: type[RidsMet]) -> None:
    _check(kind(), _rid, 4, batches=60 if kind is RidsMet else 15)


def test_the_hash_is_the_same_whatever_the_width() -> None:
    narrow = np.array([b"a\x01", b"3205-P0000001\x01", b""])
    wide = narrow.astype("S40")
    assert byte_hashes(narrow).tolist() == byte_hashes(wide).tolist()
    assert len(set(byte_hashes(narrow).tolist())) == 3

"""`place_in_text`: a key's number among sorted keys held one after another in a text, as a
dict of the keys numbers them, for str and bytes, within a span, for keys held, keys that are
a part of one held (a prefix, an end, two keys' joint) and keys before or after them all."""

from __future__ import annotations

import random
from array import array
from itertools import accumulate

import pytest

from queries.dispute_fields import STRIDE, place_in_text


def _held(keys: list[str], text_of: type) -> tuple[object, array[int], list[object]]:
    encoded = [k if text_of is str else k.encode() for k in keys]
    empty = "" if text_of is str else b""
    text = empty.join(encoded)  # type: ignore[attr-defined]
    at = array("i", accumulate(map(len, encoded), initial=0))
    return text, at, encoded


@pytest.mark.parametrize("text_of", [str, bytes])
def test_each_key_is_found_at_its_number_and_no_other_text_is(text_of: type) -> None:
    chance = random.Random(15)
    keys = sorted(
        {f"330421-P{chance.randrange(10**5):05d}" for _ in range(3000)}
        | {f"3304{chance.randrange(10**4):04d}" for _ in range(300)}
        | {"330421-P1", "330421-P12", "330421-P123", "3304", "33", "阳光-1", "阳光-12"}
    )
    text, at, encoded = _held(keys, text_of)
    # two spans of the text, as the cases hold one per label: keys numbered first to end
    for first, end in ((0, len(keys)), (100, 2000)):
        samples = encoded[first:end:STRIDE]
        number = {k: n for n, k in enumerate(encoded[first:end], first)}
        asked = list(encoded)
        for k in keys:  # a part of a key, a key and a digit more, two keys' joint
            asked += [k[:-1], k + "0", k[1:], k[-3:] + k[:3]]
        asked += ["", "0", "9999", "zzz", "330421-P"]
        for key in asked:
            key = key if text_of is str or isinstance(key, bytes) else key.encode()
            assert place_in_text(text, at, samples, key, first, end) == number.get(key), key

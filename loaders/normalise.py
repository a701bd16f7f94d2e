"""Normalising cell text before validation: trim, full-width to half-width, and, for files
marked as traditional, traditional to simplified characters (OpenCC, in that direction only)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

# Full-width digits and Latin letters (０-９, Ａ-Ｚ, ａ-ｚ) to their half-width forms. Only these in
# text: full-width punctuation such as （） and ， is how Chinese is written (the official
# division table has 中国矿业大学（北京）社区居委会), and NFKC would rewrite even more.
_DIGITS_AND_LETTERS = {
    code: code - 0xFEE0
    for low, high in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for code in range(low, high + 1)
}
# All of full-width ASCII (U+FF01–U+FF5E) and the ideographic space: for values that are not
# text (numbers, dates, true/false), where ２０２０－０１－０５ and －３ mean what they say.
_ALL_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

_CHINESE = re.compile("[\u4e00-\u9fff]")  # what looks_like_mojibake counts
_TRANSLATED = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")  # _DIGITS_AND_LETTERS


def half_width(value: str, *, punctuation: bool = False) -> str:
    """Trimmed, with full-width digits and letters made half-width; with `punctuation`, all
    full-width ASCII and the ideographic space too."""
    if value.isascii():  # most cells, and cheap to know: CPython records it per string
        return value.strip()
    return value.translate(_ALL_ASCII if punctuation else _DIGITS_AND_LETTERS).strip()


def half_width_all(values: list[str]) -> list[str]:
    """`half_width` of each value (without `punctuation`), a column at a time: where none holds
    a full-width digit or letter, which one search of them all tells, each is only trimmed."""
    if _TRANSLATED.search("".join(values)):
        return [half_width(value) for value in values]
    return list(map(str.strip, values))


@cache
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def simplified(value: str) -> str:
    """Traditional to simplified: 東營市 -> 东营市."""
    return str(_t2s().convert(value))


def looks_like_mojibake(value: str) -> bool:
    """Whether `value` reads like UTF-8 bytes that were decoded as GBK (鍢夊杽 for 嘉善).

    Such text re-encodes to GB18030 bytes that are valid UTF-8 with Chinese in them. Genuine
    Chinese text almost never does: its GB byte pairs break UTF-8's continuation rules. Where
    the GBK decoding met bytes it could not pair, it left U+FFFD (榄忓�樿�楅亾 for 魏塘街道):
    that character only ever stands for something lost, so it counts as mojibake too.
    """
    if value.isascii():
        return False
    if "\ufffd" in value:
        return True
    original = value.encode("gb18030").decode("utf-8", errors="replace")
    chinese = len(_CHINESE.findall(original))
    return chinese >= 2 and chinese > original.count("\ufffd")

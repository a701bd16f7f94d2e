"""Normalising cell text before validation: trim, full-width to half-width, and, for files
marked as traditional, traditional to simplified characters (OpenCC, in that direction only)."""

from __future__ import annotations

from functools import cache
from typing import Any

# Full-width ASCII (U+FF01–U+FF5E) and the ideographic space, to their half-width forms. Only
# these: NFKC would also rewrite other characters people write on purpose.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def half_width(value: str) -> str:
    return value.translate(_HALF_WIDTH).strip()


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
    Chinese text almost never does: its GB byte pairs break UTF-8's continuation rules.
    """
    if value.isascii():
        return False
    original = value.encode("gb18030").decode("utf-8", errors="replace")
    chinese = sum("\u4e00" <= ch <= "\u9fff" for ch in original)
    return chinese >= 2 and chinese > original.count("\ufffd")

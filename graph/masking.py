"""How personal data is shown to a caller whose role does not need it (see `graph.schema.Mask`).

Customary forms: a mobile as 138****1234; an ID number as its first 6 and last 4 characters, so
the birth date is always hidden; a name as the surname and 某 (张某, 欧阳某).
"""

from __future__ import annotations

from collections.abc import Callable

from graph.schema import Mask

# Two-character surnames, so that 欧阳修 becomes 欧阳某 and not 欧某.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 令狐 宇文 夏侯 轩辕 端木 百里 呼延 南宫 "
    "独孤 司徒 司空 西门 澹台 公羊 闻人 万俟 赫连 申屠 钟离 太史 濮阳 淳于 单于 拓跋".split()
)
WITHHELD = "（已隐去）"


def mask_name(name: str) -> str:
    if not name:
        return name
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]
    return surname + "某"


def mask_mobile(mobile: str) -> str:
    return mobile[:3] + "****" + mobile[-4:] if len(mobile) >= 8 else "****"


def mask_id_number(id_number: str) -> str:
    if len(id_number) < 11:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def mask(kind: Mask, value: str | None) -> str | None:
    """The masked form of `value`; None stays None."""
    if value is None:
        return None
    masker = _MASKERS.get(kind)  # a lookup, not a comparison with each kind in turn
    return WITHHELD if masker is None else masker(value)


_MASKERS: dict[Mask, Callable[[str], str]] = {
    Mask.NAME: mask_name,
    Mask.MOBILE: mask_mobile,
    Mask.ID_NUMBER: mask_id_number,
}

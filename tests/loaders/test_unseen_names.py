"""Unit names as offices write them, for units of the 2023 table unlike the demo's."""

import pytest

from loaders.chinese import Place, Vocabulary

# 大邑县's communities are 居委会 in the table, 崇州市's 居民委员会: an office writes either.
UNITS = [
    Place("510100000000", "成都市", "city", None),
    Place("510129000000", "大邑县", "county", "510100000000"),
    Place("510129001000", "晋原街道", "town", "510129000000"),
    Place("510129001002", "南街社区居委会", "village", "510129001000"),
    Place("510129001253", "金龙村村委会", "village", "510129001000"),
    Place("510184000000", "崇州市", "county", "510100000000"),
    Place("510184001000", "崇阳街道", "town", "510184000000"),
    Place("510184001018", "汇蜀社区居民委员会", "village", "510184001000"),
    Place("510184001201", "永康村民委员会", "village", "510184001000"),
]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("南街社区居民委员会", "510129001002"),  # the full form of the table's 居委会
        ("大邑县南街社区居民委员会", "510129001002"),
        ("金龙村村民委员会", "510129001253"),
        ("汇蜀社区居委会", "510184001018"),  # the short form of the table's 居民委员会
        ("崇州市 汇蜀社区", "510184001018"),
        ("永康村委会", "510184001201"),
        ("南街社区居委会", "510129001002"),  # the table's own names still
        ("汇蜀社区居民委员会", "510184001018"),
    ],
)
def test_a_committee_is_found_by_either_form_of_its_name(text: str, code: str) -> None:
    assert Vocabulary({}, UNITS).place(text) == code

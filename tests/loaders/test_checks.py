"""Resident ID numbers by their check digit, mobile numbers and division codes by format."""

from __future__ import annotations

from loaders.checks import DIVISION_CODE, MOBILE, id_check_digit, id_number_problem


def test_id_check_digit() -> None:
    first17 = ["11010519491231002", "33042119900101123", "33042119900101001", "44030119991231000"]
    # The first is the example in GB 11643.
    assert [id_check_digit(digits) for digits in first17] == ["X", "X", "8", "8"]


def test_valid_id_numbers_have_no_problem() -> None:
    valid = ["11010519491231002X", "33042119900101123X", "330421199001010018"]
    assert [id_number_problem(value) for value in valid] == [None, None, None]


def test_id_number_problems() -> None:
    shape = "an ID number has 17 digits and a final digit or X"
    assert {
        value: id_number_problem(value)
        for value in [
            "330421199001011235",
            "330421199001010019",
            "330421199002301234",
            "33042119900101123",
            "33042119900101123X0",
            "33042119900101123x",  # validation upper-cases before it asks
            "3.30421199001011E+17",
            "3304211990010112٣X",  # Arabic-Indic ٣ is a digit to `\d` and int(), not in an ID
        ]
    } == {
        "330421199001011235": "wrong check digit '5', expected 'X'",
        "330421199001010019": "wrong check digit '9', expected '8'",
        "330421199002301234": "digits 7-14 (19900230) are not a birth date",
        "33042119900101123": shape,
        "33042119900101123X0": shape,
        "33042119900101123x": shape,
        "3.30421199001011E+17": shape,
        "3304211990010112٣X": shape,
    }


def test_mobile_numbers_by_format() -> None:
    values = [
        "13812341234",
        "19912341234",
        "12812341234",  # there are no 12x numbers
        "1381234123",
        "138123412345",
        "+8613812341234",
        "138 1234 1234",
        "1381234123٤",  # an Arabic-Indic digit
    ]
    assert [value for value in values if MOBILE.fullmatch(value)] == ["13812341234", "19912341234"]


def test_division_codes_by_format() -> None:
    values = ["330421000000", "330421", "3304210000000", "33042100000a", "३३0421000000"]
    assert [value for value in values if DIVISION_CODE.fullmatch(value)] == ["330421000000"]

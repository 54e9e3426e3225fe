"""Resident ID numbers as people type them: a lower-case x is the same number."""

from __future__ import annotations

from datetime import date

import pytest
from stdnum.cn import ric

from fengkong.customers.resident_id import validate_resident_id


def _with_check_digit(first_seventeen: str) -> str:
    return first_seventeen + ric.calc_check_digit(first_seventeen + "0")


def test_a_valid_number_comes_back_canonical_with_an_upper_case_x() -> None:
    assert validate_resident_id(" 110101199003071233 ") == "110101199003071233"
    assert validate_resident_id("11010119900307002x") == "11010119900307002X"
    # 东莞 has no districts: python-stdnum's own validate raised KeyError on it (a 500).
    dongguan = _with_check_digit("44190019800101001")
    assert validate_resident_id(dongguan) == dongguan


@pytest.mark.parametrize(
    "number",
    [
        "110101199003071239",  # wrong check digit
        "11010119900307123",  # 17 characters
        _with_check_digit(f"110101{date.today().year + 1}0101001"),  # noqa: DTZ011 - born next year
        _with_check_digit("11010119901332001"),  # month 13
    ],
)
def test_an_invalid_number_is_refused_without_repeating_it(number: str) -> None:
    with pytest.raises(ValueError, match="not a valid resident ID number") as refused:
        validate_resident_id(number)
    assert number not in str(refused.value)

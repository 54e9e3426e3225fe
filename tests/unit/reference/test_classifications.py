from __future__ import annotations

import pytest

from fengkong.reference.classifications import (
    UnknownCode,
    industry_of,
    region_of,
    validate_industry_code,
    validate_region_code,
)


@pytest.mark.parametrize("code", ["C", "c3011", "F51", "K70", "A0111"])
def test_gbt4754_codes_within_their_section_are_accepted(code: str) -> None:
    assert validate_industry_code(code) == code.upper()


@pytest.mark.parametrize("code", ["Z", "C05", "F53", "C1", "CC13", ""])
def test_industry_codes_outside_the_standard_are_refused(code: str) -> None:
    with pytest.raises(UnknownCode):
        validate_industry_code(code)


def test_industry_names_follow_the_locale() -> None:
    assert industry_of("C3011").name("zh_CN") == "制造业"
    assert industry_of("C3011").name("en") == "Manufacturing"


def test_a_region_resolves_to_its_city_when_known_else_its_province() -> None:
    assert region_of("440305").name("zh_CN") == "深圳市"
    assert region_of("320583").name("en") == "Suzhou"
    assert region_of("621000").name("en") == "Gansu"


@pytest.mark.parametrize("code", ["990000", "31000", "3100001", "abcdef"])
def test_region_codes_outside_gbt2260_are_refused(code: str) -> None:
    with pytest.raises(UnknownCode):
        validate_region_code(code)

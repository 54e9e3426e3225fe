from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from fengkong.customers.uscc import InvalidUSCC, check_digit, is_valid_uscc, validate_uscc

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def test_published_codes_are_valid() -> None:
    # 腾讯科技（深圳）有限公司 and 阿里巴巴（中国）有限公司, from their business licences.
    assert validate_uscc("9144030071526726XG") == "9144030071526726XG"
    assert validate_uscc("91330100716105852F") == "91330100716105852F"


def test_codes_are_canonicalised_from_spaces_dashes_and_lower_case() -> None:
    code = "91310000MA1FL1234" + check_digit("91310000MA1FL1234")
    messy = f" {code[:6].lower()}-{code[6:]} "
    assert validate_uscc(messy) == code


def test_letter_registering_authorities_are_accepted_where_stdnum_rejects_them() -> None:
    body = "N2440300MA5F00001"[:17]
    code = body + check_digit(body)
    assert is_valid_uscc(code)
    assert not stdnum_uscc.is_valid(code)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("9131000", "18 characters"),
        ("91310000MA1FL1234I", "characters a USCC cannot contain"),
        ("9131A000MA1FL12340", "characters a USCC cannot contain"),
    ],
)
def test_malformed_codes_say_what_is_wrong(code: str, message: str) -> None:
    with pytest.raises(InvalidUSCC, match=message):
        validate_uscc(code)


def test_a_wrong_check_digit_is_caught() -> None:
    body = "91310000MA1FL1234"
    good = check_digit(body)
    wrong = next(c for c in ALPHABET if c != good)
    with pytest.raises(InvalidUSCC, match=f"expected {good}"):
        validate_uscc(body + wrong)


@given(
    authority=st.text(alphabet=ALPHABET, min_size=2, max_size=2),
    region=st.text(alphabet="0123456789", min_size=6, max_size=6),
    organisation=st.text(alphabet=ALPHABET, min_size=9, max_size=9),
)
def test_any_well_formed_body_with_its_check_digit_validates(
    authority: str, region: str, organisation: str
) -> None:
    body = authority + region + organisation
    assert validate_uscc(body + check_digit(body)) == body + check_digit(body)

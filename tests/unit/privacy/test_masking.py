"""Masks keep enough to recognise a person's data, never enough to use it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fengkong.privacy.crypto import normalise
from fengkong.privacy.fields import PersonalKind
from fengkong.privacy.masking import mask, mask_email, mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("masker", "value", "masked"),
    [
        (mask_id_number, "110101199003071234", "110***********1234"),
        (mask_id_number, "12345", "*****"),
        (mask_phone, "13812345678", "138****5678"),
        (mask_phone, "021-5555", "******55"),
        (mask_email, "zhang.wei@example.com", "z***@example.com"),
        (mask_email, "not-an-email", "***"),
        (mask_name, "张伟", "张*"),
        (mask_name, "欧阳娜娜", "欧***"),
        (mask_name, "Zhang Wei", "Z*** Wei"),
        (mask_name, "Madonna", "M***"),
    ],
)
def test_each_kind_of_personal_data_has_its_mask(
    masker: Callable[[str], str], value: str, masked: str
) -> None:
    assert masker(value) == masked


def test_mask_picks_by_kind_and_keeps_a_missing_value_missing() -> None:
    assert mask(PersonalKind.PHONE, "13812345678") == "138****5678"
    assert mask(PersonalKind.ID_NUMBER, None) is None


@pytest.mark.parametrize(
    ("kind", "spellings"),
    [
        (PersonalKind.PHONE, ["13812345678", "+86 138-1234-5678", "138 1234 5678"]),
        (PersonalKind.EMAIL, ["Zhang@Example.com", " zhang@example.com "]),
        (PersonalKind.ID_NUMBER, ["11010119900307123x", "11010119900307123X"]),
        (PersonalKind.NAME, ["Zhang  Wei", "zhang wei"]),
    ],
)
def test_blind_indexes_match_trivially_different_spellings(
    kind: PersonalKind, spellings: list[str]
) -> None:
    assert len({normalise(kind, spelling) for spelling in spellings}) == 1

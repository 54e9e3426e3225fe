"""The Unified Social Credit Code (统一社会信用代码, GB 32100-2015).

python-stdnum's ``cn.uscc.validate`` demands eight leading digits and so rejects valid codes whose
registering-authority characters are letters (e.g. ``N…`` for farmers' co-operatives, ``Y…`` for
other authorities). We check the character set per the standard and reuse its check-digit routine.
"""

from __future__ import annotations

import re

from stdnum.cn import uscc as stdnum_uscc

USCC_PATTERN = re.compile(r"^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$")


class InvalidUSCC(ValueError):
    pass


def compact(value: str) -> str:
    return re.sub(r"[\s-]", "", value).upper()


def check_digit(first_17: str) -> str:
    return str(stdnum_uscc.calc_check_digit(first_17))


def validate_uscc(value: str) -> str:
    """The code in canonical form, or ``InvalidUSCC`` saying what is wrong with it."""
    code = compact(value)
    if len(code) != 18:
        raise InvalidUSCC(f"a USCC has 18 characters; {value!r} has {len(code)}")
    if not USCC_PATTERN.fullmatch(code):
        raise InvalidUSCC(
            f"{value!r} uses characters a USCC cannot contain (I, O, S, V, Z are never used; "
            "characters 3–8 are the region's digits)"
        )
    expected = check_digit(code[:17])
    if code[17] != expected:
        raise InvalidUSCC(f"{value!r} fails its check digit (expected {expected})")
    return code


def is_valid_uscc(value: str) -> bool:
    try:
        validate_uscc(value)
    except InvalidUSCC:
        return False
    return True

"""PRC resident identity card numbers (居民身份证号码, GB 11643): a legal representative's ID."""

from __future__ import annotations

from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError as InvalidNumber

_INVALID = "not a valid resident ID number"


def validate_resident_id(value: str) -> str:
    """The number in canonical form (18 characters, a final X upper-cased) when its format, check
    digit and birth date hold. Raises ``ValueError`` otherwise, without repeating the number (it
    is personal data).

    Not python-stdnum's ``validate``: it accepts birth dates in the future, fails on districts its
    table lists without counties (东莞 441900 raised ``KeyError``), and refuses districts renamed
    since; a number keeps the district code of its birth, so the district is not checked."""
    number = ric.compact(value).upper()
    if len(number) != 18 or not number[:-1].isdigit():
        raise ValueError(_INVALID)
    if number[-1] != ric.calc_check_digit(number):
        raise ValueError(f"{_INVALID}: wrong check digit")
    try:
        born = ric.get_birth_date(number)
    except InvalidNumber as exc:
        raise ValueError(f"{_INVALID}: no such birth date") from exc
    if born > date.today():  # noqa: DTZ011 - a calendar date, any zone
        raise ValueError(f"{_INVALID}: birth date in the future")
    return number

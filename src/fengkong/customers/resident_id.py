"""PRC resident identity card numbers (居民身份证号码, GB 11643): a legal representative's ID."""

from __future__ import annotations

from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError as InvalidNumber


def validate_resident_id(value: str) -> str:
    """The number in canonical form (18 characters, a final X upper-cased) when its check digit
    and birth date hold; python-stdnum accepts birth dates in the future, so they are refused
    here. Raises ``ValueError`` otherwise, without repeating the number (it is personal data)."""
    try:
        number = ric.validate(value.upper())  # stdnum reads only an upper-case X
        born = ric.get_birth_date(number)
    except InvalidNumber as exc:
        raise ValueError("not a valid resident ID number") from exc
    if born > date.today():  # noqa: DTZ011 - a calendar date, any zone
        raise ValueError("not a valid resident ID number: birth date in the future")
    return str(number)

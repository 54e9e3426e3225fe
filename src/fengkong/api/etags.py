"""Weak ETags carry a row's version, so If-Match turns a stale write into 412."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Header, Response

from fengkong.api.params import invalid_parameter

_ETAG = re.compile(r'^(?:W/)?"v(\d+)"$')


def etag_for(version: int) -> str:
    return f'W/"v{version}"'


def parse_if_match(header: str | None) -> int | None:
    """The version an If-Match names; ``None`` when there is no condition (absent, or ``*``)."""
    if header is None or header.strip() == "*":
        return None
    match = _ETAG.fullmatch(header.strip())
    if not match:
        raise ValueError(f"If-Match {header!r} is not an ETag this API issued")
    return int(match.group(1))


def tag(response: Response, version: int, *, location: str | None = None) -> None:
    """Set the ETag of the record a response carries (and its Location, when just created)."""
    response.headers["ETag"] = etag_for(version)
    if location is not None:
        response.headers["Location"] = location


def expected_version(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='the ETag of the version you read (W/"v3"); 412 if it has moved on',
        ),
    ] = None,
) -> int | None:
    try:
        return parse_if_match(if_match)
    except ValueError as exc:
        raise invalid_parameter("header", "If-Match", if_match, str(exc)) from exc


ExpectedVersion = Annotated[int | None, Depends(expected_version)]

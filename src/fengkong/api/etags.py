"""Weak ETags carry a row's version, so If-Match turns a stale write into 412."""

from __future__ import annotations

import re

from fengkong.errors import ValidationFailed

_ETAG = re.compile(r'^(?:W/)?"v(\d+)"$')


def etag_for(version: int) -> str:
    return f'W/"v{version}"'


def parse_if_match(header: str | None) -> int | None:
    if header is None or header.strip() == "*":
        return None
    match = _ETAG.fullmatch(header.strip())
    if not match:
        raise ValidationFailed(f"If-Match {header!r} is not an ETag this API issued")
    return int(match.group(1))

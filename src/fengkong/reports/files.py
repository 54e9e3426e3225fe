"""What a report renderer hands back: the bytes and how to name and serve them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReportFile:
    filename: str
    media_type: str
    content: bytes

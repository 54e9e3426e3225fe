"""Logging without personal data: a filter that masks ID numbers, phones, e-mail addresses,
API tokens and secret-named values before any handler writes a record.

The audit trail lives in the database; logs are for operators, who must not read a customer's
personal data in them (PIPL), whatever a developer passed to ``logger.info``.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

from fengkong.settings import Settings

MASK = "***"

# Keys whose values are secrets whatever they look like (a password is not recognisable).
_SECRET_KEY = re.compile(r"password|passwd|token|secret|api[_-]?key|authorization", re.I)

# The 18-character resident ID number (last character a check digit, possibly X), the mainland
# mobile number (optionally +86 / 86 prefixed), e-mail addresses and Fengkong's bearer tokens.
# Lookarounds keep them from matching inside longer digit runs such as amounts or USCCs.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bfk_[A-Za-z0-9_\-]+"), "fk_" + MASK),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=\-]+"), r"\g<1>" + MASK),
    (re.compile(r"(?<![0-9A-Za-z])\d{6}(?:18|19|20)\d{2}\d{7}[0-9Xx](?![0-9A-Za-z])"), MASK),
    (re.compile(r"(?<![0-9])(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?![0-9])"), MASK),
    (re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"), MASK),
    (
        re.compile(
            r"(?i)\b((?:password|passwd|token|secret|api[_-]?key)\b[\"']?\s*[:=]\s*[\"']?)"
            r"[^\s,;&\"']+"
        ),
        r"\g<1>" + MASK,
    ),
)

# Libraries that turn chatty (SQL with parameters, HTTP wire traces) when the root logger is
# verbose; they stay at WARNING unless configured explicitly.
QUIET_LOGGERS = (
    "sqlalchemy",
    "alembic",
    "psycopg",
    "procrastinate",
    "httpx",
    "httpx2",
    "httpcore",
    "hpack",
    "asyncio",
    "urllib3",
    "charset_normalizer",
    "multipart",
    "python_multipart",
    "hypothesis",
    "schemathesis",
    "faker",
    "factory",
    "PIL",
    "fontTools",
    "weasyprint",
    "matplotlib",
    "markdown_it",
    "filelock",
    "fsspec",
    "numba",
    "distributed",
    "tornado",
    "bokeh",
    "mail.log",
)


def mask_text(text: str) -> str:
    """``text`` with every recognisable piece of personal data or secret replaced by ``***``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def mask_value(value: Any) -> Any:
    """Mask a log argument: strings by pattern, mappings also by secret-named keys."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {
            key: MASK if isinstance(key, str) and _SECRET_KEY.search(key) else mask_value(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(mask_value(item) for item in value)
    return value


class PersonalDataFilter(logging.Filter):
    """Rewrites a record in place so its message, arguments, exception and stack text carry no
    personal data; it never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def mask_record(record: logging.LogRecord) -> None:
    """Render the message with masked arguments, then mask the rendered text too (an object's
    ``str`` can hold a phone number no argument-level masking sees)."""
    if record.args:
        args: Any = record.args
        masked_args = mask_value(dict(args)) if isinstance(args, Mapping) else mask_value(args)
        record.args = masked_args
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        message = f"{record.msg} {record.args!r}"
    record.msg = mask_text(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)


_HANDLER_NAME = "fengkong"


def configure_logging(settings: Settings) -> None:
    """Send the app's logs to stderr through the masking filter, at ``settings.log_level``;
    calling it again replaces the handler rather than adding a second one. Uvicorn is run with
    ``log_config=None`` so its access and error logs reach this handler too."""
    root = logging.getLogger()
    for existing in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(existing)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(PersonalDataFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in QUIET_LOGGERS:
        quiet = logging.getLogger(name)
        if quiet.level == logging.NOTSET:
            quiet.setLevel(logging.WARNING)

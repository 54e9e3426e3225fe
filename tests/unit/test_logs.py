"""The log mask: personal data and secrets never leave a handler, wherever they were in a record."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest

from fengkong.logs import PersonalDataFilter, configure_logging, mask_text
from fengkong.settings import Settings
from tests.planted import EMAIL, ID_NUMBER, PHONE

TOKEN = "fk_3hT9xQ2mZ8pLk4"


@pytest.fixture
def written() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose only handler writes, through the filter, to a string."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PersonalDataFilter())
    logger = logging.getLogger("fengkong.test_logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        (f"legal representative {ID_NUMBER} signed", ID_NUMBER),
        (f"id {ID_NUMBER.lower()}", ID_NUMBER.lower()),
        (f"call {PHONE} today", PHONE),
        ("call +86 139-1234-5678", "139-1234-5678"),
        ("call 8613912345678", "13912345678"),
        (f"mail {EMAIL}", EMAIL),
        (f"token {TOKEN} used", TOKEN[3:]),
        ("Authorization: Bearer abc.def.ghi", "abc.def.ghi"),
        ("password=hunter2&user=li", "hunter2"),
        ('{"secret": "s3cr3t"}', "s3cr3t"),
    ],
)
def test_mask_text_hides_personal_data_and_secrets(text: str, leaked: str) -> None:
    masked = mask_text(text)
    assert leaked not in masked
    assert "***" in masked


@pytest.mark.parametrize(
    "text",
    [
        "91310000MA0000001X",  # a USCC is a company's public identifier, not personal data
        "amount 1391234567800 minor units",  # longer digit runs are not phones
        "customer 42 rescored to 613.5",
        "2026-12-06T04:39:21+08:00",
    ],
)
def test_mask_text_leaves_business_data_alone(text: str) -> None:
    assert mask_text(text) == text


def test_filter_masks_the_message_and_its_arguments(
    written: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = written
    logger.info("contact %s reachable at %s", "李雷", PHONE)
    logger.info("login %(user)s with %(password)s", {"user": "li", "password": "hunter2"})
    logger.info("payload %s", {"phone": PHONE, "token": "opaque", "name": "李雷"})

    output = stream.getvalue()
    assert PHONE not in output
    assert "hunter2" not in output
    assert "opaque" not in output
    assert "李雷" in output


def test_filter_masks_exception_text(written: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = written
    try:
        raise ValueError(f"insert failed [parameters: ('{ID_NUMBER}', '{EMAIL}')]")
    except ValueError:
        logger.exception("unhandled error")

    output = stream.getvalue()
    assert "ValueError: insert failed" in output
    assert ID_NUMBER not in output
    assert EMAIL not in output


def test_filter_masks_stack_info(written: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = written
    logger.warning("checking %s", "x", stack_info=True)
    logger.warning("phone %s", PHONE, stack_info=True)

    assert "Stack (most recent call last)" in stream.getvalue()
    assert PHONE not in stream.getvalue()


def test_configure_logging_installs_one_masked_stderr_handler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        configure_logging(Settings(log_level="INFO"))
        configure_logging(Settings(log_level="INFO"))
        added = [handler for handler in root.handlers if handler not in before]
        assert len(added) == 1
        logging.getLogger("fengkong.api").error("customer phone %s", PHONE)
        assert "customer phone ***" in stderr.getvalue()
        assert logging.getLogger("sqlalchemy").getEffectiveLevel() >= logging.WARNING
    finally:
        for handler in root.handlers:
            if handler not in before:
                root.removeHandler(handler)
        root.setLevel(level)

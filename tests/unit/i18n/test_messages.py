from __future__ import annotations

import pytest

from fengkong.i18n import Message, negotiate_locale


def test_a_message_is_spoken_in_the_readers_language_with_its_parameters() -> None:
    message = Message("Deactivated user #%(id)s", {"id": 7})
    assert message.render("en") == "Deactivated user #7"
    assert message.render("zh_CN") == "已停用的用户 #7"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
        ("en-GB,en;q=0.9", "en"),
        ("fr-FR, en;q=0.5, zh;q=0.7", "zh_CN"),
        ("de", "en"),
        (None, "en"),
        ("en;q=abc, zh-Hans", "zh_CN"),
    ],
)
def test_the_api_speaks_the_language_the_client_prefers(header: str | None, expected: str) -> None:
    assert negotiate_locale(header, "en") == expected

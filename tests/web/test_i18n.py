from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from jinja2 import Environment
from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from fengkong.display.formatting import Formatter
from fengkong.i18n import catalogue_path
from fengkong.kit.money import Money
from fengkong.settings import SUPPORTED_LOCALES, Locale
from fengkong.web.templating import TEMPLATES_DIR
from tests.personas import Personas
from tests.web.conftest import BrowserFactory, SignedIn, WebClient

ROOT = Path(__file__).resolve().parents[2]


def extracted_messages() -> set[str]:
    """The id of every message the UI code and templates use, as ``pybabel extract -F babel.cfg``
    finds them (a plural message by its singular form, as catalogues key it)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    return {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map
        )
    }


def load_catalogue(locale: Locale) -> Catalog:
    with catalogue_path(locale).open("rb") as po_file:
        return read_po(po_file, locale=locale)


def test_pages_are_in_chinese_unless_someone_chooses_otherwise(browser: WebClient) -> None:
    page = browser.get("/login")
    assert '<html lang="zh-CN">' in page.text
    assert "登录" in page.text


def test_the_language_switch_changes_the_page_text_both_ways(browser: WebClient) -> None:
    response = browser.post("/locale", {"locale": "en", "next": "/login?next=%2Fcustomers"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fcustomers"
    english = browser.get("/login")
    assert '<html lang="en">' in english.text
    assert "Sign in" in english.text
    assert "登录" not in english.text
    browser.post("/locale", {"locale": "zh_CN", "next": "/login"})
    assert "登录" in browser.get("/login").text


def test_the_language_switch_returns_only_to_pages_on_this_site(browser: WebClient) -> None:
    response = browser.post("/locale", {"locale": "en", "next": "https://evil.example/"})
    assert response.headers["location"] == "/"


def test_an_unknown_language_changes_nothing(browser: WebClient) -> None:
    browser.post("/locale", {"locale": "fr", "next": "/login"})
    assert '<html lang="zh-CN">' in browser.get("/login").text


def test_a_signed_in_users_choice_is_saved_and_follows_them_to_another_browser(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    first = signed_in(personas.bob_manager)
    first.post("/locale", {"locale": "en", "next": "/"})
    assert auth_service.get_user(session, "bob_manager").locale == "en"
    second = signed_in(personas.bob_manager)
    home = second.get("/")
    assert "Welcome, bob_manager" in home.text
    assert "Risk manager" in home.text


def test_the_users_saved_preference_wins_over_the_browsers_choice(
    new_browser: BrowserFactory, personas: Personas, session: Session
) -> None:
    personas.sam_sales.user.locale = "en"
    session.flush()
    browser = new_browser()
    browser.post("/locale", {"locale": "zh_CN", "next": "/login"})
    browser.sign_in("sam_sales")
    assert "Sign out" in browser.get("/").text


def test_signing_out_keeps_the_language_the_user_was_reading(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    personas.ada_auditor.user.locale = "en"
    session.flush()
    web = signed_in(personas.ada_auditor)
    web.post("/logout")
    login_page = web.get("/login")
    assert "You have signed out." in login_page.text
    assert '<html lang="en">' in login_page.text


def is_translated(message: Message | None) -> bool:
    if message is None or message.fuzzy:
        return False
    strings = (message.string,) if isinstance(message.string, str) else message.string or ()
    return bool(strings) and all(strings)


def test_every_message_in_the_ui_has_a_chinese_translation() -> None:
    catalogue = load_catalogue("zh_CN")
    untranslated = [
        message_id
        for message_id in extracted_messages()
        if not is_translated(catalogue.get(message_id))
    ]
    assert untranslated == [], "run `pybabel update` and translate these (docs/ui.md)"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_catalogues_hold_no_message_the_ui_no_longer_uses(locale: Locale) -> None:
    used = extracted_messages()
    stale = [
        message.id
        for message in load_catalogue(locale)
        if message.id and (message.id if isinstance(message.id, str) else message.id[0]) not in used
    ]
    assert stale == [], "run `pybabel update --ignore-obsolete` (docs/ui.md)"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_translations_keep_the_placeholders_of_their_message(locale: Locale) -> None:
    problems = [
        (message.id, [str(error) for error in errors])
        for message, errors in load_catalogue(locale).check()
    ]
    assert problems == []


class _VisibleText(HTMLParser):
    """Collects text a person would read: element content and the attributes shown to them."""

    SHOWN_ATTRIBUTES = frozenset({"title", "placeholder", "aria-label", "alt"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        self.texts.extend(value for name, value in attrs if name in self.SHOWN_ATTRIBUTES and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.texts.append(data)


@pytest.mark.parametrize(
    "template",
    sorted(str(path.relative_to(TEMPLATES_DIR)) for path in TEMPLATES_DIR.rglob("*.html")),
)
def test_templates_show_no_text_that_bypasses_translation(template: str) -> None:
    """Letters written straight into a template would show untranslated; all wording goes
    through ``_()``. Jinja code is blanked out first, leaving only the literal HTML."""
    source = (TEMPLATES_DIR / template).read_text(encoding="utf-8")
    literal = "".join(
        value if token == "data" else " "
        for _line, token, value in Environment(autoescape=True).lex(source)
    )
    parser = _VisibleText()
    parser.feed(literal)
    words = [text.strip() for text in parser.texts if re.search(r"[^\W\d_]", text)]
    assert words == []


@pytest.mark.parametrize(
    ("locale", "money", "day", "moment"),
    [
        ("zh_CN", "¥1,234,567.00", "2010年5月20日", "2026年11月26日 10:40"),
        ("en", "CN¥1,234,567.00", "May 20, 2010", "Nov 26, 2026, 10:40\u202fAM"),
    ],
)
def test_money_dates_and_times_follow_the_page_language(
    locale: Locale, money: str, day: str, moment: str
) -> None:
    formatter = Formatter(locale, ZoneInfo("Asia/Shanghai"))
    assert formatter.money(Money.of("1234567", "CNY")) == money
    assert formatter.date(date(2010, 5, 20)) == day
    assert formatter.datetime(datetime(2026, 11, 26, 2, 40, tzinfo=UTC)) == moment
    assert formatter.money(None) == "—"


def test_industry_and_region_codes_read_as_names_in_the_page_language() -> None:
    chinese = Formatter("zh_CN", ZoneInfo("Asia/Shanghai"))
    english = Formatter("en", ZoneInfo("Asia/Shanghai"))
    assert chinese.industry("F51") == "批发和零售业"
    assert english.industry("F51") == "Wholesale and retail trade"
    assert chinese.region("440300") == "深圳市"
    assert english.region("440305") == "Shenzhen"
    assert english.region("ZZ") == "ZZ"

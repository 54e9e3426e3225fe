"""Translations for the UI, the API and the CLI: gettext catalogues kept as ``.po`` files,
compiled in memory.

The catalogues live in ``translations/<locale>/LC_MESSAGES/messages.po``. They are compiled when
first needed with Babel (``read_po`` + ``write_mo``), so there is no ``.mo`` to build or commit and
a checkout serves exactly the text that is in version control. Message ids are English; ``en`` is
the source language and its catalogue stays empty unless an English wording needs overriding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from gettext import GNUTranslations
from io import BytesIO
from pathlib import Path

from babel import Locale as BabelLocale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from fengkong.settings import SUPPORTED_LOCALES, Locale

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark a message for extraction where it is defined; it is translated where it is shown."""
    return message


def catalogue_path(locale: Locale) -> Path:
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=len(SUPPORTED_LOCALES))
def translations(locale: Locale) -> GNUTranslations:
    """The compiled catalogue for ``locale``; a missing or malformed file fails loudly."""
    with catalogue_path(locale).open("rb") as po_file:
        catalogue = read_po(po_file, locale=locale, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return GNUTranslations(compiled)


@dataclass(frozen=True, slots=True)
class Message:
    """Text for a person, translated where it is shown: services say what happened (a message id
    marked with ``N_`` and its parameters), entry points say it in the reader's language.

    Parameters use gettext's ``%(name)s`` placeholders; a parameter that is itself a message
    (a severity's label, say) is said in the same language.
    """

    msgid: str
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, locale: Locale) -> str:
        text = translations(locale).gettext(self.msgid)
        if not self.params:
            return text
        return text % {
            name: value.render(locale) if isinstance(value, Message) else value
            for name, value in self.params.items()
        }


def negotiate_locale(accept_language: str | None, default: Locale) -> Locale:
    """The supported locale an ``Accept-Language`` header prefers (zh, zh-CN, zh-Hans → zh_CN)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        ranked.append((-weight, position, tag.strip().lower()))
    for _weight, _position, tag in sorted(ranked):
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return default


def as_locale(value: object) -> Locale | None:
    """``value`` when it names a supported locale, else ``None`` (a stale cookie, a bad form)."""
    for locale in SUPPORTED_LOCALES:
        if value == locale:
            return locale
    return None


def resolve_locale(
    *, user_preference: str | None, session_choice: str | None, default: Locale
) -> Locale:
    """The user's saved preference, else what this browser chose, else the deployment default."""
    return as_locale(user_preference) or as_locale(session_choice) or default


def language_name(locale: Locale) -> str:
    """A language named in itself (中文, English), as language switches conventionally show it."""
    return BabelLocale.parse(locale).get_language_name(locale) or locale


def html_lang(locale: Locale) -> str:
    """The BCP 47 tag for ``<html lang>`` (zh-CN, en), which screen readers and fonts rely on."""
    return locale.replace("_", "-")

"""Dunning letters as standalone HTML documents, one template per language
(``letters/letter.zh_CN.html``, ``letters/letter.en.html``), the wording of each level from the
dunning configuration. The same HTML is what the API returns and the UI previews and prints.

Letters live with the collections area rather than the web templates because the REST API
renders them too, and the API may not import the web UI.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from importlib.resources import files

from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import Environment, FunctionLoader, StrictUndefined

from fengkong.collections.service import Letter
from fengkong.kit.money import Money


def _load(name: str) -> str | None:
    resource = files("fengkong.collections").joinpath("letters", name)
    return resource.read_text("utf-8") if resource.is_file() else None


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FunctionLoader(_load),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _money(locale: str) -> object:
    def money(value: Money) -> str:
        return str(format_currency(value.amount, value.currency, locale=locale))

    return money


def _date(locale: str) -> object:
    def long_date(value: date) -> str:
        return str(format_date(value, "long", locale=locale))

    return long_date


def render_letter(letter: Letter) -> str:
    """The letter's HTML in its language."""
    template = _environment().get_template(f"letter.{letter.language}.html")
    return template.render(
        letter=letter,
        notice=letter.notice,
        items=letter.items,
        wording=letter.wording,
        money=_money(letter.language),
        long_date=_date(letter.language),
    )

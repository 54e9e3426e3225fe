"""Jinja2 environments and the one ``render`` every page goes through.

There is one environment per locale, each with its catalogue installed and its formatters as
filters. Per-request translation would need to swap an environment's globals under concurrent
requests; separate environments are thread-safe and let imported macros translate too.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from fengkong.display.formatting import Formatter
from fengkong.display.labels import CUSTOMER_STATUS_LABELS, ROLE_LABELS
from fengkong.i18n import html_lang, language_name, translations
from fengkong.settings import SUPPORTED_LOCALES, Locale, Settings
from fengkong.web import nav, sessions
from fengkong.web.csrf import csrf_token
from fengkong.web.deps import request_actor, request_locale

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
# Page links either side of the current page; the first and the last are always shown.
PAGE_WINDOW = 2


def page_window(current: int, pages: int) -> list[int | None]:
    """Page numbers to link, with ``None`` where a run of pages is left out (shown as …)."""
    shown = sorted(
        {1, pages}
        | set(range(max(1, current - PAGE_WINDOW), min(pages, current + PAGE_WINDOW) + 1))
    )
    window: list[int | None] = []
    for number in shown:
        if window and window[-1] is not None and number - window[-1] > 1:
            window.append(None)
        window.append(number)
    return window


def build_environment(locale: Locale, settings: Settings) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # install_gettext_translations is added to the environment by the i18n extension at run time.
    environment.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    environment.filters.update(Formatter(locale, settings.zone).filters())
    environment.globals.update(
        locale=locale,
        html_lang=html_lang(locale),
        languages=[(code, language_name(code)) for code in SUPPORTED_LOCALES],
        role_labels=ROLE_LABELS,
        customer_status_labels=CUSTOMER_STATUS_LABELS,
        page_window=page_window,
    )
    return environment


class Templates:
    def __init__(self, settings: Settings) -> None:
        self._environments = {
            locale: build_environment(locale, settings) for locale in SUPPORTED_LOCALES
        }

    def environment(self, locale: Locale) -> Environment:
        return self._environments[locale]


def is_htmx(request: Request) -> bool:
    """An htmx request for part of a page (not a history restore, which needs the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render ``template`` in the request's language with what the layout needs (who is signed
    in, their menu, the CSRF token, pending flash messages) plus ``context``.

    Flash messages are taken from the session only by a template that shows them (the layout),
    so an htmx fragment rendered in between cannot swallow them.
    """
    templates: Templates = request.app.state.templates
    actor = request_actor(request)
    page = templates.environment(request_locale(request)).get_template(template)
    query = request.url.query
    # Where the language switch returns to: this page, unless it answered a form (a POST
    # cannot be repeated by a redirect), in which case the start page.
    here = request.url.path + (f"?{query}" if query else "") if request.method == "GET" else "/"
    html = page.render(
        {
            "request": request,
            "actor": actor,
            "nav_items": nav.visible_items(actor),
            "current_path": request.url.path,
            "current_url": here,
            "csrf_token": csrf_token(request),
            "pop_flashes": partial(sessions.pop_flashes, request),
            **(context or {}),
        }
    )
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Vary", "HX-Request")
    return response

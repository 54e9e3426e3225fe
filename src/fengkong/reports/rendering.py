"""Render report templates outside a web request: the e-mailed reports and the CLI need the same
HTML as the pages, in the reader's language, without FastAPI.

Report templates live in ``fengkong/reports/templates``; each is a whole HTML document whose only
stylesheet is ``/static/css/report.css`` (served by the app for the HTML view, read from disk by
``pdf.html_to_pdf`` for the PDF, ``report_bytes``), so the page obeys the app's CSP (no inline
style or script).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from fengkong.display.formatting import Formatter
from fengkong.display.labels import CUSTOMER_STATUS_LABELS, ROLE_LABELS
from fengkong.i18n import html_lang, translations
from fengkong.settings import Locale

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


@cache
def report_environment(locale: Locale, zone: str) -> Environment:
    """One environment per language and time zone, built once (they are thread-safe)."""
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
    environment.filters.update(Formatter(locale, ZoneInfo(zone)).filters())
    environment.globals.update(
        locale=locale,
        html_lang=html_lang(locale),
        role_labels=ROLE_LABELS,
        customer_status_labels=CUSTOMER_STATUS_LABELS,
    )
    return environment


def render_report(template: str, context: Mapping[str, Any], *, locale: Locale, zone: str) -> str:
    return report_environment(locale, zone).get_template(template).render(**context)


def report_bytes(html: str, fmt: str) -> bytes:
    """The rendered page as the file of ``fmt``: the PDF for ``"pdf"``, the HTML itself else.

    WeasyPrint is imported here, at the first PDF, not with the reports: it takes ~1 s to
    import, and every process of the app (each command, worker and server) imports the reports;
    few of them render a PDF."""
    if fmt != "pdf":
        return html.encode()
    from fengkong.reports.pdf import html_to_pdf

    return html_to_pdf(html)

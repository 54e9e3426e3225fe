"""HTML to PDF with WeasyPrint, offline: the only resources a report may load are the app's own
static files, read from disk; any other URL is refused, so rendering never calls out."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_DIR = Path(__file__).resolve().parents[1] / "web" / "static"
STATIC_PREFIX = "/static/"
_BASE_URL = "fengkong-report:///"


class ResourceRefused(ValueError):
    """A report asked for a resource that is not one of the app's static files."""


class StaticFilesOnly(URLFetcher):  # type: ignore[misc]
    """Serves ``/static/...`` from disk and refuses every other URL (WeasyPrint then leaves the
    resource out with a warning): rendering never reaches the network."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = url.removeprefix(_BASE_URL.rstrip("/"))
        if not path.startswith(STATIC_PREFIX):
            raise ResourceRefused(f"a report may only load the app's static files, not {url!r}")
        local = (STATIC_DIR / path.removeprefix(STATIC_PREFIX)).resolve()
        if not local.is_relative_to(STATIC_DIR) or not local.is_file():
            raise ResourceRefused(f"no static file {path!r}")
        mime_type, _ = mimetypes.guess_type(local.name)
        return URLFetcherResponse(
            url,
            body=local.read_bytes(),
            headers={"Content-Type": mime_type or "application/octet-stream"},
        )


def html_to_pdf(html: str) -> bytes:
    """The PDF of a report page; ``/static/...`` links resolve to the app's static files."""
    document = HTML(string=html, base_url=_BASE_URL, url_fetcher=StaticFilesOnly())
    pdf: bytes = document.write_pdf()
    return pdf

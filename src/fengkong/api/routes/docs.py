"""Interactive API documentation, with Swagger UI served by the app itself.

FastAPI's default /docs page loads Swagger UI from a CDN, which an intranet without internet
access cannot reach.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from fengkong.api.deps import PUBLIC
from fengkong.api.security_headers import CONTENT_SECURITY_POLICY

OPENAPI_URL = "/api/v1/openapi.json"
SWAGGER_ASSETS = "/static/vendor/swagger-ui"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)

router = APIRouter(include_in_schema=False)


@router.get("/docs", dependencies=[PUBLIC])
def swagger_ui() -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title="Fengkong 风控 API",
        swagger_js_url=f"{SWAGGER_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_ASSETS}/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )
    page.headers["Content-Security-Policy"] = _policy_admitting_inline_scripts(bytes(page.body))
    return page


def _policy_admitting_inline_scripts(html: bytes) -> str:
    """The app's policy, plus the hashes of the page's own inline start-up script: Swagger UI is
    started by one that FastAPI writes, and a hash admits exactly that script and no other."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(match.encode()).digest()).decode() + "'"
        for match in _INLINE_SCRIPT.findall(html.decode())
    )
    return CONTENT_SECURITY_POLICY.replace("script-src 'self'", f"script-src 'self' {hashes}")

"""Interactive API documentation, with Swagger UI served by the app itself.

FastAPI's default /docs page loads Swagger UI from a CDN, which an intranet without internet
access cannot reach.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from fengkong.api.deps import PUBLIC

OPENAPI_URL = "/api/v1/openapi.json"
SWAGGER_ASSETS = "/static/vendor/swagger-ui"

router = APIRouter(include_in_schema=False)


@router.get("/docs", dependencies=[PUBLIC])
def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title="Fengkong 风控 API",
        swagger_js_url=f"{SWAGGER_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_ASSETS}/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )

"""HTML error pages for browser paths, plugged into the API's error handlers.

Domain errors keep one source of truth (``fengkong.errors``); here they become a page in the
user's language. The page explains the status in plain words rather than echoing the English
developer message. Nobody signed in is sent to the login page instead.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from fengkong.i18n import N_
from fengkong.web.csrf import CsrfFailed
from fengkong.web.redirects import login_url
from fengkong.web.templating import is_htmx, render

_TITLES: dict[int, str] = {
    400: N_("The request could not be processed"),
    403: N_("Access denied"),
    404: N_("Page not found"),
    405: N_("Page not found"),
    409: N_("The record has changed"),
    412: N_("The record has changed"),
    422: N_("The request could not be processed"),
}
_EXPLANATIONS: dict[int, str] = {
    400: N_("Some of the information sent is not valid. Go back, check it and try again."),
    403: N_("Your role does not allow you to open this page or perform this action."),
    404: N_("The page or record you asked for does not exist, or it has been removed."),
    405: N_("The page or record you asked for does not exist, or it has been removed."),
    409: N_("Someone else changed this record. Reload the page to see the latest version."),
    412: N_("Someone else changed this record. Reload the page to see the latest version."),
    422: N_("Some of the information sent is not valid. Go back, check it and try again."),
}
_SERVER_TITLE = N_("Something went wrong")
_SERVER_EXPLANATION = N_(
    "An unexpected error occurred and has been logged. Please try again in a moment."
)
_CSRF_EXPLANATION = N_(
    "This form has expired or was sent from another site. Reload the page and try again."
)


def _sign_in_redirect(request: Request) -> Response:
    # Only a page someone was trying to look at is worth returning to after signing in.
    target = login_url(request.url.path, request.url.query) if request.method == "GET" else "/login"
    if is_htmx(request):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def render_error(
    request: Request, status: int, code: str, message: str, details: Any
) -> Response | None:
    """The ``html_error_renderer`` hook of ``fengkong.api.errors``."""
    if status == 401:
        return _sign_in_redirect(request)
    if code == CsrfFailed.code:
        explanation = _CSRF_EXPLANATION
    else:
        explanation = _EXPLANATIONS.get(status, _SERVER_EXPLANATION)
    incident = details.get("incident") if isinstance(details, dict) else None
    return render(
        request,
        "errors/error.html",
        {
            "status": status,
            "title": _TITLES.get(status, _SERVER_TITLE),
            "explanation": explanation,
            "incident": incident,
        },
        status_code=status,
    )

"""Redirect targets taken from the request (``next``) are only ever paths on this site."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit


def safe_local_path(candidate: str | None, default: str = "/") -> str:
    """``candidate`` if it is a path on this site, else ``default``: never another host.

    Browsers treat ``//host``, ``/\\host`` and paths with tabs or newlines stripped out as links to
    other sites, so those are refused along with anything carrying a scheme or a host.
    """
    if not candidate or not candidate.startswith("/") or candidate.startswith("//"):
        return default
    if "\\" in candidate or any(ord(char) < 0x20 or ord(char) == 0x7F for char in candidate):
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return default
    return candidate


def login_url(path: str, query: str = "") -> str:
    """The login page, asking to come back to ``path?query`` afterwards."""
    target = path + (f"?{query}" if query else "")
    if target == "/":
        return "/login"
    return "/login?" + urlencode({"next": target})

"""Time FastAPI's route matching: unauthenticated requests (answered 401/404 before any database
work) to routes early and late in the route table, through the ASGI app in process.

    python benchmarks/api_routing.py [--requests 1000]

What a 401 costs is almost all matching the path against the app's routes (docs/performance.md,
"Routing"). Uses a throw-away migrated SQLite file; prints milliseconds per request.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

PATHS = (
    ("GET", "/api/v1/customers"),
    ("POST", "/api/v1/credit-checks"),
    ("GET", "/api/v1/reviews"),
    ("GET", "/no-such-page"),
)


async def _call(app: Any, method: str, path: str) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _measure(app: Any, requests: int) -> None:
    for method, path in PATHS:
        for _ in range(50):
            await _call(app, method, path)
        started = time.perf_counter()
        for _ in range(requests):
            status = await _call(app, method, path)
        per_request = (time.perf_counter() - started) / requests * 1000
        print(f"{method:<5}{path:<28}{status:>4}  {per_request:6.3f} ms/request", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'routing.db'}"
        os.environ["FENGKONG_DATABASE_URL"] = url
        from fengkong.app import create_app
        from fengkong.database import upgrade

        upgrade(url)
        app = create_app()
        asyncio.run(_measure(app, args.requests))
        app.state.database.dispose()


if __name__ == "__main__":
    main()

"""``fengkong worker``: applies the event stream (registered by ``fengkong.cli``)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from fengkong.database import open_database
from fengkong.logs import configure_logging
from fengkong.settings import get_settings


def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, help="Jobs this process runs at once (threads).")
    ] = 1,
    dispatch: Annotated[
        bool, typer.Option(help="Also dispatch the outbox into per-partition jobs.")
    ] = True,
    interval: Annotated[
        float, typer.Option(min=0.01, help="Seconds between polls of the outbox when idle.")
    ] = 0.2,
    stalled_after: Annotated[
        float,
        typer.Option(
            min=1, help="Seconds without a heartbeat after which a worker's job is redone."
        ),
    ] = 30.0,
    burst: Annotated[
        bool, typer.Option(help="Stop once no job is left (PostgreSQL) or the stream is caught up.")
    ] = False,
) -> None:
    """Apply the event stream: rescore each customer named by new events and evaluate the
    monitoring rules for it, in event order per customer.

    On PostgreSQL this is a procrastinate worker (start any number, on any machine, against the
    same database: they share the load and keep each customer's order). On SQLite it runs the
    embedded consumer in the foreground (``fengkong serve`` already runs it in a thread).
    """
    settings = get_settings()
    configure_logging(settings)
    url = settings.resolved_database_url
    if make_url(url).get_backend_name() == "postgresql":
        from fengkong.jobs import queue

        queue.run_worker(
            url,
            concurrency=concurrency,
            dispatch_interval=interval,
            dispatch=dispatch,
            stop_when_idle=burst,
            stalled_after=stalled_after,
        )
        return
    from fengkong.jobs.embedded import StreamLoop
    from fengkong.jobs.loop import run_until_terminated

    loop = StreamLoop(open_database(url), interval_seconds=interval)
    if burst:
        typer.echo(f"applied {loop.drain()} event(s)")
        return
    run_until_terminated(loop)

from __future__ import annotations

from fastapi import FastAPI

from fengkong.settings import Settings


def install(app: FastAPI, settings: Settings) -> None:
    """Placeholder until the UI shell lands."""

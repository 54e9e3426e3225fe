"""The OpenAPI document as the API answers: every error in the one ``{"error": …}`` envelope.

FastAPI documents a 422 of its own shape (``{"detail": [...]}``), which the app never sends
(``fengkong.api.errors`` renders every error in the envelope). An ERP integrator generating a
client from the document would parse errors wrongly; so the 422s are rewritten and the envelope is
the ``default`` response of every operation (what any status not listed answers).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

_REF = "#/components/schemas/{model}"
_ENVELOPE_REF = {"$ref": _REF.format(model="ErrorResponse")}
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


class ErrorInfo(BaseModel):
    code: str = Field(examples=["invalid_request"], description="stable, machine-readable")
    message: str = Field(description="for people; personal data in it is masked")
    details: Any = Field(
        default=None,
        description=(
            "what went wrong where; for invalid_request a list of {field, location, message, type}"
        ),
    )


class ErrorResponse(BaseModel):
    """Every error the API answers, whatever its status."""

    error: ErrorInfo


def _envelope(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ENVELOPE_REF}}}


def document_errors(spec: dict[str, Any]) -> None:
    """Point every operation's 422 and ``default`` response at the envelope, in place."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    envelope = ErrorResponse.model_json_schema(ref_template=_REF)
    schemas.update(envelope.pop("$defs", {}))
    schemas["ErrorResponse"] = envelope
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = _envelope("Invalid request: every field at fault is named")
            responses.setdefault("default", _envelope("Error"))


def install(app: FastAPI) -> None:
    """Build the document once, FastAPI's way, then correct its error responses."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        fresh = app.openapi_schema is None
        spec = build()  # FastAPI's: builds the document once, then returns the stored one
        if fresh:
            document_errors(spec)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]

"""Domain errors → HTTP, in one place.

Every failure the API reports has the body ``{"error": {"code", "message"}}`` and the
status below; nothing ever answers with a traceback. The gateway's own errors::

    ApiError                   a request the gateway refuses itself
    ├── 400 invalid_json, invalid_body, invalid_idempotency_key
    ├── 401 unauthorized
    ├── 403 forbidden (the role it needs, or another project named)
    ├── 409 secrets_pending
    ├── 413 body_too_large
    └── 422 name_mismatch, invalid_signal_name

and those raised further down, mapped here:

    WorkflowNotFound 404 · SecretNotFound 404 · RunNotFound 404 · ProjectNotFound 404
    TokenNotFound 404 · TemplateNotFound 404 · RunClosed 409 · ProjectExists 409
    InvalidSecretName 422 · InvalidProjectName 422 · InvalidRole 422
    IdempotencyMismatch 422 · DocumentInvalid 422 (+ problems)
    RunFailed 502 (the run's own code and message) · anything else 500 internal_error
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from contract.errors import RunClosed, RunFailed, RunNotFound
from contract.problems import DocumentInvalid
from registry.errors import (
    IdempotencyMismatch,
    InvalidProjectName,
    InvalidRole,
    InvalidSecretName,
    ProjectExists,
    ProjectNotFound,
    SecretKeyError,
    SecretNotFound,
    TemplateNotFound,
    TokenNotFound,
    WorkflowNotFound,
)

log = logging.getLogger("dispatched.gateway")

RUN_ID_HEADER = "Dispatched-Run-Id"


class ApiError(Exception):
    """A request the gateway refuses: an HTTP status, a stable code, a readable message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


_MAPPED: tuple[tuple[type[Exception], int, str], ...] = (
    (WorkflowNotFound, 404, "workflow_not_found"),
    (SecretNotFound, 404, "secret_not_found"),
    (RunNotFound, 404, "run_not_found"),
    (ProjectNotFound, 404, "project_not_found"),
    (TokenNotFound, 404, "token_not_found"),
    (TemplateNotFound, 404, "template_not_found"),
    (RunClosed, 409, "run_closed"),
    (ProjectExists, 409, "project_exists"),
    (InvalidSecretName, 422, "invalid_secret_name"),
    (InvalidProjectName, 422, "invalid_project_name"),
    (InvalidRole, 422, "invalid_role"),
    (IdempotencyMismatch, 422, "idempotency_key_reused"),
)


def error_response(status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None,
                   **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status, headers=headers)


def to_response(exc: Exception) -> JSONResponse:
    """The one mapping from an exception to the API's error answer."""
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.code, exc.message)
    for kind, status, code in _MAPPED:
        if isinstance(exc, kind):
            return error_response(status, code, str(exc))
    if isinstance(exc, RunFailed):
        return error_response(502, exc.error.code, exc.error.message, headers={RUN_ID_HEADER: exc.run_id})
    if isinstance(exc, DocumentInvalid):
        return error_response(422, "invalid_document", str(exc), **exc.to_dict())
    if isinstance(exc, StarletteHTTPException):
        code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_").replace("-", "_")
        return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)
    if isinstance(exc, RequestValidationError):
        return error_response(422, "invalid_request", _validation_message(exc))
    if isinstance(exc, SecretKeyError):
        log.error("secrets key problem: %s", exc)
        return error_response(500, "secret_key_error", str(exc))
    # Logged with its type only: a traceback's locals or messages could hold secrets.
    log.error("unexpected %s while serving a request", type(exc).__name__)
    return error_response(500, "internal_error", "internal error; the gateway log has the details")


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(parts)


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    return to_response(exc)


def install_error_handlers(app: FastAPI) -> None:
    """Route every error type through :func:`to_response`."""
    for kind in (ApiError, StarletteHTTPException, RequestValidationError, Exception,
                 WorkflowNotFound, SecretNotFound, RunNotFound, RunClosed, RunFailed,
                 InvalidSecretName, IdempotencyMismatch, DocumentInvalid, SecretKeyError):
        app.add_exception_handler(kind, _handle)

"""Errors of the running engine, as the gateway and the CLI tell them apart.

Definition errors (a bad document) live in :mod:`contract.problems`. Failures inside
a run travel through Temporal as ``ApplicationError`` with one of the ``type`` strings
below, so the Web UI and the `temporal` CLI show the same codes our API does::

    RunError
    ├── RunNotFound      no run with that id (HTTP 404)
    ├── RunClosed        the run already finished (HTTP 409)
    └── RunFailed        the run failed before it answered (HTTP 502); carries ErrorInfo
"""

from __future__ import annotations

from contract.messages import ErrorInfo

# ApplicationError types raised by the request activity (step-level codes).
HTTP_STATUS = "http_status"
TRANSPORT = "transport"
RESPONSE_TOO_LARGE = "response_too_large"
SECRET_MISSING = "secret_missing"
INVALID_REQUEST = "invalid_request"
# A body whose Content-Type says JSON but that JSON cannot carry through a run: not JSON,
# NaN/Infinity, a number out of range (1e999), a lone surrogate, nested too deep
# (contract.json_values, the rules trigger bodies follow too).
INVALID_RESPONSE = "invalid_response"
STEP_TIMEOUT = "timeout"

# Run-level failure codes.
STEP_FAILED = "step_failed"
WAIT_TIMEOUT = "wait_timeout"
EXPRESSION_FAILED = "expression_failed"
CANCELLED = "cancelled"

# A workflow uses a secret its project has not set: the trigger is refused (409), and so is
# a spawn directive of it (directive.rejected).
SECRETS_PENDING = "secrets_pending"

# Request failures a retry cannot mend. An upstream that answered an unreadable body would
# most likely answer it again, and the request may not be safe to repeat.
NON_RETRYABLE = (RESPONSE_TOO_LARGE, SECRET_MISSING, INVALID_REQUEST, INVALID_RESPONSE)


class RunError(Exception):
    """Base of the errors the run API raises."""


class RunNotFound(RunError):
    def __init__(self, run_id: str) -> None:
        super().__init__(f"no run {run_id!r}")
        self.run_id = run_id


class RunClosed(RunError):
    def __init__(self, run_id: str, status: str) -> None:
        super().__init__(f"run {run_id!r} is already {status}")
        self.run_id = run_id
        self.status = status


class RunFailed(RunError):
    def __init__(self, run_id: str, error: ErrorInfo) -> None:
        super().__init__(f"run {run_id!r} failed: {error.code}: {error.message}")
        self.run_id = run_id
        self.error = error

"""A small synchronous HTTP client for the gateway (SPEC §3).

Synchronous on purpose: each CLI command makes one or two calls and exits, and httpx's
blocking client keeps the commands plain functions. Every non-2xx answer and every
transport failure becomes a :class:`~cli.errors.CliError`, so the commands never
look at status codes except where one means something to them (202 on a sync start).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from cli.config import GatewayTarget
from cli.errors import EXIT_UNREACHABLE, CliError

SESSION_HEADER = "Dispatched-Session"
PROJECT_HEADER = "Dispatched-Project"
_NO_BODY = object()


def format_problem(problem: Any) -> str:
    """One readable line for a problem from a 422 answer (a dict from ``Problem.to_dict()``)."""
    if not isinstance(problem, Mapping):
        return str(problem)
    where = str(problem.get("path") or problem.get("step") or "document")
    line, column = problem.get("line"), problem.get("column")
    if line is not None:
        where += f" (line {line}" + (f", column {column})" if column is not None else ")")
    severity = problem.get("severity")
    prefix = "warning: " if severity == "warning" else ""
    return f"{prefix}{where}: {problem.get('message', '')}"


def error_from_response(response: httpx.Response) -> CliError:
    """Turn a gateway error answer (``{"error": {code, message}}``) into a CliError."""
    try:
        payload = response.json()
    except ValueError:
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        problems = error.get("problems") or []
        return CliError(
            str(error.get("code") or f"http_{response.status_code}"),
            str(error.get("message") or response.reason_phrase),
            details=[format_problem(p) for p in problems],
        )
    text = response.text.strip().splitlines()[0] if response.text.strip() else response.reason_phrase
    return CliError(f"http_{response.status_code}", text)


class GatewayClient:
    """Calls the gateway at ``target.url`` with ``Dispatched-Session: target.token``, and
    ``Dispatched-Project: target.project`` on every request when a project is named.

    Args:
        target: where the gateway is, which token to present and which project to name.
        timeout: seconds for connecting and for each read (a sync run start raises it).
    """

    def __init__(self, target: GatewayTarget, *, timeout: float = 30.0) -> None:
        self.target = target
        headers = {SESSION_HEADER: target.token} if target.token else {}
        if target.project:
            headers[PROJECT_HEADER] = target.project
        self._http = httpx.Client(base_url=target.url, headers=headers, timeout=timeout)

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def unreachable(self) -> CliError:
        """The error for a gateway that does not answer at all."""
        return CliError(
            None,
            f"cannot reach the gateway at {self.target.url}: is `dispatched dev` running?",
            exit_code=EXIT_UNREACHABLE,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = _NO_BODY,
        content: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """Send one request; a non-2xx answer or a transport failure raises CliError."""
        kwargs: dict[str, Any] = {"headers": dict(headers or {}), "params": params}
        if json_body is not _NO_BODY:
            kwargs["content"] = json.dumps(json_body).encode()
            kwargs["headers"].setdefault("Content-Type", "application/json")
        elif content is not None:
            kwargs["content"] = content
        if timeout is not None:
            kwargs["timeout"] = httpx.Timeout(timeout, connect=10.0)
        try:
            response = self._http.request(method, path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise self.unreachable() from exc
        except httpx.TimeoutException as exc:
            raise CliError("timeout", f"the gateway at {self.target.url} did not answer in time") from exc
        except httpx.TransportError as exc:
            raise CliError("transport", f"talking to the gateway at {self.target.url} failed: {exc}") from exc
        if response.status_code >= 400:
            raise error_from_response(response)
        return response

    def get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET ``path`` and return the decoded JSON answer."""
        return _json(self.request("GET", path, params=params))

    def stream_sse(self, path: str, params: Mapping[str, str]) -> Iterator[Any]:
        """Yield each ``data:`` payload (decoded JSON) of a server-sent event stream.

        Transport failures mid-stream propagate as ``httpx.TransportError`` so the caller
        can reconnect; failures before the stream opens raise CliError like ``request``.
        """
        try:
            with self._http.stream(
                "GET", path, params=params, timeout=httpx.Timeout(10.0, read=None)
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise error_from_response(response)
                yield from _sse_payloads(response.iter_lines())
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise self.unreachable() from exc


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise CliError("bad_answer", f"the gateway answered {response.status_code} without JSON") from exc


def _sse_payloads(lines: Iterator[str]) -> Iterator[Any]:
    """Parse SSE: consecutive ``data:`` lines form one event, a blank line ends it."""
    data: list[str] = []
    for line in lines:
        if line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        elif not line.strip() and data:
            yield _decode("\n".join(data))
            data = []
    if data:
        yield _decode("\n".join(data))


def _decode(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text

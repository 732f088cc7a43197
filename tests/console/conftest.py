"""The console as a person uses it: Debian's Chromium, headless, driven by playwright,
against the real gateway, worker, Temporal dev server and demo upstream of
``tests/cli/conftest.py``'s ``live`` fixture.

One browser for the session (starting it is the slow part), a fresh context (cookies,
storage) and page per test. Every page records what it asks for and what goes wrong, and
:meth:`Console.assert_clean` checks it: every request went to the gateway's own origin,
no script error, no console error, and no failed load but those a test expects.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Request, Response, ViewportSize, async_playwright, expect

from tests.cli.conftest import Live, live  # noqa: F401  # the live stack, as the CLI tests use it
from tests.cli.test_projects import ok

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package (scripts/ensure-chromium); playwright's own download needs the internet
DESKTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=390, height=844)
FAILED_LOAD = "Failed to load resource: the server responded with a status of"
# CONSOLE_SCREENSHOTS=docs/console keeps the screenshots there (README shows them); else a tmp dir.
SCREENSHOTS_ENV = "CONSOLE_SCREENSHOTS"

# What a page shows after a round trip through the gateway and Temporal (a cancel, a run
# closing) can take more than expect's default 5 s on a loaded CI machine; a check that
# fails still fails, only later.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-chromium (make test does)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class Console:
    """One browser page on the live gateway, and what it did."""

    page: Page
    live: Live
    requests: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed_loads: list[tuple[int, str, str]] = field(default_factory=list)  # (status, method, path)

    @property
    def origin(self) -> str:
        return self.live.url

    def url(self, path: str) -> str:
        return self.live.url + path

    async def sign_in(self, token: str, path: str = "/") -> None:
        """Sign in on the sign-in page, as a person does, and land on ``path``."""
        await self.page.goto(self.url(path))
        await self.page.wait_for_url("**/sign-in?**")
        await self.page.get_by_label("Token").fill(token)
        await self.page.get_by_role("button", name="Sign in").click()
        await self.page.wait_for_url(self.url(path))

    async def operator_token_for(self, project: str, role: str) -> str:
        """A new token of ``role`` in a new project ``project``, made with the CLI."""
        await ok(self.live, "project", "create", project)
        return (await ok(self.live, "--project", project, "token", "create", "--role", role, "--label", "console")).strip()

    def assert_clean(self, *, failed: tuple[tuple[int, str, str], ...] = ()) -> None:
        """Only the gateway's origin was asked; no script or console error; the failed
        loads are exactly ``failed`` ((status, method, path), in any order)."""
        elsewhere = [url for url in self.requests if _origin(url) != self.origin]
        assert elsewhere == [], f"requests left the gateway's origin: {elsewhere}"
        assert self.page_errors == [], self.page_errors
        assert [m for m in self.console_errors if not m.startswith(FAILED_LOAD)] == []
        assert sorted(self.failed_loads) == sorted(failed)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture
async def console(browser: Browser, live: Live) -> AsyncIterator[Console]:  # noqa: F811  # live is a fixture
    context = await browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(15_000)
    page = await context.new_page()
    seen = Console(page, live)

    def on_request(request: Request) -> None:
        seen.requests.append(request.url)

    def on_response(response: Response) -> None:
        if response.status >= 400:
            seen.failed_loads.append((response.status, response.request.method, urlsplit(response.url).path))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.console_errors.append(message.text)

    page.on("request", on_request)
    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.page_errors.append(str(error)))
    try:
        yield seen
    finally:
        await context.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where screenshots go: ``$CONSOLE_SCREENSHOTS`` when set, else a tmp dir."""
    chosen = os.environ.get(SCREENSHOTS_ENV)
    target = Path(chosen) if chosen else tmp_path / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    return target

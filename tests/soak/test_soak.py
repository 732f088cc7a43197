"""The soak: minutes of mixed traffic at a bounded rate against ``dispatched dev`` with the
PostgreSQL registry (issue 13).

``dispatched dev`` runs as a subprocess on free ports, its own data dir and worker
metrics port, its registry in a throwaway PostgreSQL cluster. The traffic, ``RATE``
triggers a second for ``SECONDS`` (``DISPATCHED_SOAK_SECONDS``, default 300;
``DISPATCHED_SOAK_RATE``, default 5), cycles through:

* sync triggers of a workflow that calls a loopback upstream with two secrets;
* async triggers (``Prefer: respond-async``) of one that waits for a signal, released a
  few seconds later through the gateway;
* idempotent repeats: the same ``Idempotency-Key`` twice (in turn, or at once), which must
  give the same run;
* bad inputs, each with the 4xx it must get: a body that is not JSON, an unknown
  workflow, a reused key with another body, no valid token.

Then every accepted run must reach a terminal state (0 lost, and none failed), no answer
may be a 5xx, and the worker's RSS (``VmRSS`` of the ``cli worker`` child) may grow by no
more than a generous bound. The figures are printed; ``docs/reliability.md`` has those of
a full run.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import platform
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.devproc import DevProcess, children_of
from tests.registry.postgres import PostgresCluster
from tests.upstream import Received, Reply, Upstream

pytestmark = pytest.mark.soak

SECONDS = float(os.environ.get("DISPATCHED_SOAK_SECONDS", "300"))
RATE = float(os.environ.get("DISPATCHED_SOAK_RATE", "5"))
MAX_IN_FLIGHT = 200  # a stalled stack must fail the soak, not pile up tasks without end
RSS_GROWTH_LIMIT_KIB = 200 * 1024  # start to end, generous: the first runs load the sandbox and fill caches
RSS_GROWTH_AFTER_WARMUP_LIMIT_KIB = 64 * 1024  # from the first 30 s sample on: a leak shows here
TERMINAL = {"completed", "failed", "cancelled", "terminated", "timed_out"}

SYNC = """\
name: soak-sync
steps:
  call:
    request:
      method: POST
      url: "{{ secrets.SOAK_URL }}/echo"
      headers: {authorization: "Bearer {{ secrets.SOAK_TOKEN }}"}
      body: {n: "{{ trigger.body.n }}"}
  answer:
    after: [call]
    respond:
      status: 200
      body: {n: "{{ steps.call.response.body.n }}"}
"""

ASYNC = """\
name: soak-async
steps:
  hold:
    wait: {signal: go, timeout: 15m}
  call:
    after: [hold]
    request:
      method: POST
      url: "{{ secrets.SOAK_URL }}/echo"
      headers: {authorization: "Bearer {{ secrets.SOAK_TOKEN }}"}
      body: {n: "{{ trigger.body.n }}"}
"""

KINDS = ("sync", "async", "idempotent", "bad")


@pytest.fixture(scope="module")
def registry_url(postgres: PostgresCluster) -> str:
    """An empty database in the session's PostgreSQL server (tests/conftest.py)."""
    return postgres.create_database("soak")


@pytest.fixture
def echo() -> Iterator[Upstream]:
    server = Upstream()

    def answer(received: Received) -> Reply:
        return Reply(200, received.json())

    server.route("POST", "/echo", answer)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dev(tmp_path: Path, registry_url: str) -> Iterator[DevProcess]:
    process = DevProcess(tmp_path / "data")
    process.env["DISPATCHED_DATABASE"] = registry_url
    try:
        process.start(timeout=120)
        yield process
    finally:
        process.kill()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def worker_pid(dev: DevProcess) -> int:
    assert dev.process is not None
    for pid in children_of(dev.process.pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"cli" in argv and b"worker" in argv:
            return pid
    raise AssertionError("no worker child of dispatched dev")


@dataclass
class Tally:
    """What the traffic saw."""

    accepted: dict[str, str] = field(default_factory=dict)  # run id -> kind
    sent: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)
    wrong_answers: list[str] = field(default_factory=list)
    repeats: int = 0
    repeat_mismatches: list[str] = field(default_factory=list)
    signals: int = 0


class Traffic:
    """One soak's requests, each checked as it comes back."""

    def __init__(self, http: httpx.AsyncClient, tally: Tally) -> None:
        self.http = http
        self.tally = tally
        self.tasks: set[asyncio.Task[None]] = set()
        self._bad = itertools.cycle(("not_json", "unknown_workflow", "key_reused", "no_token"))
        self._idempotent = itertools.count()

    async def send(self, kind: str, method: str, url: str, **options: Any) -> httpx.Response | None:
        self.tally.sent[kind] += 1
        try:
            answer = await self.http.request(method, url, **options)
        except httpx.HTTPError as exc:
            self.tally.transport_errors.append(f"{kind} {method} {url}: {type(exc).__name__}: {exc}")
            return None
        self.tally.statuses[answer.status_code] += 1
        if answer.status_code >= 500:
            self.tally.server_errors.append(f"{kind} {method} {url}: {answer.status_code} {answer.text[:300]}")
        return answer

    def expect(self, answer: httpx.Response | None, status: int, what: str) -> bool:
        if answer is None:
            return False
        if answer.status_code != status:
            self.tally.wrong_answers.append(f"{what}: {answer.status_code} (wanted {status}) {answer.text[:300]}")
            return False
        return True

    def accept(self, answer: httpx.Response, kind: str) -> str:
        run_id = answer.headers["Dispatched-Run-Id"]
        self.tally.accepted[run_id] = kind
        return run_id

    async def one(self, n: int) -> None:
        kind = KINDS[n % len(KINDS)]
        if kind == "sync":
            answer = await self.send(kind, "POST", "/workflows/soak-sync", json={"n": n})
            if self.expect(answer, 200, "sync trigger") and answer is not None:
                self.accept(answer, kind)
                if str(answer.json().get("n")) != str(n):
                    self.tally.wrong_answers.append(f"sync trigger {n} answered {answer.text[:200]}")
        elif kind == "async":
            answer = await self.send(kind, "POST", "/workflows/soak-async", json={"n": n},
                                     headers={"Prefer": "respond-async"})
            if self.expect(answer, 202, "async trigger") and answer is not None:
                run_id = self.accept(answer, kind)
                await asyncio.sleep(random.uniform(1, 8))
                signal = await self.send("signal", "POST", f"/api/runs/{run_id}/signal/go", json={"n": n})
                if self.expect(signal, 202, "signal"):
                    self.tally.signals += 1
        elif kind == "idempotent":
            await self.repeat(n, together=next(self._idempotent) % 2 == 1)
        else:
            await self.bad(n, next(self._bad))

    async def repeat(self, n: int, *, together: bool) -> None:
        """The same key twice: after the first answer, or both at once."""
        headers = {"Idempotency-Key": f"soak-{uuid.uuid4().hex}"}
        body = {"n": n}

        def trigger() -> Any:
            return self.send("idempotent", "POST", "/workflows/soak-sync", json=body, headers=headers)

        if together:
            first, second = await asyncio.gather(trigger(), trigger())
        else:
            first = await trigger()
            second = await trigger()
        if not (self.expect(first, 200, "idempotent trigger") and self.expect(second, 200, "idempotent repeat")):
            return
        assert first is not None and second is not None
        self.tally.repeats += 1
        run_id = self.accept(first, "idempotent")
        if second.headers.get("Dispatched-Run-Id") != run_id:
            self.tally.repeat_mismatches.append(f"{run_id} then {second.headers.get('Dispatched-Run-Id')}")

    async def bad(self, n: int, how: str) -> None:
        if how == "not_json":
            answer = await self.send("bad", "POST", "/workflows/soak-sync", content=b'{"n": ',
                                     headers={"Content-Type": "application/json"})
            self.expect(answer, 400, "a body that is not JSON")
        elif how == "unknown_workflow":
            answer = await self.send("bad", "POST", f"/workflows/no-such-{n}", json={"n": n})
            self.expect(answer, 404, "an unknown workflow")
        elif how == "key_reused":
            headers = {"Idempotency-Key": f"soak-bad-{uuid.uuid4().hex}", "Prefer": "respond-async"}
            first = await self.send("bad", "POST", "/workflows/soak-sync", json={"n": n}, headers=headers)
            if self.expect(first, 202, "a key's first use") and first is not None:
                self.accept(first, "sync")
                answer = await self.send("bad", "POST", "/workflows/soak-sync", json={"n": -n}, headers=headers)
                self.expect(answer, 422, "a key reused with another body")
        else:
            answer = await self.send("bad", "POST", "/workflows/soak-sync", json={"n": n},
                                     headers={"Dispatched-Session": "dsp_not-a-token"})
            self.expect(answer, 401, "no valid token")

    async def run(self, seconds: float, rate: float) -> int:
        """Start one request every ``1/rate`` s for ``seconds``; wait for them all. Returns
        how many were started."""
        start = time.monotonic()
        n = 0
        while (due := start + n / rate) < start + seconds:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            assert len(self.tasks) < MAX_IN_FLIGHT, f"{len(self.tasks)} requests in flight: the stack stalled"
            task = asyncio.create_task(self.one(n))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            n += 1
        while self.tasks:
            await asyncio.gather(*list(self.tasks))
        return n


async def terminal_states(http: httpx.AsyncClient, run_ids: list[str], *, timeout: float) -> dict[str, str]:
    """Each run's status, polled until every one is terminal or ``timeout`` passes."""
    states: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    gate = asyncio.Semaphore(8)

    async def status(run_id: str) -> None:
        async with gate:
            answer = await http.get(f"/api/runs/{run_id}")
        states[run_id] = answer.json()["status"] if answer.status_code == 200 else f"http {answer.status_code}"

    while True:
        open_ids = [run_id for run_id in run_ids if states.get(run_id) not in TERMINAL]
        if not open_ids or time.monotonic() > deadline:
            return states
        await asyncio.gather(*(status(run_id) for run_id in open_ids))
        if any(states[run_id] not in TERMINAL for run_id in open_ids):
            await asyncio.sleep(1)


@pytest.mark.timeout(SECONDS + 600)  # the traffic, then draining every run, well within it
async def test_soak(dev: DevProcess, echo: Upstream, capsys: pytest.CaptureFixture[str]) -> None:
    token = (dev.data_dir / "token").read_text().strip()
    url = f"http://127.0.0.1:{dev.port}"
    async with httpx.AsyncClient(base_url=url, headers={"Dispatched-Session": token}, timeout=60,
                                 limits=httpx.Limits(max_connections=MAX_IN_FLIGHT)) as http:
        for name, value in (("SOAK_URL", echo.url), ("SOAK_TOKEN", "soak-token")):
            assert (await http.put(f"/api/secrets/{name}", content=value)).status_code == 200
        for source in (SYNC, ASYNC):
            name = source.split("\n", 1)[0].removeprefix("name: ")
            answer = await http.put(f"/api/workflows/{name}", content=source)
            assert answer.status_code == 200, answer.text

        assert not (dev.data_dir / "dispatched.db").exists(), "dev made a SQLite registry, not PostgreSQL"
        pid = worker_pid(dev)
        rss_start = rss_kib(pid)
        samples: list[tuple[int, int]] = []  # (seconds into the traffic, KiB): the trend, printed

        async def sample() -> None:
            while True:
                await asyncio.sleep(30)
                samples.append((round(time.monotonic() - began), rss_kib(pid)))

        tally = Tally()
        began = time.monotonic()
        sampler = asyncio.create_task(sample())
        try:
            started = await Traffic(http, tally).run(SECONDS, RATE)
        finally:
            sampler.cancel()
        traffic_seconds = time.monotonic() - began
        states = await terminal_states(http, list(tally.accepted), timeout=180)
        rss_end = rss_kib(pid)
        assert worker_pid(dev) == pid, "the worker was restarted during the soak"

    outcome = Counter(states.values())
    lost = sorted(run_id for run_id in tally.accepted if states.get(run_id) not in TERMINAL)
    figures = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
        "seconds": round(traffic_seconds, 1),
        "rate_per_s": RATE,
        "requests_started": started,
        "requests_sent": dict(tally.sent),
        "answers": dict(sorted(tally.statuses.items())),
        "accepted_runs": len(tally.accepted),
        "accepted_by_kind": dict(Counter(tally.accepted.values())),
        "terminal": sum(outcome[s] for s in TERMINAL),
        "outcomes": dict(outcome),
        "lost": len(lost),
        "answers_5xx": len(tally.server_errors),
        "transport_errors": len(tally.transport_errors),
        "idempotent_repeats": tally.repeats,
        "signals": tally.signals,
        "worker_rss_kib_start": rss_start,
        "worker_rss_kib_end": rss_end,
        "worker_rss_kib_every_30_s": samples,
    }
    with capsys.disabled():
        print("\nsoak figures:", json.dumps(figures, indent=2))

    assert tally.server_errors == []
    assert tally.transport_errors == []
    assert tally.wrong_answers == []
    assert tally.repeat_mismatches == []
    assert lost == [], f"{len(lost)} runs lost, e.g. {lost[:5]} ({[states.get(r) for r in lost[:5]]})"
    assert outcome["completed"] == len(tally.accepted), outcome
    assert all(tally.sent[kind] > 0 for kind in KINDS)
    assert tally.repeats > 0 and tally.signals > 0
    assert rss_end - rss_start < RSS_GROWTH_LIMIT_KIB, f"worker RSS grew from {rss_start} to {rss_end} KiB"
    if samples:
        warm = samples[0][1]
        assert rss_end - warm < RSS_GROWTH_AFTER_WARMUP_LIMIT_KIB, f"worker RSS grew from {warm} (30 s) to {rss_end} KiB"

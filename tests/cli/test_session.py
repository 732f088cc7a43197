"""The seed's CLI session for async-checkout, verbatim, against a live gateway and worker."""

from __future__ import annotations

import asyncio
import json
import os
import re

from tests.cli.conftest import DISPATCHED, EXAMPLES, Live


async def wait_for_step(live: Live, run_id: str, step: str, status: str, *, timeout: float = 30) -> str:
    """Poll ``dispatched run show`` until ``step``'s row says ``status``; the last table."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        shown = await live.ok("run", "show", run_id)
        if re.search(rf"^{step}\s+{status}\s", shown, re.MULTILINE):
            return shown
        assert asyncio.get_running_loop().time() < deadline, f"{step} never became {status}:\n{shown}"
        await asyncio.sleep(0.3)


async def deploy_checkout(live: Live) -> None:
    await live.ok("secrets", "set", "ECOM_API_URL", live.demo.secret_values()["ECOM_API_URL"])
    deployed = await live.ok("workflow", "deploy", str(EXAMPLES / "async-checkout.yaml"))
    assert deployed.startswith("deployed async-checkout revision 1 (version 1)")


async def test_seed_cli_session_drives_async_checkout_to_the_end(live: Live) -> None:
    await deploy_checkout(live)

    # RUN=$(dispatched run start async-checkout --async --data '{"user_id": "user_42"}')
    started = await live.ok("run", "start", "async-checkout", "--async", "--data", '{"user_id": "user_42"}')
    assert re.fullmatch(r"run_[A-Za-z0-9_-]+\n", started), started
    run = started.strip()

    # dispatched run show $RUN  — confirm_address goes to "waiting"
    shown = await wait_for_step(live, run, "confirm_address", "waiting")
    assert re.search(r"^create_cart\s+completed\s+1\s", shown, re.MULTILINE)
    assert re.search(r"^status\s+running$", shown, re.MULTILINE)
    assert shown.splitlines()[7].split() == ["STEP", "STATUS", "ATTEMPTS", "STARTED", "FINISHED", "ERROR"]

    await live.ok("run", "signal", run, "address-submitted",
                  "--data", '{"street": "100 Main St", "city": "Berlin", "zip": "10115"}')
    await wait_for_step(live, run, "select_shipping", "waiting")
    await live.ok("run", "signal", run, "shipping-selected", "--data", '{"method": "express"}')
    await wait_for_step(live, run, "confirm_payment", "waiting")
    await live.ok("run", "signal", run, "payment-confirmed", "--data", '{"confirmed_at": "2026-05-15T12:00:00Z"}')

    final = await wait_for_step(live, run, "finalize_order", "completed")
    assert re.search(r"^status\s+completed$", final, re.MULTILINE)
    as_json = json.loads(await live.ok("run", "show", run, "--json"))
    assert as_json["run_id"] == run and as_json["status"] == "completed"
    assert {s["status"] for s in as_json["steps"].values()} == {"completed"}


async def test_payment_cancelled_skips_finalize_and_events_follow_to_the_end(live: Live) -> None:
    await deploy_checkout(live)
    run = (await live.ok("run", "start", "async-checkout", "--async", "--data", '{"user_id": "u"}')).strip()
    follower = asyncio.create_task(live.cli("run", "events", run, "--follow"))
    await wait_for_step(live, run, "confirm_address", "waiting")
    await live.ok("run", "signal", run, "address-submitted", "--data", "{}")
    await live.ok("run", "signal", run, "shipping-selected", "--data", '{"method": "standard"}')
    await live.ok("run", "signal", run, "payment-cancelled")
    await wait_for_step(live, run, "finalize_order", "skipped")

    followed = await asyncio.wait_for(follower, timeout=30)
    assert followed.returncode == 0, followed.stderr
    listed = await live.ok("run", "events", run)
    assert followed.stdout == listed  # the live stream printed exactly the final log
    seqs = [int(line.split()[0]) for line in listed.splitlines()]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)) > 3
    events = json.loads(await live.ok("run", "events", run, "--json"))
    assert [e["seq"] for e in events] == seqs


async def test_read_commands_print_tables_and_json(live: Live) -> None:
    await deploy_checkout(live)
    await live.ok("secrets", "set", "ORDER_SERVICE_TOKEN", stdin="s3cr3t-value\n")
    run = (await live.ok("run", "start", "async-checkout", "--async", "--data", '{"user_id": "u"}')).strip()

    secrets_table = await live.ok("secrets", "list")
    assert secrets_table.splitlines()[0].split() == ["NAME", "STATUS", "USED", "BY", "UPDATED"]
    assert re.search(r"^ECOM_API_URL\s+set\s+async-checkout\s+\d{4}-", secrets_table, re.MULTILINE)
    assert {line.split()[0] for line in secrets_table.splitlines()[1:]} == {"ECOM_API_URL", "ORDER_SERVICE_TOKEN"}
    secrets_json = await live.ok("secrets", "list", "--json")
    assert "s3cr3t-value" not in secrets_json and "s3cr3t-value" not in secrets_table
    assert sorted(s["name"] for s in json.loads(secrets_json)) == ["ECOM_API_URL", "ORDER_SERVICE_TOKEN"]

    workflows = await live.ok("workflow", "list")
    assert re.search(r"^async-checkout\s+1\s+1\s", workflows, re.MULTILINE)
    assert json.loads(await live.ok("workflow", "list", "--json"))[0]["name"] == "async-checkout"
    shown = await live.ok("workflow", "show", "async-checkout")
    assert (EXAMPLES / "async-checkout.yaml").read_text() in shown
    assert json.loads(await live.ok("workflow", "show", "async-checkout", "--json"))["revision"] == 1

    for _ in range(50):  # Temporal visibility is eventually consistent
        listed = json.loads(await live.ok("run", "list", "--workflow", "async-checkout", "--json"))
        if any(r["run_id"] == run for r in listed):
            break
        await asyncio.sleep(0.2)
    assert any(r["run_id"] == run and r["status"] == "running" for r in listed)
    table = await live.ok("run", "list", "--workflow", "async-checkout")
    assert re.search(rf"^{run}\s+async-checkout\s+1\s+running\s", table, re.MULTILINE)

    await live.ok("run", "cancel", run)
    await wait_for_step(live, run, "confirm_address", "cancelled")


async def test_follow_reconnects_from_the_last_seq_when_the_gateway_restarts(live: Live) -> None:
    await deploy_checkout(live)
    run = (await live.ok("run", "start", "async-checkout", "--async", "--data", '{"user_id": "u"}')).strip()
    await wait_for_step(live, run, "confirm_address", "waiting")
    follower = await asyncio.create_subprocess_exec(
        DISPATCHED, "run", "events", run, "--follow", "--json",
        env={**os.environ, **live.env}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert follower.stdout is not None
    first = json.loads(await asyncio.wait_for(follower.stdout.readline(), timeout=15))
    assert first["seq"] == 1

    await live.gateway.stop()  # the stream drops mid-run
    await asyncio.sleep(1.5)
    await live.gateway.start()
    await live.ok("run", "signal", run, "address-submitted", "--data", "{}")
    await live.ok("run", "signal", run, "shipping-selected", "--data", '{"method": "express"}')
    await live.ok("run", "signal", run, "payment-confirmed", "--data", "{}")

    out, err = await asyncio.wait_for(follower.communicate(), timeout=60)
    assert follower.returncode == 0, err.decode()
    assert "reconnecting from seq" in err.decode()
    seqs = [first["seq"]] + [json.loads(line)["seq"] for line in out.decode().splitlines()]
    logged = [e["seq"] for e in json.loads(await live.ok("run", "events", run, "--json"))]
    assert seqs == logged  # every event exactly once, in order, across the reconnect
    assert json.loads(out.decode().splitlines()[-1])["type"] == "run.completed"

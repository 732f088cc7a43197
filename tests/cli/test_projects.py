"""Projects, tokens and pending secrets through the real ``dispatched`` console script,
against a live gateway and worker (SPEC §4, §6, §7)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess

from tests.cli.conftest import DISPATCHED, EXAMPLES, Live

CHECKOUT = str(EXAMPLES / "async-checkout.yaml")


async def dispatched(live: Live, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``dispatched ARGS`` with the live gateway's URL and operator token, ``env`` on top
    (``DISPATCHED_TOKEN=...``, ``DISPATCHED_PROJECT=...``); the shell's own project unset."""
    full = {k: v for k, v in os.environ.items() if k != "DISPATCHED_PROJECT"} | live.env | env
    return await asyncio.to_thread(
        subprocess.run, [DISPATCHED, *args], env=full, capture_output=True, text=True, timeout=90,
    )


async def ok(live: Live, *args: str, **env: str) -> str:
    result = await dispatched(live, *args, **env)
    assert result.returncode == 0, f"dispatched {' '.join(args)} failed: {result.stderr}"
    return result.stdout


async def refused(live: Live, *args: str, **env: str) -> str:
    """A command the gateway refuses: exit 1, nothing on stdout, one error line; that line."""
    result = await dispatched(live, *args, **env)
    assert result.returncode == 1, f"dispatched {' '.join(args)} should fail: {result.stdout}{result.stderr}"
    assert result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


async def test_project_create_refuses_a_second_of_the_same_name_and_a_bad_slug(live: Live) -> None:
    assert await ok(live, "project", "create", "shop") == "created project shop\n"
    assert (await refused(live, "project", "create", "shop")).startswith("error: project_exists: ")
    bad = await refused(live, "project", "create", "Shop Front")
    assert bad.startswith("error: invalid_project_name: invalid project name 'Shop Front': use lowercase letters")

    listed = await ok(live, "project", "list")
    assert listed.splitlines()[0].split() == ["NAME", "CREATED"]
    assert [line.split()[0] for line in listed.splitlines()[1:]] == ["default", "shop"]
    assert [p["name"] for p in json.loads(await ok(live, "project", "list", "--json"))] == ["default", "shop"]


async def test_a_token_is_shown_once_works_for_its_project_and_is_refused_once_revoked(live: Live) -> None:
    await ok(live, "project", "create", "shop")
    made = await dispatched(live, "--project", "shop", "token", "create", "--role", "run", "--label", "ci runner")
    assert made.returncode == 0, made.stderr
    assert re.fullmatch(r"dsp_\S+\n", made.stdout), made.stdout
    token = made.stdout.strip()
    assert "not shown again" in made.stderr and token not in made.stderr

    # The run token reads and runs in shop, and the role stops it at deploying.
    assert await ok(live, "run", "list", DISPATCHED_TOKEN=token) == "no runs\n"
    assert await ok(live, "--project", "shop", "run", "list", DISPATCHED_TOKEN=token) == "no runs\n"
    assert await ok(live, "--project", "shop", "workflow", "list", DISPATCHED_TOKEN=token) == "no workflows\n"
    denied = await refused(live, "workflow", "deploy", CHECKOUT, DISPATCHED_TOKEN=token)
    assert denied.startswith("error: forbidden: ") and "'deploy'" in denied
    other = await refused(live, "workflow", "list", "--project", "default", DISPATCHED_TOKEN=token)
    assert other.startswith("error: forbidden: ") and "'shop'" in other

    listed = await ok(live, "token", "list", "--project", "shop")
    assert listed.splitlines()[0].split() == ["ID", "ROLE", "LABEL", "CREATED", "LAST", "USED", "REVOKED"]
    row = listed.splitlines()[1]
    token_id = row.split()[0]
    assert re.match(rf"{token_id}\s+run\s+ci runner\s+\d{{4}}-\S+ \S+\s+\d{{4}}-\S+ \S+\s+-$", row), row
    as_json = await ok(live, "token", "list", "--project", "shop", "--json")
    assert token not in listed and token not in as_json
    assert [t["id"] for t in json.loads(as_json)] == [token_id]
    assert await ok(live, "token", "list") == "no tokens\n"  # default's tokens: none

    assert await ok(live, "token", "revoke", token_id, "--project", "shop") == f"revoked {token_id}\n"
    gone = await refused(live, "run", "list", DISPATCHED_TOKEN=token)
    assert gone.startswith("error: unauthorized: ")
    assert re.search(rf"^{token_id}\s+run\s+.*\d\d:\d\d:\d\d$", await ok(live, "token", "list", "--project", "shop"),
                     re.MULTILINE)  # revoked: the last column has its time


async def test_project_flag_and_environment_reach_another_project(live: Live) -> None:
    await ok(live, "project", "create", "shop")
    deployed = await ok(live, "workflow", "deploy", CHECKOUT, "--project", "shop")
    assert deployed.startswith("deployed async-checkout revision 1 (version 1)\n")

    assert await ok(live, "workflow", "list") == "no workflows\n"  # default has none
    for listed in (await ok(live, "workflow", "list", DISPATCHED_PROJECT="shop"),
                   await ok(live, "--project", "shop", "workflow", "list")):
        assert re.search(r"^async-checkout\s+1\s+1\s", listed, re.MULTILINE), listed
    # The flag wins over the environment.
    assert await ok(live, "workflow", "list", "--project", "default", DISPATCHED_PROJECT="shop") == "no workflows\n"
    missing = await refused(live, "workflow", "list", "--project", "nowhere")
    assert missing.startswith("error: project_not_found: ")
    bad = await dispatched(live, "workflow", "list", DISPATCHED_PROJECT="Not A Slug")
    assert bad.returncode == 2 and bad.stderr.startswith("error: bad_project: DISPATCHED_PROJECT 'Not A Slug': ")


async def test_pending_secrets_are_listed_refuse_a_run_and_clear_when_set(live: Live) -> None:
    await ok(live, "project", "create", "shop")
    shop = {"DISPATCHED_PROJECT": "shop"}
    deployed = await ok(live, "workflow", "deploy", CHECKOUT, **shop)
    assert deployed.splitlines() == [
        "deployed async-checkout revision 1 (version 1)",
        "pending secret ECOM_API_URL: set it with `dispatched secrets set ECOM_API_URL --project shop`",
    ]
    listed = await ok(live, "secrets", "list", **shop)
    assert listed.splitlines() == [
        "NAME          STATUS   USED BY         UPDATED",
        "ECOM_API_URL  pending  async-checkout  -",
    ]
    as_json = json.loads(await ok(live, "secrets", "list", "--json", **shop))
    assert as_json == [{"name": "ECOM_API_URL", "status": "pending", "used_by": ["async-checkout"], "updated_at": None}]

    blocked = await refused(live, "run", "start", "async-checkout", "--data", '{"user_id": "u"}', **shop)
    assert blocked.startswith("error: secrets_pending: ") and "ECOM_API_URL" in blocked

    await ok(live, "secrets", "set", "ECOM_API_URL", live.demo.secret_values()["ECOM_API_URL"], **shop)
    listed = await ok(live, "secrets", "list", **shop)
    assert re.fullmatch(r"ECOM_API_URL\s+set\s+async-checkout\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d",
                        listed.splitlines()[1]), listed
    assert await ok(live, "secrets", "list") == "no secrets\n"  # default's secrets: untouched
    again = await ok(live, "workflow", "deploy", CHECKOUT, **shop)
    assert again == "deployed async-checkout revision 1 (version 1)\n"  # nothing pending any more
    run = (await ok(live, "run", "start", "async-checkout", "--async", "--data", '{"user_id": "u"}', **shop)).strip()
    assert run.startswith("run_")
    await ok(live, "run", "cancel", run, **shop)

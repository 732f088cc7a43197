"""Pure: where ``--project`` is accepted and which one wins, and how the project,
token and secret tables read."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli import build_parser
from cli.config import resolve_target
from cli.errors import CliError
from cli.output import table
from cli.secrets import secret_rows
from cli.token import created_note, token_rows
from cli.workflow import pending_lines


@pytest.mark.parametrize("argv", [
    ["--project", "shop", "run", "list"],
    ["run", "list", "--project", "shop"],
    ["--project", "default", "secrets", "list", "--project", "shop"],  # the command's own flag is the last word
    ["token", "create", "--role", "deploy", "--project", "shop"],
    ["project", "list", "--project", "shop"],
])
def test_project_flag_goes_before_or_after_the_command(argv: list[str]) -> None:
    assert build_parser().parse_args(argv).project == "shop"


def test_no_flag_means_no_project_and_offline_commands_take_none() -> None:
    assert build_parser().parse_args(["run", "list"]).project is None
    for offline in (["workflow", "validate", "x.yaml", "--project", "shop"], ["dev", "--project", "shop"]):
        with pytest.raises(SystemExit) as usage:
            build_parser().parse_args(offline)
        assert usage.value.code == 2


def test_token_roles_are_the_four(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["token", "create", "--role", "owner"])
    assert "choose from 'read', 'run', 'deploy', 'admin'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["token", "create"])  # --role is required


def test_flag_wins_over_environment_and_empty_is_unset(tmp_path: Path) -> None:
    base = {"DISPATCHED_DATA_DIR": str(tmp_path)}
    assert resolve_target(base).project is None
    assert resolve_target({**base, "DISPATCHED_PROJECT": ""}).project is None
    assert resolve_target({**base, "DISPATCHED_PROJECT": "shop"}).project == "shop"
    assert resolve_target({**base, "DISPATCHED_PROJECT": "shop"}, project="default").project == "default"


def test_a_project_that_is_no_slug_is_a_usage_error_naming_where_it_came_from(tmp_path: Path) -> None:
    base = {"DISPATCHED_DATA_DIR": str(tmp_path)}
    with pytest.raises(CliError) as from_flag:
        resolve_target(base, project="Shop")
    assert from_flag.value.exit_code == 2
    assert str(from_flag.value).startswith("error: bad_project: --project 'Shop': use lowercase letters")
    with pytest.raises(CliError, match="DISPATCHED_PROJECT 'a b'"):
        resolve_target({**base, "DISPATCHED_PROJECT": "a b"})


def test_secrets_table_shows_status_users_and_a_dash_for_a_pending_one() -> None:
    rows = secret_rows([
        {"name": "ECOM_API_URL", "status": "pending", "used_by": ["async-checkout", "shop-checkout"],
         "updated_at": None},
        {"name": "UNUSED", "status": "set", "used_by": [], "updated_at": "2026-05-15T12:00:00.5Z"},
    ])
    assert table(["NAME", "STATUS", "USED BY", "UPDATED"], rows).splitlines() == [
        "NAME          STATUS   USED BY                       UPDATED",
        "ECOM_API_URL  pending  async-checkout,shop-checkout  -",
        "UNUSED        set      -                             2026-05-15 12:00:00",
    ]


def test_pending_lines_say_how_to_set_each_in_the_same_project() -> None:
    assert pending_lines([], "shop") == []
    assert pending_lines(["A", "B"], None) == [
        "pending secret A: set it with `dispatched secrets set A`",
        "pending secret B: set it with `dispatched secrets set B`",
    ]
    assert pending_lines(["A"], "shop") == ["pending secret A: set it with `dispatched secrets set A --project shop`"]


def test_token_rows_and_note_never_carry_the_value() -> None:
    answer = {"id": "tok_1", "token": "dsp_secret", "role": "run", "label": "ci"}
    assert "dsp_secret" not in created_note(answer) and "tok_1" in created_note(answer)
    listed = {"id": "tok_1", "role": "run", "label": "", "created_at": "2026-05-15T12:00:00Z",
              "last_used_at": None, "revoked_at": None}
    assert table(["ID", "ROLE", "LABEL", "CREATED", "LAST USED", "REVOKED"], token_rows([listed])).splitlines()[1] == (
        "tok_1  run   -      2026-05-15 12:00:00  -          -"
    )

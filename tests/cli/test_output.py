"""Pure formatting: tables people read, JSON scripts read, data flags, target resolution."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from cli.client import format_problem
from cli.config import resolve_target
from cli.errors import CliError
from cli.events import format_event
from cli.inputs import parse_data
from cli.output import cell, table
from tests.cli.conftest import DISPATCHED


def test_table_aligns_columns_and_renders_missing_values_as_dash() -> None:
    text = table(["STEP", "STATUS", "ERROR"], [["create_cart", "completed", None], ["confirm_address", "waiting", None]])
    assert text.splitlines() == [
        "STEP             STATUS     ERROR",
        "create_cart      completed  -",
        "confirm_address  waiting    -",
    ]


def test_cells_shorten_times_and_show_errors_as_code_and_message() -> None:
    assert cell("2026-05-15T12:00:00.123456Z") == "2026-05-15 12:00:00"
    assert cell({"code": "wait_timeout", "message": "confirm_address timed out"}) == "wait_timeout: confirm_address timed out"
    assert cell("running") == "running"
    assert cell(3) == "3"


def test_event_line_has_seq_type_step_and_data() -> None:
    line = format_event({"seq": 7, "at": "2026-05-15T12:00:00Z", "type": "log", "step": "process_order",
                         "data": {"message": "validated"}})
    assert line.split() [:5] == ["7", "2026-05-15", "12:00:00", "log", "process_order"]
    assert line.endswith('{"message": "validated"}')


def test_problem_lines_name_the_place_and_the_severity() -> None:
    problem = {"message": "unknown field 'timout'", "path": "steps.a.wait", "line": 12, "column": 7, "severity": "error"}
    assert format_problem(problem) == "steps.a.wait (line 12, column 7): unknown field 'timout'"
    assert format_problem({**problem, "severity": "warning"}).startswith("warning: ")


def test_data_flag_reads_inline_json_and_files(tmp_path: Path) -> None:
    assert parse_data('{"user_id": "user_42"}') == {"user_id": "user_42"}
    path = tmp_path / "body.json"
    path.write_text(json.dumps({"method": "express"}))
    assert parse_data(f"@{path}") == {"method": "express"}
    assert parse_data(None) is None


def test_bad_data_is_a_located_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(CliError) as bad:
        parse_data('{"user_id": }')
    assert str(bad.value) == "error: bad_data: --data is not valid JSON (line 1, column 13): Expecting value"
    with pytest.raises(CliError, match="cannot read"):
        parse_data(f"@{tmp_path / 'missing.json'}")


def test_target_prefers_environment_then_data_dir_files(tmp_path: Path) -> None:
    (tmp_path / "url").write_text("http://127.0.0.1:4100/\n")
    (tmp_path / "token").write_text("dsp_file\n")
    from_files = resolve_target({"DISPATCHED_DATA_DIR": str(tmp_path)})
    assert (from_files.url, from_files.token) == ("http://127.0.0.1:4100", "dsp_file")
    from_env = resolve_target({"DISPATCHED_DATA_DIR": str(tmp_path), "DISPATCHED_URL": "http://127.0.0.1:1",
                               "DISPATCHED_TOKEN": "dsp_env"})
    assert (from_env.url, from_env.token) == ("http://127.0.0.1:1", "dsp_env")
    nothing = resolve_target({"DISPATCHED_DATA_DIR": str(tmp_path / "none")})
    assert (nothing.url, nothing.token) == ("http://localhost:4000", None)
    empty = resolve_target({"DISPATCHED_DATA_DIR": str(tmp_path), "DISPATCHED_URL": "", "DISPATCHED_TOKEN": ""})
    assert (empty.url, empty.token) == ("http://127.0.0.1:4100", "dsp_file")  # set but empty: unset


def test_target_from_a_given_environment_ignores_the_process_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPATCHED_URL", "http://shell.example:1")
    monkeypatch.setenv("DISPATCHED_TOKEN", "dsp_shell")
    monkeypatch.setenv("DISPATCHED_DATA_DIR", str(tmp_path))
    (tmp_path / "token").write_text("dsp_file\n")
    assert resolve_target().url == "http://shell.example:1"  # the process environment, through Settings
    given = resolve_target({"DISPATCHED_DATA_DIR": str(tmp_path / "none")})
    assert (given.url, given.token) == ("http://localhost:4000", None)


def test_a_bad_environment_value_is_a_one_line_usage_error() -> None:
    with pytest.raises(CliError) as bad:
        resolve_target({"DISPATCHED_PORT": "four thousand"})
    assert bad.value.exit_code == 2
    assert str(bad.value).startswith("error: bad_environment: DISPATCHED_PORT: Input should be a valid integer")


@pytest.mark.parametrize(("command", "variable", "value"), [
    ("gateway", "DISPATCHED_PORT", "four thousand"),
    ("worker", "DISPATCHED_METRICS_PORT", "many"),
    ("gateway", "OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://127.0.0.1:4318"),
])
def test_the_processes_refuse_a_bad_variable_in_one_line(command: str, variable: str, value: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPATCHED_", "TEMPORAL_", "OTEL_"))}
    env.update({variable: value, "DISPATCHED_DATA_DIR": str(tmp_path)})
    done = subprocess.run([DISPATCHED, command], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"error: bad_environment: {variable}: "), done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_error_line_is_one_line_whatever_the_server_sent() -> None:
    error = CliError("run_not_found", "no run\n  named run_x")
    assert str(error) == "error: run_not_found: no run named run_x"

"""Where Temporal's Web UI is, for the run page's link: ``DISPATCHED_TEMPORAL_UI_URL``,
which ``dispatched dev`` sets for its gateway to the Web UI it starts."""

from __future__ import annotations

from pathlib import Path

from cli.dev.stack import DevOptions, child_env
from runtime.settings import Settings


def test_the_web_ui_address_is_read_from_the_environment_and_empty_means_none() -> None:
    assert Settings.from_environ({"DISPATCHED_TEMPORAL_UI_URL": "https://temporal.example/ui"}).temporal_ui_url == (
        "https://temporal.example/ui"
    )
    assert Settings.from_environ({"DISPATCHED_TEMPORAL_UI_URL": " "}).temporal_ui_url is None
    assert Settings.from_environ({}).temporal_ui_url is None


def test_dispatched_dev_tells_its_gateway_where_its_web_ui_is(tmp_path: Path) -> None:
    env = child_env(DevOptions(ui_port=8299, host="127.0.0.1", data_dir=tmp_path), "dsp_token")
    assert env["DISPATCHED_TEMPORAL_UI_URL"] == "http://127.0.0.1:8299"
    assert Settings.from_environ(env).temporal_ui_url == "http://127.0.0.1:8299"

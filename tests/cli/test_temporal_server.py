"""Finding the `temporal` binary and the dev server command line ``dispatched dev`` runs."""

from __future__ import annotations

import sys
from pathlib import Path

from cli.dev.temporal_server import DevServerConfig, dev_server_command, port_is_free, temporal_binary


def test_binary_is_the_one_next_to_the_interpreter() -> None:
    assert temporal_binary() == str(Path(sys.executable).parent / "temporal")


def test_command_keeps_state_in_the_data_dir_and_registers_search_attributes(tmp_path: Path) -> None:
    config = DevServerConfig(db_file=tmp_path / "temporal.db", port=7301, ui_port=8301)
    command = dev_server_command("temporal", config)
    assert command[:3] == ["temporal", "server", "start-dev"]
    pairs = list(zip(command[3::2], command[4::2], strict=False))
    assert ("--db-filename", str(tmp_path / "temporal.db")) in pairs
    assert ("--port", "7301") in pairs and ("--ui-port", "8301") in pairs and ("--ip", "127.0.0.1") in pairs
    assert ("--search-attribute", "DispatchedWorkflow=Keyword") in pairs
    assert ("--search-attribute", "DispatchedRevision=Int") in pairs
    assert config.ui_url == "http://127.0.0.1:8301"


def test_port_probe_tells_listening_from_free() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
    assert port_is_free("127.0.0.1", port)

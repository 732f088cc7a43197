"""Child processes that die with their parent.

``dispatched dev`` is one process tree: if it is killed outright (SIGKILL, a closed
terminal), its Temporal server, worker and gateway must not live on holding ports and
the SQLite files. On Linux each child asks the kernel for SIGTERM when its parent dies
(``PR_SET_PDEATHSIG``); elsewhere the normal Ctrl-C / SIGTERM path still stops them.
"""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
from typing import Any

_PR_SET_PDEATHSIG = 1
# Loaded once here, in the parent: the child between fork and exec should only make the
# one system call, not load libraries (which may take locks another thread held at fork).
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def child_popen_kwargs() -> dict[str, Any]:
    """Extra ``Popen`` arguments: own process group (Ctrl-C reaches only us), parent-death signal."""
    kwargs: dict[str, Any] = {"start_new_session": True}
    if sys.platform.startswith("linux"):
        kwargs["preexec_fn"] = _die_with_parent
    return kwargs


def stop(process: subprocess.Popen[Any], *, grace: float = 10.0) -> int | None:
    """SIGTERM, wait up to ``grace`` seconds, then SIGKILL; returns the exit status."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode

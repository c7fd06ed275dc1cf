"""The engine process's entry point, and the kernel's tie of a process to its parent. The app
imports this (with the protocol) and nothing else of the engine: torch loads in the engine
process only."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from multiprocessing.connection import Connection


def engine_main(
    connection: Connection, data: str | None, checkpoint: str | None, log: str, autosave: str
) -> None:
    """The engine process's entry point. Its output goes to `log` (the terminal is the app's),
    and it imports torch there, never here in the app. While training it saves the run to
    `autosave` now and then: if it dies, the app can start another from there."""
    with open(log, "ab", buffering=0) as output:
        os.dup2(output.fileno(), 1)
        os.dup2(output.fileno(), 2)
    end_with_parent()
    from engine.server import serve

    serve(connection, data, checkpoint, autosave)


PR_SET_PDEATHSIG = 1  # prctl(2)


def end_with_parent(parent: int | None = None) -> None:
    """Have the kernel send this process SIGTERM when its parent ends, however it ends (a
    SIGKILL, the OOM killer): an engine or a browser's app never trains on alone. Linux only;
    elsewhere the pipe's end still ends it, once it next reads."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if parent is not None and os.getppid() != parent:  # it ended before the call
        os.kill(os.getpid(), signal.SIGTERM)

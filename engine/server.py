"""The engine process's body (engine/process.py starts it): it opens the session and runs the
loop (engine/loop.py) until told to stop.

A process, not a thread: a training step is about half Python, and in a thread it would share
the GIL with the UI's drawing.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from multiprocessing.connection import Connection

from engine import freeze_survivors
from engine.loop import EngineLoop, shown
from engine.memory import allocation_failure, failure_text
from engine.protocol import Note
from engine.session import Session

# When the cores are short, a key press goes first: the UI needs little, but needs it now.
ENGINE_NICENESS = 10


def serve(
    connection: Connection, data: str | None, checkpoint: str | None, autosave: str | None = None
) -> None:
    """The engine process's body: open the session, then serve requests until told to stop."""
    cancel = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: cancel.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ctrl+c belongs to the app, which stops us
    os.nice(ENGINE_NICENESS)
    import torch

    torch.set_num_threads(1)  # faster for these small models; the UI keeps the other core
    try:
        try:
            session = Session.open(data, checkpoint)
        except (ValueError, MemoryError, RuntimeError) as error:
            if not isinstance(error, ValueError) and allocation_failure(error) is None:
                raise
            # A bad dataset or checkpoint, or one too large for the memory: say so, go on
            connection.send(
                shown(Note(f"{failure_text(error)}. Opened the embedded names instead.", "error"))
            )
            session = Session.open()
        if session.warning:
            connection.send(shown(Note(session.warning, "warning")))
        freeze_survivors()
        try:
            EngineLoop(session, connection, cancel, autosave).run()
        finally:
            session.record_runs()  # the runs table keeps this session's runs
    except (EOFError, BrokenPipeError):  # the app has gone
        pass
    finally:
        connection.close()
        sys.stderr.flush()

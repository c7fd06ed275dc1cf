"""A program in a pseudo-terminal, as a user's terminal runs it, for the rows that time what
reaches the screen."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Terminal:
    """A program in a pseudo-terminal, as a user's terminal runs it. A thread reads all it
    writes (ANSI escapes removed), so the time a text reaches the terminal is measured as it
    happens, with no polling."""

    ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()=>].?")

    def __init__(self, width: int = 100, height: int = 30, tmpdir: Path | None = None) -> None:
        self.width, self.height = width, height
        # The program's temporary folder: its own, removed at stop(), unless one is given. A
        # program ended by stop()'s SIGTERM leaves its run there for a later start to keep.
        self._own_tmpdir = tmpdir is None
        self.tmpdir = tmpdir or Path(tempfile.mkdtemp(prefix="terminal-"))
        self.output = bytearray()  # appended to in place: copying it would slow the timing
        self.raw = bytearray()  # the same with its escape sequences
        self.arrived = threading.Condition()

    def start(self, argv: list[str] | None = None, cwd: Path = ROOT) -> float:
        """Start the app (or argv) in `cwd` and return the time just before the process
        started."""
        argv = argv or [str(Path(sys.executable).with_name("makemore-tui"))]
        started = time.perf_counter()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the program, as over SSH
            os.chdir(cwd)
            os.environ.update(
                TERM="xterm-256color",
                COLUMNS=str(self.width),
                LINES=str(self.height),
                TMPDIR=str(self.tmpdir),
            )
            os.execv(argv[0], argv)
        size = struct.pack("HHHH", self.height, self.width, 0, 0)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, size)
        self._wake, self._woken = os.pipe()  # stop() ends the reader through it
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return started

    def _read(self) -> None:
        while True:
            if self._wake in select.select([self.fd, self._wake], [], [])[0]:
                return
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            with self.arrived:
                self.raw += data
                self.output += self.ANSI.sub(b"", data)
                self.arrived.notify_all()

    def mark(self) -> int:
        """Where the output is now: wait_for looks only at what comes after a mark."""
        with self.arrived:
            return len(self.output)

    def wait_for(self, text: str, since: int = 0, timeout: float = 60) -> float:
        """The time `text` reached the terminal (after `since`)."""
        needle = text.encode()
        deadline = time.perf_counter() + timeout
        with self.arrived:
            while self.output.find(needle, since) < 0:
                if not self.arrived.wait(deadline - time.perf_counter()):
                    last = bytes(self.output[-400:]).decode(errors="replace")
                    raise TimeoutError(f"the program never wrote {text!r}; it last wrote {last!r}")
            return time.perf_counter()

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def stop(self) -> None:
        """End the program and the reader, then close the terminal: closed while the reader
        could still read it, its number could go to the next terminal, and the reader would
        take that one's output (a start-up row once waited a minute for a word it took)."""
        try:
            os.kill(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.write(self._woken, b"x")
        self._reader.join()
        for fd in (self.fd, self._wake, self._woken):
            os.close(fd)
        if self._own_tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

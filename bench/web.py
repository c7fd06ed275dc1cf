"""A makemore-tui server and websocket clients that behave as its browser page does: for the
serving tests and the sessions row of the bench."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp

from bench.terminal import Terminal

MAKEMORE_TUI = str(Path(sys.executable).with_name("makemore-tui"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every living process below pid, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout} s: {what}")
        time.sleep(0.05)


class Server:
    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [MAKEMORE_TUI, "serve", "--port", str(self.port), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        wait_until(self.listening, 30, "the server listens")

    def listening(self) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def sessions(self) -> set[int]:
        return descendants(self.process.pid)

    def stop(self) -> str:
        self.process.send_signal(signal.SIGINT)
        output, _ = self.process.communicate(timeout=30)
        return output.decode(errors="replace")


class Browser:
    """A websocket client as textual-serve's page is: it reads frames and sends keys."""

    def __init__(self, server: Server, width: int = 100, height: int = 30) -> None:
        self.server, self.width, self.height = server, width, height
        self.screen = bytearray()  # all the app drew, escape sequences removed

    async def open(self) -> Browser:
        self.http = aiohttp.ClientSession()
        query = f"width={self.width}&height={self.height}"
        self.socket = await self.http.ws_connect(f"{self.server.url}/ws?{query}")
        await self.socket.send_str(
            json.dumps(["resize", {"width": self.width, "height": self.height}])
        )
        return self

    async def focus(self) -> None:
        """As the page does when it is clicked: Textual keeps the footer hidden until then."""
        await self.socket.send_str(json.dumps(["focus"]))

    async def wait_for(self, text: str, since: int = 0, timeout: float = 60) -> int:
        """Read frames until `text` is drawn after `since`; returns where it ends."""
        deadline = time.monotonic() + timeout
        while (found := self.screen.find(text.encode(), since)) < 0:
            message = await asyncio.wait_for(self.socket.receive(), deadline - time.monotonic())
            if message.type != aiohttp.WSMsgType.BINARY:
                raise AssertionError(f"the socket ended ({message.type}) before {text!r}")
            self.screen += Terminal.ANSI.sub(b"", message.data)
        return found + len(text)

    async def press(self, keys: str) -> None:
        await self.socket.send_str(json.dumps(["stdin", keys]))

    async def close(self) -> None:
        await self.socket.close()
        await self.http.close()

    async def drop(self) -> None:
        """The connection cut, no closing handshake: a laptop lid shut, a tab killed."""
        self.socket._response.connection.transport.abort()
        await self.http.close()


STEP = re.compile(rb"step ([0-9,]+)")


def last_step(browser: Browser) -> int:
    """The step the status line showed last."""
    shown = STEP.findall(browser.screen)
    return int(shown[-1].replace(b",", b"")) if shown else 0


async def _training(server: Server) -> Browser:
    browser = await Browser(server).open()
    await browser.wait_for("paused")
    await browser.focus()
    await browser.press("m")  # bigram → neural bigram → the MLP
    at = await browser.wait_for("bigram-neural")
    await browser.press("m")
    await browser.wait_for(" mlp ", since=at)
    await browser.press(" ")
    return browser


async def _watch(browser: Browser, until: float) -> None:
    with contextlib.suppress(TimeoutError):
        while (left := until - time.monotonic()) > 0:
            message = await asyncio.wait_for(browser.socket.receive(), left)
            if message.type == aiohttp.WSMsgType.BINARY:
                browser.screen += message.data


async def steps_per_second_each(sessions: int, seconds: float) -> list[float]:
    """The default MLP training in `sessions` browsers at once: each one's steps/s, after a
    few seconds' warm-up."""
    server = Server("--max-sessions", str(sessions))
    try:
        browsers = await asyncio.gather(*(_training(server) for _ in range(sessions)))
        await asyncio.gather(*(_watch(b, time.monotonic() + 3) for b in browsers))
        before, start = [last_step(b) for b in browsers], time.monotonic()
        await asyncio.gather(*(_watch(b, start + seconds) for b in browsers))
        elapsed = time.monotonic() - start
        rates = [(last_step(b) - s) / elapsed for b, s in zip(browsers, before, strict=True)]
        for browser in browsers:
            await browser.close()
        return rates
    finally:
        server.stop()

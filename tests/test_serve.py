"""`makemore-tui serve`: each browser gets an app and an engine, which end when the browser goes,
however and whenever it goes; beyond the session limit a browser gets a page that says so."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from bench.web import MAKEMORE_TUI, Browser, Server, descendants, wait_until
from tui.serve import QUIT_SECONDS, clamp_size

pytestmark = pytest.mark.slow
# The app quits, or its process group is killed, within this after its browser has gone.
ENDED_WITHIN = 3 * QUIT_SECONDS + 5


@pytest.fixture
def server():
    servers: list[Server] = []
    yield lambda *args: servers.append(Server(*args)) or servers[-1]
    for running in servers:
        left = running.sessions()
        running.stop()
        assert not left, "sessions outlived their browsers"


def test_a_browser_gets_its_own_app_and_both_processes_end_when_it_goes(server):
    running = server()
    page = asyncio.run(_page(running.url))
    assert f"ws://127.0.0.1:{running.port}/ws" in page
    assert 'addEventListener("beforeunload"' in page  # closing the tab asks first

    async def visit() -> set[int]:
        browser = await Browser(running).open()
        await browser.wait_for("paused")  # the engine has started and reported
        await browser.focus()
        at = await browser.wait_for("More keys")
        await browser.press("?")
        await browser.wait_for("Escape closes this help", since=at)
        processes = running.sessions()
        await browser.close()
        return processes

    processes = asyncio.run(visit())
    assert len(processes) >= 2  # the app and its engine
    wait_until(lambda: not running.sessions() & processes, ENDED_WITHIN, "both ended")


@pytest.mark.parametrize(
    "moment", ["at once", "first frame", "engine up", "training", "dropped while training"]
)
def test_a_browser_that_goes_at_any_moment_leaves_no_process(server, moment):
    running = server()

    async def visit() -> None:
        browser = await Browser(running).open()
        if moment != "at once":
            await browser.wait_for("Loss")
        if moment in ("engine up", "training", "dropped while training"):
            await browser.wait_for("paused")
        if "training" in moment:
            await browser.press(" ")
            await browser.wait_for("running")
        await (browser.drop() if moment.startswith("dropped") else browser.close())

    asyncio.run(visit())
    wait_until(lambda: not running.sessions(), ENDED_WITHIN, "every process ended")


def test_a_huge_window_is_drawn_at_the_largest_size_and_still_ends(server):
    running = server()

    async def visit() -> None:
        browser = await Browser(running, width=5000, height=3000).open()
        await browser.wait_for("Loss")
        await browser.drop()

    asyncio.run(visit())
    wait_until(lambda: not running.sessions(), ENDED_WITHIN, "every process ended")
    assert clamp_size(5000, 3000) == (400, 150) and clamp_size(0, -1) == (1, 1)


def test_beyond_the_limit_a_browser_is_told_and_the_running_session_goes_on(server):
    running = server("--max-sessions", "1")

    async def visit() -> None:
        first = await Browser(running).open()
        at = await first.wait_for("paused")
        async with aiohttp.ClientSession() as http:
            async with http.get(running.url) as response:
                assert response.status == 503
                assert "The only session of this server is in use" in await response.text()
            async with http.get(f"{running.url}/ws") as response:
                assert response.status == 503
        await first.press(" ")
        await first.wait_for("running", since=at)  # it goes on
        await first.close()

    asyncio.run(visit())
    wait_until(lambda: not running.sessions(), ENDED_WITHIN, "the first session ended")
    wait_until(lambda: _status(running.url) == 200, 10, "a place is free again")
    assert "At most 1 browser at a time." in running.stop()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


async def _page(url: str) -> str:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        return await response.text()


def test_an_app_blocked_on_an_output_nobody_reads_still_ends_on_sigterm(tmp_path):
    """The cause of the browser hang: textual-serve stopped reading a gone browser's app, which
    then blocked in a write, where the loop's signal handlers never run."""
    environment = dict(
        os.environ,
        TEXTUAL_DRIVER="textual.drivers.web_driver:WebDriver",
        COLUMNS="400",
        ROWS="150",
    )
    app = subprocess.Popen(
        [MAKEMORE_TUI],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=environment,
        start_new_session=True,
    )
    try:
        assert app.stdout.readline() == b"__GANGLION__\n"  # then nobody reads: the pipe fills
        wchan = Path(f"/proc/{app.pid}/wchan")
        wait_until(lambda: "pipe_write" in wchan.read_text(), 30, "the app blocks writing")
        children = descendants(app.pid)
        app.send_signal(signal.SIGTERM)
        assert app.wait(timeout=30) == 128 + signal.SIGTERM
        wait_until(lambda: not _alive(children), 10, "its children ended")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(app.pid, signal.SIGKILL)


def _alive(pids: set[int]) -> bool:
    """Any of pids running (a zombie has ended)."""
    for pid in pids:
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                return True
    return False


def test_a_foreign_origin_or_host_gets_no_session(server):
    """Any web page could open a websocket to 127.0.0.1 and drive the app's file dialogs; a
    page whose name was rebound to 127.0.0.1 could read the index too."""
    running = server()
    port = running.port

    async def visit() -> None:
        async with aiohttp.ClientSession() as http:
            for headers in (
                {"Origin": "http://evil.example"},
                {"Origin": f"http://evil.example:{port}"},
                {"Host": f"evil.example:{port}"},
                {"Origin": "null"},
            ):
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await http.ws_connect(f"{running.url}/ws", headers=headers)
                assert refused.value.status == 403
            async with http.get(running.url, headers={"Host": f"evil.example:{port}"}) as page:
                assert page.status == 403
            async with http.get(running.url, headers={"Host": f"localhost:{port}"}) as page:
                assert f"ws://localhost:{port}/ws" in await page.text()
            # The server's own page is let in
            own = {"Origin": f"http://127.0.0.1:{port}"}
            socket = await http.ws_connect(f"{running.url}/ws", headers=own)
            await socket.close()

    asyncio.run(visit())
    wait_until(lambda: not running.sessions(), ENDED_WITHIN, "the one session ended")


def test_a_server_killed_outright_leaves_no_session(server):
    """SIGKILL runs no clean-up: every app and engine went on training."""
    running = server()

    async def visit() -> set[int]:
        browser = await Browser(running).open()
        await browser.wait_for("paused")
        await browser.focus()
        await browser.press(" ")
        await browser.wait_for("running")
        return running.sessions()

    processes = asyncio.run(visit())
    assert len(processes) >= 2
    running.process.kill()
    running.process.wait()
    wait_until(lambda: not any(_alive_pid(p) for p in processes), ENDED_WITHIN, "all ended")


def _alive_pid(pid: int) -> bool:
    return _alive({pid})


def test_a_browser_that_stops_reading_gives_its_place_back(server):
    """Its relay waited for ever in a send, and stop() on the relay: the class was locked out."""
    running = server("--max-sessions", "1")

    async def visit() -> None:
        browser = await Browser(running).open()
        await browser.wait_for("paused")
        await browser.focus()
        await browser.press(" ")
        await browser.wait_for("running")
        # From here it reads nothing and answers no ping, its connection open
        deadline = time.monotonic() + 120
        while await asyncio.to_thread(_status, running.url) != 200:
            assert time.monotonic() < deadline, "its place was never given back"
            await asyncio.sleep(1)  # the loop runs on: the browser's socket stays open
        await browser.http.close()  # the server has closed its connection

    asyncio.run(visit())


def test_sigterm_ends_every_session_at_once_and_idle_connections_are_closed(server):
    import socket

    running = server()

    async def visit() -> set[int]:
        browsers = [await Browser(running).open() for _ in range(2)]
        for browser in browsers:
            await browser.wait_for("paused")
        return running.sessions()

    processes = asyncio.run(visit())
    half_open = []
    for _ in range(20):  # requests whose headers never end
        connection = socket.create_connection(("127.0.0.1", running.port))
        connection.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{running.port}\r\n".encode())
        half_open.append(connection)
    for connection in half_open:
        connection.settimeout(60)
        assert connection.recv(100) == b""  # closed by the server
        connection.close()
    running.process.send_signal(signal.SIGTERM)
    running.process.wait(timeout=30)
    wait_until(lambda: not any(_alive_pid(p) for p in processes), 10, "every session ended")


def test_an_address_already_taken_is_one_error_line_and_nothing_announced():
    """The banner comes once the server listens: before, a taken port printed its address
    as if serving, then the error."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [MAKEMORE_TUI, "serve", "--port", str(port)], capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"error: 127.0.0.1:{port}: ") and "in use" in done.stderr

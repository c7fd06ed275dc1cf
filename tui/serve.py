"""`makemore-tui serve`: the app in a browser, one app and engine per browser, on textual-serve.

textual-serve starts the app as a subprocess per websocket and relays its output. Two of its
habits are changed here:
- when the browser goes first, its relay stopped reading the app's output; the app then blocked
  in a write to a full pipe, ignoring the quit request and SIGTERM, and never ended. The relay
  here reads to the end whatever happens to the browser, and a session that has not ended
  QUIT_SECONDS after its browser went is killed, engine and all (its own process group);
- it had no limit: every browser started two more processes. Beyond `max_sessions`, a browser
  gets a page that says the class is full, and the sessions running keep their speed;
- it took a request for any Host from any Origin: a web page in any tab could open a session
  and drive the app's dialogs (read and write files). Requests are refused unless their Host is
  this server's (`request_refusal`), and a websocket's Origin too.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import shlex
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from engine.process import end_with_parent
from engine.words import counted

QUIT_SECONDS = 3.0  # after the browser goes: the app's own quit, then SIGTERM, then SIGKILL
SEND_SECONDS = 10.0  # a frame not taken by a browser in this long: it no longer reads
IDLE_SECONDS = 15.0  # a connection that sends no whole request in this long is closed
SHUTDOWN_SECONDS = 5.0  # after SIGTERM or Ctrl+C, for the sessions to end
# A browser reports its window in cells; beyond this the app would spend seconds per frame.
MAX_WIDTH, MAX_HEIGHT = 400, 150

log = logging.getLogger("textual-serve")

FULL_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>makemore-tui: full</title></head>
<body style="font-family: monospace; max-width: 40em; margin: 4em auto">
<h1>makemore-tui is full</h1>
<p>{in_use}: each runs a model of its own, and more would slow them all down.</p>
<p>Reload this page when someone closes their tab.</p>
</body></html>
"""


# Closing or reloading the tab ends the session and its run, which a browser's app never
# keeps: the browser asks first, while the session lives (not once it has ended).
ASK_BEFORE_LEAVING = """<script>
  window.addEventListener("beforeunload", (event) => {
    const page = document.body.classList;
    if (page.contains("-first-byte") && !page.contains("-closed")) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
</script>
"""


LOOPBACK_NAMES = ("localhost",)  # a name no web page can take (DNS rebinding needs its own)


def request_refusal(
    host: str | None, origin: str | None, bound: str, port: int, names: Iterable[str] = ()
) -> str | None:
    """Why a request must be refused, or None. Its Host must name this server: its port, and
    an address it listens on (any IP address when it listens on all of them), `localhost`, or
    a name the admin allowed (--allow-host); never another name, which is how a page of
    someone else's reaches it by DNS rebinding. An Origin, which browsers send with every
    websocket, must be such an address too: a page of this server's, not any page in a tab."""
    if not host:
        return "no Host header"
    if not _our_address(host, bound, port, names):
        return f"Host {host!r} is not this server"
    if origin is not None:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not _our_address(
            parts.netloc, bound, port, names, default_port=443 if parts.scheme == "https" else 80
        ):
            return f"Origin {origin!r} is not this server"
    return None


def _our_address(
    netloc: str, bound: str, port: int, names: Iterable[str], default_port: int = 80
) -> bool:
    try:
        parts = urlsplit(f"//{netloc}")
        name, given = parts.hostname, parts.port or default_port
    except ValueError:  # a port that is not a number
        return False
    if name is None or given != port:
        return False
    if name in LOOPBACK_NAMES or name in {n.lower() for n in names} or name == bound.lower():
        return True
    try:
        address = ipaddress.ip_address(name)
        listening = ipaddress.ip_address(bound)
    except ValueError:  # a name: only those allowed above
        return False
    if listening.is_unspecified:  # 0.0.0.0 or ::, every address of this machine
        return True
    return address == listening or (address.is_loopback and listening.is_loopback)


def clamp_size(width: int, height: int) -> tuple[int, int]:
    return max(1, min(width, MAX_WIDTH)), max(1, min(height, MAX_HEIGHT))


class Session(AppService):
    """One browser's app: its process group is killed if it outlives the browser."""

    browser_gone = False

    async def _open_app_process(
        self, width: int = 80, height: int = 24
    ) -> asyncio.subprocess.Process:
        # exec, not a shell, and a process group of its own, so that the engine is killed too.
        self._process = process = await asyncio.create_subprocess_exec(
            *shlex.split(self.command),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width=width, height=height),
            start_new_session=True,
            # A server killed by SIGKILL runs no stop(): the app ends with it all the same.
            preexec_fn=partial(end_with_parent, os.getpid()),
        )
        self._stdin = process.stdin
        return process

    async def start(self, width: int, height: int) -> None:
        await super().start(*clamp_size(width, height))

    async def set_terminal_size(self, width: int, height: int) -> None:
        await super().set_terminal_size(*clamp_size(width, height))

    async def on_data(self, payload: bytes) -> None:
        # After the browser has gone, the output is read and dropped: a full pipe blocks the app.
        # A browser that no longer reads is gone too: its send would wait for ever, and with it
        # stop(), and the session's place.
        if self.browser_gone:
            return
        try:
            await asyncio.wait_for(self.remote_write_bytes(payload), SEND_SECONDS)
        except (ConnectionError, RuntimeError, TimeoutError):
            self.browser_gone = True

    async def stop(self) -> None:
        """Ask the app to quit; kill its process group if it has not ended in QUIT_SECONDS."""
        self.browser_gone = True
        process, task = self._process, self._task
        if process is None or task is None:
            return
        self._task = None
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.send_meta({"type": "quit"}), 0.5)
        for signum in (None, signal.SIGTERM, signal.SIGKILL):
            if signum is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signum)
            try:
                await asyncio.wait_for(process.wait(), QUIT_SECONDS)
                break
            except TimeoutError:
                log.warning("session %s did not end: %s", process.pid, signum or "sending SIGTERM")
        # The engine is in the group too: it ends with its app (recording the runs table on
        # its way out), or with the group's SIGKILL.
        for _ in range(int(QUIT_SECONDS / 0.1)):
            if not _group_alive(process.pid):
                break
            await asyncio.sleep(0.1)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(task, QUIT_SECONDS)  # the relay, reading to the end


class ClassServer(Server):
    """textual-serve's server with a limit on sessions, sessions that always end, and requests
    only from pages of its own."""

    def __init__(
        self, command: str, max_sessions: int, allowed_hosts: Iterable[str] = (), **kwargs: Any
    ) -> None:
        super().__init__(command, **kwargs)
        self.max_sessions = max_sessions
        self.allowed_hosts = tuple(allowed_hosts)
        self.sessions: set[Session] = set()

    @property
    def full(self) -> bool:
        return len(self.sessions) >= self.max_sessions

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._only_our_own)
        return app

    @web.middleware
    async def _only_our_own(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        refusal = request_refusal(
            request.headers.get("Host"),
            request.headers.get("Origin"),
            self.host,
            self.port,
            self.allowed_hosts,
        )
        if refusal is not None:
            log.warning("refused %s %s: %s", request.method, request.path, refusal)
            return web.Response(status=403, text=f"Forbidden: {refusal}.\n")
        return await handler(request)

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        if self.full:
            return self.full_page()
        # The page's addresses are the ones this browser used (a Host checked above): with
        # --host 0.0.0.0 the server's own address would be meaningless to the class.
        origin = str(request.url.origin())
        socket = "wss:" if origin.startswith("https:") else "ws:"
        static = request.app.router["static"].url_for(filename="/")
        context = {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": socket + origin.split(":", 1)[1] + "/ws",
            "config": {"static": {"url": f"{origin}{static}".rstrip("/") + "/"}},
            "application": {"name": self.title},
        }
        page = aiohttp_jinja2.render_string("app_index.html", request, context)
        page = page.replace("</body>", f"{ASK_BEFORE_LEAVING}</body>", 1)
        return web.Response(text=page, content_type="text/html")

    def full_page(self) -> web.Response:
        return web.Response(
            status=503,
            text=FULL_PAGE.format(in_use=sessions_in_use(self.max_sessions)),
            content_type="text/html",
            headers={"Retry-After": "30"},
        )

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        if self.full:
            return self.full_page()
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        await websocket.prepare(request)
        session = Session(
            self.command,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
            debug=self.debug,
        )
        self.sessions.add(session)
        try:
            await session.start(width, height)
            await self._process_messages(websocket, session)
        except (asyncio.CancelledError, ConnectionError):
            pass
        finally:
            try:
                await session.stop()
            finally:
                self.sessions.discard(session)
                with contextlib.suppress(Exception):
                    await websocket.close()
        return websocket

    async def on_shutdown(self, app: web.Application) -> None:
        """Every session ends at once, not one after the other."""
        await asyncio.gather(*(session.stop() for session in list(self.sessions)))

    def serve(self, debug: bool = False) -> None:
        """textual-serve's, with limits of its own on idle connections and on shutdown."""
        self.debug = debug
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.request_exit)
        web.run_app(
            self._make_app(),
            host=self.host,
            port=self.port,
            handle_signals=False,
            loop=loop,
            print=lambda *args: self.announce(),  # called once every site listens
            shutdown_timeout=SHUTDOWN_SECONDS,
            keepalive_timeout=IDLE_SECONDS,
        )

    async def on_startup(self, app: web.Application) -> None:
        """Nothing said yet: the address may still be taken (announce says it once bound)."""

    def announce(self) -> None:
        self.console.print(f"makemore-tui on {self.public_url} (Ctrl+C ends every session)")
        self.console.print(f"At most {counted(self.max_sessions, 'browser')} at a time.")


def sessions_in_use(limit: int) -> str:
    if limit == 1:
        return "The only session of this server is in use"
    return f"All {limit:,} sessions of this server are in use"


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def app_command(app_args: list[str]) -> str:
    """The command each browser's app runs: this interpreter, so the same install."""
    return shlex.join([sys.executable, "-m", "tui.cli", *app_args])


def serve(
    app_args: list[str], host: str, port: int, max_sessions: int, allowed_hosts: Iterable[str]
) -> None:
    command = app_command(app_args)
    server = ClassServer(
        command, max_sessions, allowed_hosts, host=host, port=port, title="makemore-tui"
    )
    server.serve()

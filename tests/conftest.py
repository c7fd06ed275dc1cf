from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest
import textual._wait
import torch

SEED_NAMES = Path(__file__).resolve().parents[2] / "shared" / "data" / "names.txt"

# Textual's pilot calls the app idle after a quiet 20 ms, and waits so after every key and
# pause; the tests wait on conditions of their own (tui_helpers), so a quiet 2 ms will do.
textual._wait.SLEEP_GRANULARITY = 0.002
textual._wait.SLEEP_IDLE = 0.0001

# One torch thread, as the app trains: faster for small models on two cores, and the same
# numbers on every machine.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def names_path() -> Path:
    if not SEED_NAMES.is_file():
        pytest.fail(f"the seed dataset is missing: {SEED_NAMES}")
    return SEED_NAMES


@pytest.fixture(scope="session")
def names(names_path):
    from engine.dataset import load_dataset

    return load_dataset(names_path)


@pytest.fixture(scope="session")
def embedded():
    """The project's own dataset: for tests where no figure of makemore's names.txt is the point."""
    from engine.sources import open_dataset

    return open_dataset()


@pytest.fixture(scope="session")
def few_names(embedded):
    """Every eighth of the embedded names (about 2,000), split 80/10/10 as any list: for tests
    where the list's size is not the point (a family's contract), quicker to count and measure."""
    from engine.dataset import Dataset

    return Dataset.from_items(list(embedded.items[::8]), name="every eighth name")


@pytest.fixture
def small():
    """A small dataset that trains in milliseconds."""
    from engine.dataset import Dataset

    words = [
        "emma",
        "olivia",
        "ava",
        "isabella",
        "sophia",
        "mia",
        "amelia",
        "harper",
        "evelyn",
        "abigail",
        "emily",
        "ella",
        "elizabeth",
        "camila",
        "luna",
        "sofia",
        "avery",
        "mila",
        "aria",
        "scarlett",
    ]
    return Dataset.from_items(words, name="small")


@pytest.fixture(autouse=True)
def runs_home(tmp_path_factory, monkeypatch):
    """The runs table's file, the keymap and the names.txt cache, in directories of each
    test's own, never the user's (a cached names.txt changes where the lesson starts)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("MAKEMORE_TUI_HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    # A terminal of millions of colours, whatever runs the tests: the app draws some things
    # otherwise in 16 colours (its snapshot test says so).
    monkeypatch.setenv("COLORTERM", "truecolor")
    return home


@pytest.fixture
def server(tmp_path):
    """A local HTTP server on 127.0.0.1 over tmp_path; never the internet."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.log_message = lambda *args: None
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


# The CLI, writing its own peak memory (VmHWM, KiB) at exit to the file named first: a child's
# ru_maxrss counts its parent's at the fork, and a test worker may be larger than the bound.
PEAK_AT_EXIT = (
    "import atexit, pathlib, runpy, sys; out = pathlib.Path(sys.argv.pop(1)); "
    "atexit.register(lambda: out.write_text(next("
    "l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))); "
    "runpy.run_module('tui.cli', run_name='__main__')"
)

"""Reading and writing files safely: only regular files are read, and nothing is lost when one
is written. A write goes to a temporary file of our own naming beside the target, which then
replaces it in one step: a crash leaves the old file whole, and a symbolic link at the target
is replaced, never written through."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from engine.errors import AskFirst

# Files are created with the permissions the user's umask allows, as the shell would.
_UMASK = os.umask(0)
os.umask(_UMASK)


class FileRefused(ValueError):
    """A path this program will not read or write; the message is one line naming it."""


class Exists(FileRefused, AskFirst):
    """The target is a file of ours that exists: replaced only when the user says so."""


def data_dir() -> Path | None:
    """Where the app keeps its runs (the table, and the runs of apps that ended without
    quitting): $MAKEMORE_TUI_HOME, or the XDG data directory; None with neither and no home
    directory."""
    if os.environ.get("MAKEMORE_TUI_HOME"):
        return Path(os.environ["MAKEMORE_TUI_HOME"])
    if os.environ.get("XDG_DATA_HOME"):
        return Path(os.environ["XDG_DATA_HOME"]) / "makemore-tui"
    try:
        return Path.home() / ".local" / "share" / "makemore-tui"
    except RuntimeError:  # HOME unset, and a user the system does not know
        return None


def expand(path: str | Path) -> Path:
    """A path as typed: `~` is the home directory, as in a shell (a FileRefused if there is
    no such user, or no home: HOME unset for a user the system does not know)."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        user = str(path)[1:].split("/")[0]
        whose = f"no user {user!r}" if user else "no home directory (HOME is not set)"
        raise FileRefused(f"{path}: {whose} to expand ~ with") from None


def read_regular(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes`. A FIFO or device is refused before
    anything is read from it (it is opened non-blocking), and reading stops past the limit
    whatever the file claims its size is."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise FileRefused(f"{path}: cannot open ({error.strerror or error})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileRefused(f"{path}: not a regular file (a device, FIFO or socket)")
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise FileRefused(f"{path}: larger than {_size(max_bytes)}, the most it may be")
        return b"".join(chunks)
    except OSError as error:
        raise FileRefused(f"{path}: cannot read ({error.strerror or error})") from None
    finally:
        os.close(fd)


def check_target(
    path: str | Path, is_ours: Callable[[Path], bool], what: str, replace: bool, force: bool = False
) -> Path:
    """The path to write `what` to, once it is safe to: a new path in a writable directory, or
    a regular file that is ours (a FileRefused if not; an Exists unless `replace`). With
    `force`, any regular file may be replaced."""
    if str(path).endswith(os.sep):  # a folder, as Tab completes one: Path() drops the slash
        raise FileRefused(f"{path}: a directory; name a file in it")
    target = expand(path)
    if os.path.lexists(target):
        mode = os.lstat(target).st_mode
        if stat.S_ISLNK(mode):
            raise FileRefused(f"{target}: a symbolic link; name the file itself")
        if stat.S_ISDIR(mode):
            raise FileRefused(f"{target}: a directory; name a file in it")
        if not stat.S_ISREG(mode):
            raise FileRefused(f"{target}: not a regular file (a device, FIFO or socket)")
        if not force and not is_ours(target):
            raise FileRefused(f"{target}: exists and is not a {what}; choose another name")
        if not replace and not force:
            raise Exists(f"{target} exists. Replace it?")
    directory = target.parent
    while not directory.exists() and directory != directory.parent:
        directory = directory.parent  # the first one that exists: the rest will be made
    if not directory.is_dir() or not os.access(directory, os.W_OK | os.X_OK):
        raise FileRefused(f"{target}: cannot write in {directory}")
    return target


def write_atomic(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write through `write` to a temporary file that replaces `path` once complete. An
    OSError names `path`, the file asked for, not the temporary one beside it."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path)
        fd, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp"
        )
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes it 0600
        os.replace(temporary, path)
    except BaseException as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise OSError(error.errno, error.strerror or str(error), str(path)) from None
        raise


def remove_stale_temporaries(path: Path) -> None:
    """Temporary files of ours for this path left by a process that was killed mid-write."""
    for temporary in path.parent.glob(f".{path.name}.*.tmp"):
        pid = temporary.name[len(path.name) + 2 :].split(".")[0]
        if pid.isdigit() and not _alive(int(pid)):
            temporary.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _size(count: int) -> str:
    return f"{count / 2**20:g} MiB" if count >= 2**20 else f"{count:,} bytes"

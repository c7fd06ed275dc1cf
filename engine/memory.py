"""How much memory this process can still have, and a failed allocation said in one line."""

from __future__ import annotations

import re
import resource
from pathlib import Path

UNBOUNDED = 2**62
# A cgroup limit at or above this is no limit: cgroup v1 writes "none" as about 2**63.
NO_LIMIT = 2**60


def available_memory(proc: Path = Path("/proc"), cgroups: Path = Path("/sys/fs/cgroup")) -> int:
    """Bytes this process can still allocate: the least of what the system can give without
    swapping (MemAvailable), what its own address-space and data limits leave (ulimit -v, -d)
    and what its cgroup's limit leaves (a container's, a systemd slice's); unbounded if none
    is known."""
    return min(_system_available(proc), _rlimit_headroom(proc), _cgroup_headroom(proc, cgroups))


def _system_available(proc: Path) -> int:
    fields = _fields(proc / "meminfo")
    return fields.get("MemAvailable", UNBOUNDED)


def _rlimit_headroom(proc: Path) -> int:
    """What RLIMIT_AS and RLIMIT_DATA leave beyond what the process already maps."""
    status = _fields(proc / "self" / "status")
    headroom = UNBOUNDED
    for limit, used in ((resource.RLIMIT_AS, "VmSize"), (resource.RLIMIT_DATA, "VmData")):
        soft, _ = resource.getrlimit(limit)
        if soft != resource.RLIM_INFINITY:
            headroom = min(headroom, max(0, soft - status.get(used, 0)))
    return headroom


def _cgroup_headroom(proc: Path, cgroups: Path) -> int:
    """The least that the memory limit of this process's cgroup, or of any cgroup above it,
    leaves beyond the group's use (less the page cache it could drop)."""
    try:
        lines = (proc / "self" / "cgroup").read_text().splitlines()
    except OSError:
        return UNBOUNDED
    headroom = UNBOUNDED
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # v2: one hierarchy
            names = ("memory.max", "memory.current", "inactive_file")
            root = cgroups
        elif "memory" in controllers.split(","):
            names = ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")
            root = cgroups / "memory"
        else:
            continue
        group = root / path.lstrip("/")
        while True:
            headroom = min(headroom, _group_headroom(group, *names))
            if group == root or root not in group.parents:
                break
            group = group.parent
    return headroom


def _group_headroom(group: Path, limit_file: str, usage_file: str, cache_field: str) -> int:
    try:
        limit_text = (group / limit_file).read_text().strip()
        usage = int((group / usage_file).read_text())
    except (OSError, ValueError):
        return UNBOUNDED
    if limit_text == "max" or not limit_text.isdigit() or int(limit_text) >= NO_LIMIT:
        return UNBOUNDED
    cache = _fields(group / "memory.stat", scale=1).get(cache_field, 0)
    return max(0, int(limit_text) - max(0, usage - cache))


def _fields(path: Path, scale: int = 1024) -> dict[str, int]:
    """`name: value` or `name value` lines as bytes (/proc's are in kB: scale 1024)."""
    values = {}
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return values
    for line in lines:
        parts = line.replace(":", " ").split()
        if len(parts) >= 2 and parts[1].isdigit():
            values[parts[0]] = int(parts[1]) * scale
    return values


_ASKED = re.compile(r"tried to allocate (\d+) bytes")


def allocation_failure(error: BaseException) -> str | None:
    """One line for an allocation that failed (torch's CPU allocator, or Python's own), naming
    its size where known; None for any other error."""
    text = str(error)
    if not isinstance(error, MemoryError) and "can't allocate memory" not in text:
        return None
    asked = _ASKED.search(text)
    size = f" {gibibytes(int(asked.group(1)))} could not be allocated;" if asked else ""
    return (
        f"out of memory:{size} this process may have about "
        f"{gibibytes(available_memory())} more: make the model or the data smaller"
    )


def gibibytes(size: int) -> str:
    return "an unknown amount" if size >= UNBOUNDED else f"{size / 2**30:.1f} GiB"


def failure_text(error: BaseException) -> str:
    """An error in one line for the user: a failed allocation said as one, a file's as its
    path and what the system said of it."""
    if (failed := allocation_failure(error)) is not None:
        return failed
    if isinstance(error, OSError) and error.strerror:
        return f"{error.filename}: {error.strerror}" if error.filename else error.strerror
    return str(error) or type(error).__name__

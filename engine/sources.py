"""Where datasets come from: the embedded default, makemore's names.txt, or any file."""

from __future__ import annotations

import hashlib
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

from engine.dataset import Dataset, DatasetError, load_dataset
from engine.files import write_atomic

# In a checkout, data/ beside the code; in an installed copy, where pyproject's data-files put it.
_CHECKOUT_DATASET = Path(__file__).resolve().parent.parent / "data" / "first-names.txt"
DEFAULT_DATASET = (
    _CHECKOUT_DATASET
    if _CHECKOUT_DATASET.is_file()
    else Path(sys.prefix) / "share" / "makemore-tui" / "first-names.txt"
)
NAMES_URL = "https://raw.githubusercontent.com/karpathy/makemore/master/names.txt"
NAMES_SHA256 = "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d"
NAMES = "names"  # what --data takes to mean makemore's names.txt


def cache_dir() -> Path:
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "makemore-tui"
    try:
        return Path.home() / ".cache" / "makemore-tui"
    except RuntimeError:  # HOME unset, and a user the system does not know
        raise DatasetError(
            "no home directory to keep names.txt in: set HOME or XDG_CACHE_HOME"
        ) from None


def fetch_names(url: str = NAMES_URL, directory: Path | None = None, timeout: float = 20) -> Path:
    """Download makemore's names.txt (32,033 names, MIT) to the cache once, checking its sha256."""
    target = (directory or cache_dir()) / "names.txt"
    if target.is_file() and _sha256(target.read_bytes()) == NAMES_SHA256:
        return target
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = response.read()
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DatasetError(
            f"cannot download names.txt from {url} ({reason}); are you offline? A copy of "
            "it, or any text file, works too: its path in place of 'names'"
        ) from None
    digest = _sha256(data)
    if digest != NAMES_SHA256:
        raise DatasetError(
            f"names.txt from {url} has sha256 {digest[:12]}…, expected {NAMES_SHA256[:12]}…; "
            "not saved"
        )
    try:  # a temporary file of our own, created exclusively: no planted link is followed
        write_atomic(target, lambda file: file.write(data))
    except OSError as error:
        raise DatasetError(
            f"cannot save names.txt in {target.parent} ({error.strerror or error}); set "
            "XDG_CACHE_HOME to a directory you can write"
        ) from None
    return target


def open_dataset(spec: str | None = None, seed: int = 42) -> Dataset:
    """None: the embedded default; 'names': makemore's names.txt (fetched once); else a path."""
    if spec is None:
        return load_dataset(DEFAULT_DATASET, seed=seed)
    if spec == NAMES and not Path(spec).exists():
        return load_dataset(fetch_names(), seed=seed)
    return load_dataset(spec, seed=seed)


def cached_names() -> Path | None:
    """names.txt in the cache, if it was fetched."""
    try:
        path = cache_dir() / "names.txt"
    except ValueError:
        return None
    if path.is_file() and _sha256(path.read_bytes()) == NAMES_SHA256:
        return path
    return None


def known_dataset(digest: str | None, seed: int = 42) -> Dataset | None:
    """The embedded default or makemore's names.txt (if fetched) whose items have this digest
    (Dataset.sha256), split by `seed`: a run trained on either finds it again in another
    install or checkout, where its path is not the same."""
    if not digest:
        return None
    for path in (DEFAULT_DATASET, cached_names()):
        if path is not None and path.is_file():
            dataset = load_dataset(path, seed=seed)
            if dataset.sha256 == digest:
                return dataset
    return None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

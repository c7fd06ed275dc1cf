"""Save and resume a training run: weights, config, vocabulary, optimizer, step and RNG state."""

from __future__ import annotations

import math
import os
import zipfile
from pathlib import Path
from typing import Any

import torch

from engine import files
from engine.dataset import Dataset, DatasetError, Vocab, visible
from engine.files import expand, write_atomic
from engine.judge import StopReason
from engine.sources import NAMES_SHA256, known_dataset, open_dataset
from engine.trainer import Trainer

FORMAT = "makemore-tui checkpoint"
# 3: the run is one table, Trainer.state_dict(), its config the family's fields and the run's;
# 2 (read still): the same entries beside the envelope's, the config every family's fields.
VERSION = 3
READS = (2, 3)
ENVELOPE = {"format", "version", "vocab", "dataset"}
REQUIRED = {
    "config",
    "model",
    "optimizer",
    "generator",
    "step",
    "tokens_seen",
    "items_seen",
    "last_loss",
    "stopped",
    "train_history",
    "val_history",
    "best",
    "average",
}
OPTIONAL = {"initial_loss", "stop_reason", "seconds"}
# A checkpoint keeps its data's items up to this many characters in all, so that a run sent
# without its file (to a student, to another machine) still samples, tags and trains on them;
# a larger list's file is needed, as the checkpoint names it.
ITEMS_KEPT_CHARACTERS = 2_000_000


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or used; the message is one line naming the file."""


def save(trainer: Trainer, path: str | Path) -> None:
    """Write atomically (files.write_atomic): a crash mid-save leaves the old file whole."""
    state = {
        "format": FORMAT,
        "version": VERSION,
        "vocab": list(trainer.dataset.vocab.chars),
        "dataset": {
            "name": trainer.dataset.name,
            "path": trainer.dataset.path,
            "sha256": trainer.dataset.sha256,
            "seed": trainer.dataset.seed,
            "items": _kept_items(trainer.dataset),
        },
        "run": trainer.state_dict(),
    }
    write_atomic(expand(path), lambda file: torch.save(state, file))


def _kept_items(dataset: Dataset) -> list[str] | None:
    return list(dataset.items) if dataset.characters <= ITEMS_KEPT_CHARACTERS else None


def is_checkpoint(path: Path) -> bool:
    """Whether this file is one of ours: a checkpoint may replace only a checkpoint."""
    try:
        read(path)
    except CheckpointError:
        return False
    return True


def check_target(path: str | Path, replace: bool, force: bool = False) -> Path:
    """Where a checkpoint may be written (see files.check_target)."""
    return files.check_target(path, is_checkpoint, "checkpoint", replace, force)


def read(path: str | Path) -> dict[str, Any]:
    """The raw contents; only tensors and plain data are loaded, never code (weights_only)."""
    path = expand(path)
    if not path.exists():
        raise CheckpointError(f"{path}: no such checkpoint file")
    if not path.is_file():
        raise CheckpointError(f"{path}: not a regular file, so not a checkpoint")
    if not zipfile.is_zipfile(path):
        raise CheckpointError(f"{path}: not a checkpoint (not a file that torch.save wrote)")
    _check_archive(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many kinds for a damaged or foreign file
        if "Weights only load failed" in str(error):
            raise CheckpointError(
                f"{path}: not a makemore-tui checkpoint (it holds objects that are never loaded)"
            ) from None
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CheckpointError(f"{path}: not a readable checkpoint ({reason[:120]})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a makemore-tui checkpoint")
    if state.get("version") not in READS:
        raise CheckpointError(
            f"{path}: checkpoint version {state.get('version')} (this version reads "
            f"{' and '.join(map(str, READS))})"
        )
    if state["version"] == 2:  # the run's entries beside the envelope's
        state = {
            **{k: v for k, v in state.items() if k in ENVELOPE},
            "run": {k: v for k, v in state.items() if k not in ENVELOPE},
        }
    if not isinstance(state.get("run"), dict):
        raise CheckpointError(f"{path}: damaged checkpoint (its run is not a table)")
    missing = sorted(ENVELOPE - set(state) | REQUIRED - set(state["run"]))
    if missing:
        raise CheckpointError(f"{path}: damaged checkpoint (missing {', '.join(missing)})")
    extra = [*(set(state) - ENVELOPE - {"run"}), *(set(state["run"]) - REQUIRED - OPTIONAL)]
    if extra:
        raise CheckpointError(f"{path}: not a makemore-tui checkpoint (it holds {str(extra[0])!r})")
    wrong = _wrong_field(state)
    if wrong:
        raise CheckpointError(f"{path}: damaged checkpoint (its {wrong})")
    return state


# A checkpoint's tensors are stored, not compressed: its contents unpack to about its size.
# A crafted file of 1 MB that would unpack to 1 GiB is refused before it is loaded.
UNPACKED_SLACK = 2**20


def _check_archive(path: Path) -> None:
    """Refuse an archive that unpacks to far more than its size, or whose CRCs fail (a file
    damaged on a disk or in a copy loaded silently otherwise), before torch reads it."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > 2 * path.stat().st_size + UNPACKED_SLACK:
                raise CheckpointError(
                    f"{path}: not a makemore-tui checkpoint (it unpacks to "
                    f"{unpacked / 2**20:,.0f} MiB from {path.stat().st_size / 2**20:,.1f} MiB)"
                )
            damaged = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise CheckpointError(f"{path}: not a readable checkpoint ({error})") from None
    if damaged is not None:
        raise CheckpointError(f"{path}: damaged checkpoint (a CRC error in {damaged})")


def _wrong_field(state: dict[str, Any]) -> str | None:
    """What in a checkpoint's structure is not of the type its saver writes, if anything."""
    dataset, vocab = state["dataset"], state["vocab"]
    if not isinstance(dataset, dict):
        return "dataset is not a table"
    for name, kinds in (("name", (str,)), ("path", (str, type(None))), ("seed", (int,))):
        if name not in dataset:
            return f"dataset has no {name}"
        if not isinstance(dataset[name], kinds) or isinstance(dataset[name], bool):
            return f"dataset {name} is {type(dataset[name]).__name__}"
    if not isinstance(dataset.get("sha256"), str | None):
        return "dataset sha256 is not text"
    items = dataset.get("items")
    if items is not None and not (
        isinstance(items, list) and all(isinstance(i, str) and i and "\n" not in i for i in items)
    ):
        return "dataset items are not lines of text"
    if not isinstance(vocab, list) or not all(isinstance(c, str) and len(c) == 1 for c in vocab):
        return "vocabulary is not a list of characters"
    if len(set(vocab)) != len(vocab):
        return "vocabulary has a character twice"
    run = state["run"]
    for name in ("config", "model", "train_history", "val_history", "best"):
        if not isinstance(run[name], dict):
            return f"{name} is not a table"
    for name in ("step", "tokens_seen", "items_seen"):
        if not isinstance(run[name], int) or isinstance(run[name], bool) or run[name] < 0:
            return f"{name} is not a count"
    seconds = run.get("seconds", 0.0)
    number = isinstance(seconds, int | float) and not isinstance(seconds, bool)
    if not (number and math.isfinite(seconds) and seconds >= 0):
        return "seconds is not a duration"
    if not isinstance(run["generator"], torch.Tensor):
        return "random state is not a tensor"
    if not isinstance(run["stopped"], str | None):
        return "stopped is not text"
    if run.get("stop_reason") not in (None, *(r.value for r in StopReason)):
        return "stop_reason is none of the reasons"
    return None


def dataset_warning(state: dict[str, Any], dataset: Dataset) -> str | None:
    """A line when the run was trained on other data (its sha256 differs): another file, or
    another version of this one; or when its file has changed and it is opened on its own
    items (or a copy of them found by their digest)."""
    saved = state["dataset"]
    digest = saved.get("sha256")
    if not digest:
        return None
    if digest == dataset.sha256:
        path = saved["path"]
        if path is None or dataset.path == path or not os.path.lexists(path):
            return None
        kept = dataset.path is None
        where = f"the {len(dataset.items):,} items it kept" if kept else visible(dataset.path)
        return (
            f"{visible(path)} has changed since this run was saved: it is opened on {where} "
            f"(--data {visible(path)}, or o in the app, takes the file as it is now)"
        )
    if saved.get("path") != dataset.path:
        return (
            f"this run was trained on {saved['name']}, not {dataset.name}: its losses so far "
            "are on that data, and what it measures from now on is on these"
        )
    return (
        f"{dataset.name} has changed since this run was saved (sha256 {digest[:12]}… then, "
        f"{dataset.sha256[:12]}… now): its losses and tags are for other data"
    )


def data_of(state: dict[str, Any], path: str | Path, data: str | None = None) -> Dataset:
    """The data to restore a run on: `data`, else the file it was trained on, split as then;
    where that file is not, or has changed, the embedded names or names.txt if the run was
    trained on them, else the items the checkpoint kept (ITEMS_KEPT_CHARACTERS); else the
    file as it is now."""
    saved = state["dataset"]
    if data:
        return open_dataset(data, seed=saved["seed"])
    on_disk, error = None, None
    if saved["path"] is not None and os.path.lexists(saved["path"]):
        try:
            on_disk = open_dataset(saved["path"], seed=saved["seed"])
        except DatasetError as refused:
            error = refused  # said if the run's items are nowhere else
        if on_disk is not None and saved.get("sha256") in (None, on_disk.sha256):
            return on_disk
    known = known_dataset(saved.get("sha256"), saved["seed"]) or _kept_dataset(saved)
    if known is not None:
        return known
    if on_disk is not None:
        return on_disk  # changed: dataset_warning says so
    if error is not None:
        raise error
    which = (
        "it was makemore's names.txt: --data names fetches it"
        if saved.get("sha256") == NAMES_SHA256
        else "name one with --data"
    )
    raise CheckpointError(f"{path}: its dataset {saved['path'] or '(none)'} is not there; {which}")


def _kept_dataset(saved: dict[str, Any]) -> Dataset | None:
    """The data from the items the checkpoint kept, if it kept them and they are the ones it
    was trained on (their sha256)."""
    if not saved.get("items"):
        return None
    kept = Dataset.from_items(saved["items"], saved["name"], saved["seed"])
    return kept if kept.sha256 == saved.get("sha256") else None


def checkpoint_vocab(state: dict[str, Any]) -> Vocab:
    return Vocab(tuple(state["vocab"]))


def restore(state: dict[str, Any], dataset: Dataset, path: str | Path = "checkpoint") -> Trainer:
    """A trainer that goes on exactly where the saved one stopped."""
    if checkpoint_vocab(state) != dataset.vocab:
        saved, now = set(state["vocab"]), set(dataset.vocab.chars)
        differences = [
            f"{where} {visible(''.join(sorted(chars)))!r}"
            for where, chars in (
                ("only the checkpoint has", saved - now),
                (f"only {dataset.name} has", now - saved),
            )
            if chars
        ]
        raise CheckpointError(
            f"{path}: its vocabulary does not match {dataset.name}'s: "
            + ("; ".join(differences) or "the same characters in another order")
        )
    try:
        return Trainer.from_state_dict(dataset, state["run"])
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        reason = str(error).splitlines()[0]
        raise CheckpointError(f"{path}: does not fit its own config ({reason[:120]})") from None


def load(path: str | Path, dataset: Dataset) -> Trainer:
    return restore(read(path), dataset, path)

"""Save and resume a training run: weights, config, vocabulary, optimizer, step and RNG state."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from engine.config import Config
from engine.dataset import Dataset, Vocab
from engine.history import LossHistory
from engine.trainer import Trainer

FORMAT = "makemore-tui checkpoint"
VERSION = 2


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or used; the message is one line naming the file."""


def save(trainer: Trainer, path: str | Path) -> None:
    """Write atomically: the data goes to a temporary file that replaces `path` once complete,
    so a crash mid-save leaves the old file as it was."""
    path = Path(path)
    state = {
        "format": FORMAT,
        "version": VERSION,
        "config": trainer.config.as_dict(),
        "vocab": list(trainer.dataset.vocab.chars),
        "dataset": {
            "name": trainer.dataset.name,
            "path": trainer.dataset.path,
            "sha256": trainer.dataset.sha256,
            "seed": trainer.dataset.seed,
        },
        "model": trainer.model.state_dict(),
        "optimizer": trainer.optimizer.state_dict() if trainer.optimizer else None,
        "generator": trainer.generator.get_state(),
        "step": trainer.step,
        "tokens_seen": trainer.tokens_seen,
        "items_seen": trainer.items_seen,
        "last_loss": trainer.last_loss,
        "initial_loss": trainer.initial_loss,
        "stopped": trainer.stopped,
        "train_history": trainer.train_history.state_dict(),
        "val_history": trainer.val_history.state_dict(),
        "best": trainer.best_state(),
        "average": trainer.average,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            torch.save(state, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read(path: str | Path) -> dict[str, Any]:
    """The raw contents; only tensors and plain data are loaded, never code (weights_only)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many kinds for a damaged file
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CheckpointError(f"{path}: not a readable checkpoint ({reason[:120]})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a makemore-tui checkpoint")
    if state.get("version") != VERSION:
        raise CheckpointError(
            f"{path}: checkpoint version {state.get('version')} (this version reads {VERSION})"
        )
    return state


def checkpoint_vocab(state: dict[str, Any]) -> Vocab:
    return Vocab(tuple(state["vocab"]))


def restore(state: dict[str, Any], dataset: Dataset, path: str | Path = "checkpoint") -> Trainer:
    """A trainer that goes on exactly where the saved one stopped."""
    if checkpoint_vocab(state) != dataset.vocab:
        raise CheckpointError(
            f"{path}: its vocabulary ({len(state['vocab'])} characters) does not match "
            f"{dataset.name} ({len(dataset.vocab.chars)} characters)"
        )
    try:
        trainer = Trainer(dataset, Config(**state["config"]))
        trainer.model.load_state_dict(state["model"])
        if trainer.optimizer is not None:
            trainer.optimizer.load_state_dict(state["optimizer"])
        trainer.generator.set_state(state["generator"])
        trainer.step = state["step"]
        trainer.tokens_seen = state["tokens_seen"]
        trainer.items_seen = state["items_seen"]
        trainer.last_loss = state["last_loss"]
        trainer.initial_loss = state.get("initial_loss")
        trainer.stopped = state["stopped"]
        trainer.train_history = LossHistory.from_state_dict(state["train_history"])
        trainer.val_history = LossHistory.from_state_dict(state["val_history"])
        trainer.load_best_state(state["best"])
        if trainer.average is not None:
            trainer.average = state["average"]
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        reason = str(error).splitlines()[0]
        raise CheckpointError(f"{path}: does not fit its own config ({reason[:120]})") from None
    return trainer


def load(path: str | Path, dataset: Dataset) -> Trainer:
    return restore(read(path), dataset, path)

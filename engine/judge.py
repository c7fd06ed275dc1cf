"""Why a run ends, and the judge of its val losses: the best weights, and whether the run
overfits or has converged."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any

import torch

OVERFIT_MARGIN = 0.01  # how far above its best val must stay to count as overfitting


class StopReason(Enum):
    """Why a run ended, in one word (train --json's stop_reason)."""

    DONE = "done"  # its steps, or its time
    COUNTED = "counted"  # a counting model, at the end of its one epoch
    DIVERGED = "diverged"  # the loss became NaN or inf
    OVERFITTING = "overfitting"  # val got worse while train kept falling
    CONVERGED = "converged"  # val stopped improving, at the schedule's last rate
    INTERRUPTED = "interrupted"  # by the user


@dataclass(frozen=True)
class Stop:
    """A run's end before its steps were done: why, and the sentence that tells the user."""

    reason: StopReason
    text: str


class Judge:
    """The best val loss so far, its step and weights, and what judging the next one needs."""

    def __init__(self) -> None:
        self.best_val = math.inf
        self.best_step = 0
        self.weights: dict[str, torch.Tensor] | None = None  # of the best val (nets only)
        self.overfitting_since: int | None = None  # the best step, while val has not improved
        self.last_val: tuple[int, float] | None = None  # (step, loss): the history averages
        self._train_at_best = math.inf
        self._best_epoch = 0.0
        self._worse: tuple[int, list[float]] = (0, [])  # since the best: how many, the last few

    def judge(
        self,
        step: int,
        epoch: float,
        val: float,
        train: float,
        patience: int,
        weights: dict[str, torch.Tensor] | None,
    ) -> None:
        """Keep the best `weights` (copied); call it overfitting when the last `patience` val
        losses are all worse than the best, by OVERFIT_MARGIN on average (val is noisy), while
        the training loss kept falling; and the best came after a whole epoch: a net that
        starts from a prior, or at a high rate, may first get worse on both before it learns."""
        self.last_val = (step, val)
        if not math.isfinite(val):  # said, not judged: counts of 0 make an unseen pair's loss inf
            return
        if val < self.best_val:
            self.best_val, self.best_step, self._train_at_best = val, step, train
            self._best_epoch = epoch
            self.overfitting_since = None
            self._worse = (0, [])
            if weights is not None:
                self.weights = {k: v.clone() for k, v in weights.items()}
            return
        count, recent = self._worse
        recent = [*recent, val][-patience:]
        self._worse = (count + 1, recent)
        if (
            count + 1 >= patience
            and self._best_epoch >= 1
            and sum(recent) / len(recent) > self.best_val * (1 + OVERFIT_MARGIN)
            and train < self._train_at_best
        ):
            self.overfitting_since = self.best_step

    def converged(self, step: int, window: int, schedule_end: int) -> bool:
        """No new best val for `window` steps, and for as many steps as it took to reach the
        best (on a small list a late best still comes), with the schedule done (a rate still
        falling may yet find one)."""
        return (
            math.isfinite(self.best_val)
            and step >= schedule_end
            and step - self.best_step >= max(window, self.best_step)
        )

    def stall(self, step: int, converged: bool) -> Stop | None:
        """Why the run should go no further, if so: it overfits, or it has converged."""
        best = f"val has not improved since step {self.best_step:,} ({self.best_val:.4f})"
        if self.overfitting_since is not None:
            return Stop(
                StopReason.OVERFITTING,
                f"overfitting at step {step:,}: {best} while train kept falling",
            )
        if converged:
            return Stop(
                StopReason.CONVERGED,
                f"converged at step {step:,}: {best}, {step - self.best_step:,} steps "
                "at the schedule's last rate",
            )
        return None

    def state_dict(self) -> dict[str, Any]:
        return {
            "val": self.best_val,
            "step": self.best_step,
            "weights": self.weights,
            "train": self._train_at_best,
            "epoch": self._best_epoch,
            "overfitting_since": self.overfitting_since,
            "worse": self._worse,
            "last_val": self.last_val,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best_val, self.best_step = state["val"], state["step"]
        self.weights, self._train_at_best = state["weights"], state["train"]
        self._best_epoch = state["epoch"]
        self.overfitting_since = state["overfitting_since"]
        self._worse, self.last_val = state["worse"], state["last_val"]

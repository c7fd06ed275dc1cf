"""One training loop for every model, driven in small steps by a script, the CLI or the UI."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from engine.config import Config
from engine.dataset import Dataset
from engine.history import LossHistory
from engine.models import CountingBigram, Model, build_model
from engine.optim import Optimizer, make_optimizer

EVAL_CHUNK = 65_536  # examples per forward pass when evaluating a whole split
# Steps between copies of the weights kept for a NaN: a copy every step would slow training.
GOOD_WEIGHTS_EVERY = 16


@dataclass(frozen=True)
class StepReport:
    """What a call to Trainer.run did."""

    step: int  # steps done since the start
    loss: float  # loss of the last batch (nan before the first step)
    learning_rate: float
    tokens_seen: int  # characters predicted (or pairs counted) so far
    epoch: float  # passes over the training split so far
    steps_per_second: float  # over this call
    stopped: str | None = None  # why the run ended before its steps were done


class Trainer:
    """A model, its optimizer and the state of its run: step, batch order, loss history."""

    def __init__(self, dataset: Dataset, config: Config) -> None:
        self.dataset = dataset
        self.config = config
        self.reset()

    def reset(self) -> None:
        """Start over from the seed: same initial weights, same batch order."""
        cfg = self.config
        self.model: Model = build_model(cfg, self.dataset.vocab.size)
        self.optimizer: Optimizer | None = (
            make_optimizer(self.model.parameters(), cfg) if self.model.trains_by_gradient else None
        )
        self.generator = torch.Generator().manual_seed(cfg.seed)
        self.step = 0
        self.tokens_seen = 0
        self.items_seen = 0  # the counting bigram consumes the training items in order
        self.last_loss = math.nan
        self.train_history = LossHistory()
        self.val_history = LossHistory()
        self.stopped: str | None = None
        self._x, self._y = self.dataset.examples("train", self.model.block_size)
        self._n_examples = len(self._y)  # an int: len() of a tensor is slow on the hot path
        self._item_offsets = self.dataset.item_offsets("train")
        self._params = [p for p in self.model.parameters()]
        self._last_good = [p.detach().clone() for p in self._params]
        self._last_good_step = 0

    def reconfigure(self, config: Config) -> bool:
        """Take new values; returns True when they need a new model (and so reset the run)."""
        needs_reset = self.config.needs_new_model(config)
        self.config = config
        if needs_reset:
            self.reset()
        else:
            if isinstance(self.model, CountingBigram):
                self.model.smoothing = config.smoothing
            if self.optimizer is not None:
                self.optimizer.param_groups[0]["weight_decay"] = config.weight_decay
        return needs_reset

    @property
    def epoch(self) -> float:
        """Passes over the training split so far."""
        return self.tokens_seen / self._n_examples

    @property
    def n_train_items(self) -> int:
        return len(self.dataset.splits["train"])

    def learning_rate(self) -> float:
        """The rate of the next step under the configured schedule."""
        cfg = self.config
        if cfg.lr_schedule == "constant":
            return cfg.learning_rate
        if self.step >= cfg.decay_steps:
            return cfg.lr_min
        if cfg.lr_schedule == "step":
            return cfg.learning_rate
        progress = self.step / cfg.decay_steps
        return cfg.lr_min + 0.5 * (cfg.learning_rate - cfg.lr_min) * (
            1 + math.cos(math.pi * progress)
        )

    def run(self, steps: int, cancel: threading.Event | None = None) -> StepReport:
        """Do up to `steps` steps; stop early when cancelled, on a NaN or inf loss, or at the end
        of the counting bigram's one epoch."""
        start, done = time.perf_counter(), 0
        while done < steps and self.stopped is None:
            if cancel is not None and cancel.is_set():
                break
            lr = self.learning_rate()
            loss = self._count_step() if self.optimizer is None else self._gradient_step(lr)
            if not math.isfinite(loss):
                with torch.no_grad():
                    torch._foreach_copy_(self._params, self._last_good)
                self.stopped = (
                    f"stopped at step {self.step}: the loss became {loss} (learning rate {lr:g} "
                    f"too high?); kept the weights of step {self._last_good_step}, "
                    "reset to start over"
                )
                break
            self.step += 1
            done += 1
            self.last_loss = loss
            self.train_history.append(self.step, loss)
        elapsed = time.perf_counter() - start
        return StepReport(
            step=self.step,
            loss=self.last_loss,
            learning_rate=self.learning_rate(),
            tokens_seen=self.tokens_seen,
            epoch=self.epoch,
            steps_per_second=done / elapsed if elapsed > 0 else 0.0,
            stopped=self.stopped,
        )

    def _gradient_step(self, lr: float) -> float:
        batch_size = self.config.batch_size
        ix = torch.randint(0, self._n_examples, (batch_size,), generator=self.generator)
        # forward() directly: the models have no hooks for __call__ to run
        loss = F.cross_entropy(self.model.forward(self._x[ix]), self._y[ix])
        value = loss.item()
        if math.isfinite(value):
            if self.step % GOOD_WEIGHTS_EVERY == 0:  # these weights gave a finite loss
                with torch.no_grad():
                    torch._foreach_copy_(self._last_good, self._params)
                self._last_good_step = self.step
            self.optimizer.param_groups[0]["lr"] = lr
            for param in self._params:
                param.grad = None
            loss.backward()
            self.optimizer.step()
            self.tokens_seen += batch_size
        return value

    def _count_step(self) -> float:
        offsets = self._item_offsets
        first = self.items_seen
        last = min(first + self.config.batch_size, self.n_train_items)
        rows = slice(int(offsets[first]), int(offsets[last]))
        x, y = self._x[rows], self._y[rows]
        self.model.count(x, y)
        self.items_seen = last
        self.tokens_seen += len(y)
        if last == self.n_train_items:
            self.stopped = f"counted all {self.tokens_seen:,} pairs of the {last:,} training items"
        return F.cross_entropy(self.model(x), y).item()

    @torch.no_grad()
    def evaluate(self, splits: tuple[str, ...] = ("train", "val")) -> dict[str, float]:
        """Mean loss over whole splits; the val loss is also added to the val history."""
        losses = {split: self.split_loss(split) for split in splits}
        if "val" in losses and math.isfinite(losses["val"]):
            self.val_history.append(self.step, losses["val"])
        return losses

    @torch.no_grad()
    def split_loss(self, split: str) -> float:
        x, y = self.dataset.examples(split, self.model.block_size)
        total = 0.0
        for i in range(0, len(y), EVAL_CHUNK):
            logits = self.model(x[i : i + EVAL_CHUNK])
            total += F.cross_entropy(logits, y[i : i + EVAL_CHUNK], reduction="sum").item()
        return total / len(y)

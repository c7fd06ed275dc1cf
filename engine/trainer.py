"""One training loop for every family, driven in small steps by a script, the CLI or the UI. It
knows no family by name: what differs is asked of the Family and its Model."""

from __future__ import annotations

import copy
import math
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import torch

from engine.config import COUNT_STEP_EXAMPLES
from engine.dataset import Dataset
from engine.evaluation import (
    Chunked,
    Evaluation,
    eval_chunk,
    evaluated_examples,
    finish,
    split_loss_chunks,
)
from engine.families import config_from_dict
from engine.families.base import Config, Family, Model
from engine.history import LossHistory
from engine.judge import Judge, Stop, StopReason
from engine.memory import available_memory, gibibytes
from engine.optim import Optimizer, make_optimizer
from engine.prior import Prior
from engine.steps import GradientStep
from engine.weights import Average, LastGood, measured_copy

# The share of the available memory one run may take: a session keeps a run of each of its
# models, beside the app and the rest of the machine.
MEMORY_SHARE = 0.25
# Examples that BatchNorm's statistics are calibrated on for averaged weights: as steady as
# the training split's own, at a few forward passes' cost
CALIBRATION_EXAMPLES = 4096


@dataclass(frozen=True)
class StepReport:
    """What a call to Trainer.run did."""

    step: int  # steps done since the start
    loss: float  # loss of the last batch (nan before the first step)
    learning_rate: float
    tokens_seen: int  # characters predicted (or pairs counted) so far
    epoch: float  # passes over the training split so far
    steps_per_second: float  # over this call
    stopped: Stop | None = None  # why the run ended before its steps were done
    overfitting_since: int | None = None  # the best val loss's step, if overfitting since


class Trainer:
    """A model, its optimizer and the state of its run: step, batch order, loss history."""

    def __init__(self, dataset: Dataset, config: Config) -> None:
        self.dataset = dataset
        self.data_size = dataset.train_size
        self.config = config.for_data(self.data_size).for_vocab(dataset.vocab.size)
        needed = self.config.memory_needed(dataset.vocab.size, self.train_examples)
        available = available_memory()
        if needed > available * MEMORY_SHARE:
            raise ValueError(
                f"this {self.config.model} needs about {gibibytes(needed)} of memory, and "
                f"a run may take at most a quarter of the {gibibytes(available)} available: "
                "make it smaller"
            )
        self.prior: Prior | None = None
        self.reset()

    @property
    def train_examples(self) -> int:
        return self.data_size.examples

    @property
    def family(self) -> Family:
        return self.config.family

    def reset(self) -> None:
        """Start over from the seed: same initial weights, same batch order."""
        cfg, vocab_size = self.config, self.dataset.vocab.size
        # In eval mode but while it steps (run()): no dropout in a loss or a name before then
        self.model: Model = cfg.build(vocab_size).eval()
        counts = cfg.family.counts
        self.optimizer: Optimizer | None = (
            None if counts else make_optimizer(self.model.parameters(), cfg.run)
        )
        self.generator = torch.Generator().manual_seed(cfg.run.seed)
        self.model.generator = self.generator
        self.started = datetime.now().isoformat(timespec="microseconds")  # names the run
        self.seconds = 0.0  # spent in run()
        self.step = 0
        self.tokens_seen = 0
        self.items_seen = 0  # a counting model consumes the training items in order
        self._fitted_on: int | None = None  # tokens_seen when an ngram last fit its mix on val
        self.last_loss = math.nan
        self.initial_loss: float | None = None  # the first batch's, before any step
        self.train_history = LossHistory()
        self.val_history = LossHistory()
        self.stopped: Stop | None = None
        self.judge = Judge()
        self.counted_split = cfg.family.counted_split(cfg.shape)  # a net's is "train"
        self._train = self.dataset.examples(self.counted_split)
        self._n_examples = len(self._train)
        self._item_offsets = self.dataset.item_offsets(self.counted_split)
        order = cfg.family.prior_order(cfg.shape)
        if order and (self.prior is None or self.prior.model.order != order):
            self.prior = Prior.of(self.dataset, order)
        elif not order:
            self.prior = None
        self.model.prior = self.prior.model if self.prior else None
        vocab_size = self.dataset.vocab.size
        parts = (self.model, self.optimizer, self._train, vocab_size, self.generator)
        self.gradient = GradientStep(*parts, self.prior_of_rows)
        params = self.gradient.params
        # A net with no prior starts at ln|V|: its average lets go of those weights early,
        # where a prior's start is worth holding on to (the net gives the counts' loss)
        warm_up = self.prior is None
        self.average = Average(params, cfg.run.average, warm_up) if cfg.run.average else None
        self.last_good = LastGood(params)

    # What the judge knows, read as the trainer's own
    best_val = property(lambda self: self.judge.best_val)
    best_step = property(lambda self: self.judge.best_step)
    overfitting_since = property(lambda self: self.judge.overfitting_since)
    last_val = property(lambda self: self.judge.last_val)

    def state_dict(self) -> dict[str, Any]:
        """The whole run, to go on exactly where it is (a checkpoint, a trial copy)."""
        return {
            "config": self.config.as_dict(),
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict() if self.optimizer else None,
            "generator": self.generator.get_state(),
            "step": self.step,
            "seconds": self.seconds,
            "tokens_seen": self.tokens_seen,
            "items_seen": self.items_seen,
            "last_loss": self.last_loss,
            "initial_loss": self.initial_loss,
            "stopped": self.stopped.text if self.stopped else None,
            "stop_reason": self.stopped.reason.value if self.stopped else None,
            "train_history": self.train_history.state_dict(),
            "val_history": self.val_history.state_dict(),
            "best": self.judge.state_dict(),
            "average": self.average.values if self.average else None,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Go on from a state_dict() of a run of the same config."""
        self.model.load_state_dict(state["model"])
        if self.optimizer is not None:
            self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        self.step, self.tokens_seen = state["step"], state["tokens_seen"]
        self.seconds = state.get("seconds", 0.0)  # not in checkpoints before 2026-12-07
        self._fitted_on = None
        self.items_seen, self.last_loss = state["items_seen"], state["last_loss"]
        self.initial_loss = state.get("initial_loss")
        self.stopped = self._saved_stop(state)
        self.train_history = LossHistory.from_state_dict(state["train_history"])
        self.val_history = LossHistory.from_state_dict(state["val_history"])
        self.judge.load_state_dict(state["best"])
        if self.average is not None:
            self.average.values = state["average"]

    def _saved_stop(self, state: dict[str, Any]) -> Stop | None:
        """The saved stop; of a state from before its reason was kept, the one it can be: a
        counting model's end of epoch, or a net's NaN."""
        if state["stopped"] is None:
            return None
        guess = StopReason.COUNTED if self.family.counts else StopReason.DIVERGED
        return Stop(StopReason(state.get("stop_reason") or guess.value), state["stopped"])

    @classmethod
    def from_state_dict(cls, dataset: Dataset, state: dict[str, Any]) -> Trainer:
        trainer = cls(dataset, config_from_dict(state["config"]))
        trainer.load_state_dict(state)
        return trainer

    def trial_copy(self) -> Trainer:
        """A fresh trainer in this one's state, to try steps on (the learning-rate finder):
        its own weights, optimizer and random numbers, and no history or average; the prior
        shared, as its counts never change."""
        clone = copy.copy(self)  # the data and the prior, shared
        clone.reset()
        clone.load_state_dict(self.state_dict())
        clone.average, clone.stopped = None, None
        clone.train_history, clone.val_history = LossHistory(), LossHistory()
        return clone

    def _averaged_model(self) -> Model:
        """The model to measure: a copy with the averaged weights, if any (Average.copy_of),
        its BatchNorm statistics, if any, calibrated for them on training examples; or, where
        the model asks for it (Model.calibrated), a copy of it so calibrated."""
        if self.average is None and not self.model.calibrated:
            return self.model
        if self.average is None:
            model = measured_copy(self.model)
        else:
            model = self.average.copy_of(self.model)
        rows = slice(min(CALIBRATION_EXAMPLES, self._n_examples))
        model.calibrate(self._train.batch(rows, model.block_size)[0])
        return model

    def reconfigure(self, config: Config) -> bool:
        """Take new values; returns True when they need a new model (and so reset the run)."""
        needs_reset = self.config.needs_new_model(config)
        self.config = config
        if needs_reset:
            self.reset()
        else:
            self.model.configure(config.shape)
            if self.optimizer is not None:
                self.optimizer.param_groups[0]["weight_decay"] = config.run.weight_decay
            self.gradient.manual = self.model.hand_gradients()
        return needs_reset

    @property
    def epoch(self) -> float:
        """Passes over the training split so far."""
        return self.tokens_seen / self._n_examples

    @property
    def n_train_items(self) -> int:
        return len(self.dataset.items_of(self.counted_split))

    def learning_rate(self) -> float:
        """The rate of the next step under the configured schedule."""
        return self.config.run.learning_rate_at(self.step, self.epoch_size)

    def run(self, steps: int, cancel: threading.Event | None = None) -> StepReport:
        """Do up to `steps` steps; stop early when cancelled, on a NaN or inf loss, or at the end
        of a counting model's one epoch."""
        start, done = time.perf_counter(), 0
        counts = self.family.counts
        self.model.train()  # dropout on
        with torch.no_grad():  # once here, not in each step: it costs 1 µs (bench/: MLP step)
            while done < steps and self.stopped is None:
                if cancel is not None and cancel.is_set():
                    break
                lr = self.learning_rate()
                loss = self._count_step() if counts else self._step(lr)
                if not math.isfinite(loss):
                    self._stop_at_nan(loss, lr)
                    break
                self.step += 1
                done += 1
                self.last_loss = loss
                self.train_history.append(self.step, loss)
        self.model.eval()
        elapsed = time.perf_counter() - start
        self.seconds += elapsed
        return StepReport(
            step=self.step,
            loss=self.last_loss,
            learning_rate=self.learning_rate(),
            tokens_seen=self.tokens_seen,
            epoch=self.epoch,
            steps_per_second=done / elapsed if elapsed > 0 else 0.0,
            stopped=self.stopped,
            overfitting_since=self.overfitting_since,
        )

    def _stop_at_nan(self, loss: float, lr: float) -> None:
        self.last_good.restore()
        self.stopped = Stop(
            StopReason.DIVERGED,
            f"stopped at step {self.step}: the loss became {loss} (learning rate {lr:g} "
            f"too high?); kept the weights of step {self.last_good.step}, "
            "reset to start over",
        )

    @property
    def epoch_size(self) -> int:
        """What a pass over the training split is, in the units of batch_size: its examples,
        or its segments for a model that reads whole items (Examples.segments)."""
        if self.model.whole_items:
            return len(self._train.segments(self.model.block_size)[0])
        return self._n_examples

    @property
    def batch_size(self) -> int:
        """Examples per step (items, for a counting model; segments, for one that reads
        whole items): the run's batch_size, 0 being all."""
        if self.family.counts:
            return self.config.run.batch_size or self.n_train_items
        return self.config.run.batch_size or self.epoch_size

    def prior_of_rows(
        self, split: str, rows: torch.Tensor | slice, x: torch.Tensor, y: torch.Tensor
    ) -> torch.Tensor | None:
        """The prior's log-probabilities of these examples of a split (Prior.of_rows)."""
        return None if self.prior is None else self.prior.of_rows(split, rows, x, y)

    def gradient_step(self, lr: float) -> float:
        """One step at this rate (the schedule's are for run()); returns the batch loss, and on
        a NaN or inf, leaves the weights as they were."""
        with torch.no_grad():
            return self._step(lr)

    def _step(self, lr: float) -> float:
        """gradient_step() with autograd off."""
        keep = self.last_good.before(self.step)
        value = self.gradient(lr, self.config.run.batch_size)
        if self.step == 0:
            self.initial_loss = value
        if math.isfinite(value):
            if keep:  # the copy's weights gave a finite loss
                self.last_good.finite(self.step)
            if self.average is not None:
                self.average.update(self.step)
            self.tokens_seen += self.gradient.targets
        return value

    def _count_step(self) -> float:
        """Count the next batch_size training items, or their first COUNT_STEP_EXAMPLES
        examples: a file of a few lines of millions of letters is counted in many steps. The
        examples counted so far (tokens_seen) are where the next step starts."""
        offsets, start = self._item_offsets, self.tokens_seen
        last = min(self.items_seen + self.batch_size, self.n_train_items)
        stop = min(int(offsets[last]), start + COUNT_STEP_EXAMPLES)
        x, y = self._train.batch(slice(start, stop), self.model.block_size)
        self.model.count(x, y)
        self.tokens_seen = stop
        # the items counted whole
        self.items_seen = int(torch.searchsorted(offsets, stop, right=True)) - 1
        if self.items_seen == self.n_train_items:
            items = self.dataset.describe_items(self.counted_split)
            text = self.family.counted(self.tokens_seen, items)
            self.stopped = Stop(StopReason.COUNTED, text)
            if self.model.fits_on_val:  # counted, it is fit, whether or not val is measured
                self._fit_on_val()
        return self.model.loss_sum(x, y) / len(y)

    def _fit_on_val(self) -> None:
        if self._fitted_on == self.tokens_seen:  # on these counts already: the same fit again
            return
        rows = slice(self.evaluated_examples("val"))
        self.model.fit(*self.dataset.examples("val").batch(rows, self.model.block_size))
        self._fitted_on = self.tokens_seen

    @property
    def eval_every(self) -> int:
        """Steps between two val losses while training, in proportion to val's size: evaluation
        then takes about 5% of the time (README), and small data is judged often."""
        if self.config.run.eval_every:
            return self.config.run.eval_every
        val_examples = self.evaluated_examples("val")
        per_step = self.batch_size * self._n_examples / self.epoch_size  # examples a step
        return min(5000, max(50, math.ceil(8 * val_examples / per_step)))

    def evaluate(self, splits: tuple[str, ...] = ("train", "val")) -> dict[str, float]:
        """Mean loss over whole splits; the val loss also goes to the val history, and decides
        the best weights and whether the run overfits. An ngram fits its mix on val first."""
        return finish(self._evaluation_chunks(splits, self._averaged_model()))

    def evaluation(self, splits: tuple[str, ...] = ("train", "val")) -> Evaluation:
        """evaluate(), to be done a slice of time at a time (the UI's engine answers between)."""
        return Evaluation(self._evaluation_chunks(splits, self._averaged_model()))

    @torch.no_grad()
    def _evaluation_chunks(
        self, splits: tuple[str, ...], model: Model
    ) -> Chunked[dict[str, float]]:
        """evaluate() a chunk of examples at a time, of `model` (the averaged weights)."""
        if self.model.fits_on_val and "val" in splits:
            self._fit_on_val()
        losses = {}
        for split in splits:
            losses[split] = yield from self.split_loss_chunks(split, model)
        if "val" in losses:
            if math.isfinite(losses["val"]):  # no point of the curve at infinity
                self.val_history.append(self.step, losses["val"])
            train = self.train_history.values[-1] if self.train_history.values else math.inf
            weights = None if self.family.counts else model.state_dict()
            patience = self.config.run.patience
            self.judge.judge(self.step, self.epoch, losses["val"], train, patience, weights)
        return losses

    def averaged(self) -> Any:
        """The averaged weights in the model for a while (RunConfig.average)."""
        return nullcontext() if self.average is None else self.average.swapped_in()

    @property
    def converged(self) -> bool:
        """No new best val for `patience` evaluations' worth of steps (Judge.converged), with
        the schedule done; never for a counting model."""
        window = self.config.run.patience * self.eval_every
        schedule_end = self.config.run.schedule_end(self.epoch_size)
        return not self.family.counts and self.judge.converged(self.step, window, schedule_end)

    def stall(self) -> Stop | None:
        """Why the run should go no further, if so: it overfits, or it has converged."""
        return self.judge.stall(self.step, self.converged)

    def best_test(self) -> float:
        """The test loss of the best val loss's weights (of the model as it is, if it counts)."""
        if self.judge.weights is None:
            with self.averaged():
                return self.split_loss("test")
        own = {k: v.clone() for k, v in self.model.state_dict().items()}
        self.model.load_state_dict(self.judge.weights)
        try:
            return self.split_loss("test")
        finally:
            self.model.load_state_dict(own)

    def use_best_weights(self) -> None:
        """Put the best weights in the model, and in the average, which they are when there is
        one: evaluate() would put the average back (the run itself goes on from where it is)."""
        if self.judge.weights is not None:
            self.model.load_state_dict(self.judge.weights)
            if self.average is not None:
                self.average.take_weights()

    def _eval_chunk(self) -> int:
        return eval_chunk(self.family.eval_width(self.config, self.dataset.vocab.size))

    def evaluated_examples(self, split: str) -> int:
        return evaluated_examples(self.dataset, split)

    def split_loss(self, split: str) -> float:
        return finish(self.split_loss_chunks(split))

    def split_loss_chunks(self, split: str, model: Model | None = None) -> Chunked[float]:
        """split_loss() of `model` (the trainer's by default) a chunk of examples at a time."""
        model = self.model if model is None else model
        chunk = self._eval_chunk()
        return split_loss_chunks(model, self.dataset, split, chunk, self.prior_of_rows)

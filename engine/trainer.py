"""One training loop for every model, driven in small steps by a script, the CLI or the UI."""

from __future__ import annotations

import copy
import math
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TypeVar

import torch
import torch.nn.functional as F

from engine.config import COUNT_STEP_EXAMPLES, FULL_BATCH_CHUNK, Config
from engine.dataset import Dataset
from engine.history import LossHistory
from engine.memory import available_memory, gibibytes
from engine.models import MLP, CountingBigram, CountingNGram, Model, build_model
from engine.optim import Optimizer, make_optimizer

EVAL_VALUES = 2**20  # logits per forward pass when evaluating a whole split
OVERFIT_MARGIN = 0.01  # how far above its best val must stay to count as overfitting
# A split's loss is measured on its first EVAL_EXAMPLES (its items are shuffled): on a 42 MB
# file, a whole val split took the MLP a minute, every 5 s of training. names.txt's are smaller.
EVAL_EXAMPLES = 2**18
# ... and of at most EVAL_SPLIT_VALUES / |V| of them: a net's loss takes a row of |V| values
# for each, and every model is measured on the same examples, to be compared.
EVAL_SPLIT_VALUES = 2**27
COUNT_CHUNK = 2**20  # examples counted at a time into the prior: contexts are built per chunk
PRIOR_CACHE_VALUES = 2**25  # the prior's log-probabilities of the training split kept up to this
# Steps between copies of the weights kept for a NaN: a copy every step would slow training.
GOOD_WEIGHTS_EVERY = 16


# The share of the available memory one run may take: a session keeps a run of each of its
# four models, beside the app and the rest of the machine.
MEMORY_SHARE = 0.25


# Part of a batch: contexts, targets, the prior's log-probabilities of them, and the share of
# the batch's loss it stands for.
Chunk = tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, float]
T = TypeVar("T")
Chunked = Generator[None, None, T]  # yields after each chunk of examples, returns the result


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
        self.train_examples = int(dataset.item_offsets("train")[-1])
        self.config = config.for_data(self.train_examples).for_vocab(dataset.vocab.size)
        needed = self.config.memory_needed(dataset.vocab.size, self.train_examples)
        available = available_memory()
        if needed > available * MEMORY_SHARE:
            raise ValueError(
                f"this {self.config.model} needs about {gibibytes(needed)} of memory, and "
                f"a run may take at most a quarter of the {gibibytes(available)} available: "
                "make it smaller"
            )
        self.reset()

    def reset(self) -> None:
        """Start over from the seed: same initial weights, same batch order."""
        cfg = self.config
        self.model: Model = build_model(cfg, self.dataset.vocab.size)
        self.optimizer: Optimizer | None = (
            make_optimizer(self.model.parameters(), cfg) if self.model.trains_by_gradient else None
        )
        self.generator = torch.Generator().manual_seed(cfg.seed)
        if isinstance(self.model, MLP):
            self.model.generator = self.generator
        self.started = datetime.now().isoformat(timespec="microseconds")  # names the run
        self.seconds = 0.0  # spent in run()
        self.step = 0
        self.tokens_seen = 0
        self.items_seen = 0  # the counting bigram consumes the training items in order
        self.last_loss = math.nan
        self.initial_loss: float | None = None  # the first batch's, before any step
        self.train_history = LossHistory()
        self.val_history = LossHistory()
        self.stopped: Stop | None = None
        self.best_val = math.inf
        self.best_step = 0
        self.overfitting_since: int | None = None  # the best step, while val has not improved
        self._best_weights: dict[str, torch.Tensor] | None = None
        self._train_at_best = math.inf
        self._best_epoch = 0.0
        self.last_val: tuple[int, float] | None = None  # (step, loss): the history averages
        self._worse = (0, [])  # val losses since the best: how many, and the last `patience`
        self._train = self.dataset.examples("train")
        self._priors: dict[str, torch.Tensor | None] = {}
        self._prior = self._count_prior()
        self._prior_of_train = self._prior_of("train")
        self._n_examples = len(self._train)
        self._item_offsets = self.dataset.item_offsets("train")
        self._params = [p for p in self.model.parameters()]
        self._manual = self._manual_gradients()
        self.average = [p.detach().clone() for p in self._params] if cfg.average else None
        # The weights of a step whose loss was finite, for a NaN to go back to; and a copy
        # taken before a step, good once its loss is known to be finite.
        self._last_good = [p.detach().clone() for p in self._params]
        self._last_good_step = 0
        self._maybe_good = [p.detach().clone() for p in self._params]

    def _count_prior(self) -> CountingNGram | None:
        """Give the MLP its ngram prior (config.prior_order), counted on the training split and
        fit on val; returns it."""
        if not isinstance(self.model, MLP) or not self.config.prior_order:
            return None
        prior = CountingNGram(self.dataset.vocab.size, self.config.prior_order)
        for _, x, y in self._train.chunks(prior.block_size, COUNT_CHUNK):
            prior.count(x, y)
        val = slice(self.evaluated_examples("val"))
        prior.fit(*self.dataset.examples("val").batch(val, prior.block_size))
        self.model.prior = prior
        return prior

    @torch.no_grad()
    def _prior_of(self, split: str) -> torch.Tensor | None:
        """The prior's log-probabilities of a split's examples, kept if they fit: the counts
        never change during the run, and looking them up costs more than a step."""
        prior = self._prior
        if prior is None:
            return None
        if split not in self._priors:
            # All of train, for its batches; of val and test, what their losses are measured on.
            examples = self.dataset.examples(split)
            needed = len(examples) if split == "train" else self.evaluated_examples(split)
            fits = needed * self.dataset.vocab.size <= PRIOR_CACHE_VALUES
            chunks = examples.chunks(prior.block_size, self._eval_chunk(), stop=needed)
            held_out = split == "train"  # the examples that were counted
            self._priors[split] = (
                torch.cat([prior(x, y if held_out else None).float() for _, x, y in chunks])
                if fits
                else None
            )
        return self._priors[split]

    def prior_of_batch(
        self, rows: torch.Tensor | slice, x: torch.Tensor, y: torch.Tensor
    ) -> torch.Tensor | None:
        """The prior's log-probabilities of these training examples (rows of the split): kept,
        or looked up, each left out of its own counts as in _prior_of; None without a prior."""
        if self._prior_of_train is not None:
            return self._prior_of_train[rows]
        if self._prior is None:
            return None
        return self._prior(x[:, x.shape[1] - self._prior.block_size :], y).float()

    def _manual_gradients(self) -> Callable[..., float] | None:
        """The MLP's hand-written backward pass (config.gradients), or None for autograd."""
        if isinstance(self.model, MLP) and self.config.gradients == "manual":
            return self.model.manual_gradients
        return None

    def trial_copy(self) -> Trainer:
        """A copy to try steps on (the learning-rate finder): its own weights, optimizer and
        random numbers, and no history; the data and the prior shared, as they never change."""
        clone = copy.copy(self)
        prior = self.model.prior if isinstance(self.model, MLP) else None
        with self._unshared():  # the generator is replaced below
            clone.model, clone.optimizer = copy.deepcopy((self.model, self.optimizer))
        clone.generator = torch.Generator().manual_seed(0)
        clone.generator.set_state(self.generator.get_state())
        if isinstance(clone.model, MLP):
            clone.model.prior, clone.model.generator = prior, clone.generator
        clone._params = list(clone.model.parameters())
        clone._manual = clone._manual_gradients()  # bound to the copy's model, not ours
        clone._last_good = [p.detach().clone() for p in clone._params]
        clone._maybe_good = [p.detach().clone() for p in clone._params]
        clone.average, clone.stopped = None, None
        clone.train_history, clone.val_history = LossHistory(), LossHistory()
        return clone

    @contextmanager
    def _unshared(self) -> Iterator[None]:
        """The MLP without its prior and generator for a while: a deep copy made then leaves
        the prior's counts (they never change) to be shared, and random numbers to its own."""
        if not isinstance(self.model, MLP):
            yield
            return
        prior, self.model.prior, self.model.generator = self.model.prior, None, None
        try:
            yield
        finally:
            self.model.prior, self.model.generator = prior, self.generator

    def _averaged_model(self) -> Model:
        """A copy of the model with the averaged weights, for an evaluation to measure while
        the run's own stay in place (samples, saves); the model itself when nothing averages."""
        if self.average is None:
            return self.model
        with self._unshared():
            clone = copy.deepcopy(self.model)
        if isinstance(self.model, MLP):
            clone.prior = self.model.prior
        with torch.no_grad():
            torch._foreach_copy_(list(clone.parameters()), self.average)
        return clone.eval()

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
            self._manual = self._manual_gradients()
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
        decay_steps = cfg.schedule_steps(self.train_examples)
        if self.step >= decay_steps:
            return cfg.lr_min
        if cfg.lr_schedule == "step":
            return cfg.learning_rate
        progress = self.step / decay_steps
        return cfg.lr_min + 0.5 * (cfg.learning_rate - cfg.lr_min) * (
            1 + math.cos(math.pi * progress)
        )

    def run(self, steps: int, cancel: threading.Event | None = None) -> StepReport:
        """Do up to `steps` steps; stop early when cancelled, on a NaN or inf loss, or at the end
        of the counting bigram's one epoch."""
        start, done = time.perf_counter(), 0
        self.model.train()  # dropout on
        with torch.no_grad():  # once here, not in each step: it costs 1 µs (bench/: MLP step)
            while done < steps and self.stopped is None:
                if cancel is not None and cancel.is_set():
                    break
                lr = self.learning_rate()
                loss = self._step(lr) if self.model.trains_by_gradient else self._count_step()
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
        torch._foreach_copy_(self._params, self._last_good)
        self.stopped = Stop(
            StopReason.DIVERGED,
            f"stopped at step {self.step}: the loss became {loss} (learning rate {lr:g} "
            f"too high?); kept the weights of step {self._last_good_step}, "
            "reset to start over",
        )

    @property
    def batch_size(self) -> int:
        """Examples per step (items, for a counting model): config.batch_size, 0 being all."""
        if not self.model.trains_by_gradient:
            return self.config.batch_size or self.n_train_items
        return self.config.batch_size or self._n_examples

    def _batches(self) -> list[Chunk]:
        """The next batch as (contexts, targets, prior, weight) chunks, whose losses times
        their weights sum to the batch's mean loss: random examples in one chunk, or all of
        them (full batch) in chunks of FULL_BATCH_CHUNK."""
        examples, block_size = self._train, self.model.block_size
        if self.config.batch_size:
            ix = torch.randint(
                0, self._n_examples, (self.config.batch_size,), generator=self.generator
            )
            x, y = examples.batch(ix, block_size)
            return [(x, y, self.prior_of_batch(ix, x, y), 1.0)]
        n, size = self._n_examples, FULL_BATCH_CHUNK
        chunks = []
        for i in range(0, n, size):
            x, y = examples.batch(slice(i, i + size), block_size)
            chunks.append(
                (x, y, self.prior_of_batch(slice(i, i + size), x, y), min(size, n - i) / n)
            )
        return chunks

    def gradient_step(self, lr: float) -> float:
        """One step at this rate (the schedule's are for run()); returns the batch loss, and on
        a NaN or inf, leaves the weights as they were."""
        with torch.no_grad():
            return self._step(lr)

    def _step(self, lr: float) -> float:
        """gradient_step() with autograd off."""
        keep = self.step % GOOD_WEIGHTS_EVERY == 0
        if keep:  # before the step, which may change the weights within the backward pass
            torch._foreach_copy_(self._maybe_good, self._params)
        optimizer = self.optimizer
        optimizer.param_groups[0]["lr"] = lr
        batches = self._batches()
        # A plain SGD step of a random batch is taken by the backward pass itself (bench/: MLP
        # step). A full batch's step is all matrix products, where that saves nothing: it keeps
        # autograd's order of rounding, and the seed post's figures with either.
        if self._manual is not None and self.config.batch_size and optimizer.plain:
            ((x, y, prior, _),) = batches
            value = self._manual(x, y, prior, self._params, -lr)
        else:
            value = self._gradients(batches)
            if math.isfinite(value):
                optimizer.step()
        if self.step == 0:
            self.initial_loss = value
        if math.isfinite(value):
            if keep:  # the copy's weights gave a finite loss
                self._last_good, self._maybe_good = self._maybe_good, self._last_good
                self._last_good_step = self.step
            if self.average is not None:
                torch._foreach_lerp_(self.average, self._params, 1 - self.config.average)
            self.tokens_seen += self.batch_size
        return value

    def _gradients(self, batches: list[Chunk]) -> float:
        """The loss of these chunks of one batch; their gradients in .grad."""
        for param in self._params:
            param.grad = None
        value = 0.0
        for x, y, prior, weight in batches:
            if self._manual is not None:
                value += self._manual(x, y, prior, alpha=weight) * weight
                continue
            with torch.enable_grad():
                # forward() directly: the models have no hooks for __call__ to run
                logits = self.model.forward(x) if prior is None else self.model.forward(x, prior)
                loss = F.cross_entropy(logits, y)
                if weight != 1.0:
                    loss = loss * weight
                loss.backward()
            value += loss.item()
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
            what = "pairs" if isinstance(self.model, CountingBigram) else "examples"
            self.stopped = Stop(
                StopReason.COUNTED,
                f"counted all {self.tokens_seen:,} {what} of the {self.n_train_items:,} "
                "training items",
            )
        return -self.model.target_log_probs(x, y).mean().item()

    @property
    def eval_every(self) -> int:
        """Steps between two val losses while training, in proportion to val's size: evaluation
        then takes about 5% of the time (README), and small data is judged often."""
        if self.config.eval_every:
            return self.config.eval_every
        val_examples = self.evaluated_examples("val")
        return min(5000, max(50, math.ceil(8 * val_examples / self.batch_size)))

    def evaluate(self, splits: tuple[str, ...] = ("train", "val")) -> dict[str, float]:
        """Mean loss over whole splits; the val loss also goes to the val history, and decides
        the best weights and whether the run overfits. An ngram fits its mix on val first."""
        evaluation = self.evaluation(splits)
        evaluation.advance()
        assert evaluation.losses is not None
        return evaluation.losses

    def evaluation(self, splits: tuple[str, ...] = ("train", "val")) -> Evaluation:
        """evaluate(), to be done a slice of time at a time (the UI's engine answers between)."""
        return Evaluation(self._evaluation_chunks(splits, self._averaged_model()))

    @torch.no_grad()
    def _evaluation_chunks(
        self, splits: tuple[str, ...], model: Model
    ) -> Chunked[dict[str, float]]:
        """evaluate() a chunk of examples at a time, of `model` (the averaged weights)."""
        if isinstance(self.model, CountingNGram) and "val" in splits:
            rows = slice(self.evaluated_examples("val"))
            self.model.fit(*self.dataset.examples("val").batch(rows, self.model.block_size))
        losses = {}
        for split in splits:
            losses[split] = yield from self.split_loss_chunks(split, model)
        if "val" in losses and math.isfinite(losses["val"]):
            self.val_history.append(self.step, losses["val"])
            self.last_val = (self.step, losses["val"])
            self._judge(losses["val"], model)
        return losses

    @contextmanager
    def averaged(self) -> Iterator[None]:
        """The averaged weights in the model for a while (config.average)."""
        if self.average is None:
            yield
            return
        own = [p.detach().clone() for p in self._params]
        with torch.no_grad():
            torch._foreach_copy_(self._params, self.average)
        try:
            yield
        finally:
            with torch.no_grad():
                torch._foreach_copy_(self._params, own)

    def _judge(self, val: float, model: Model) -> None:
        """Keep the best weights; call it overfitting when the last `patience` val losses are
        all worse than the best, by OVERFIT_MARGIN on average (val is noisy), while the
        training loss kept falling; and the best came after a whole epoch: a net that starts
        from a prior, or at a high rate, may first get worse on both before it learns."""
        train = self.train_history.values[-1] if self.train_history.values else math.inf
        if val < self.best_val:
            self.best_val, self.best_step, self._train_at_best = val, self.step, train
            self._best_epoch = self.epoch
            self.overfitting_since = None
            self._worse = (0, [])
            if model.trains_by_gradient:
                self._best_weights = {k: v.clone() for k, v in model.state_dict().items()}
            return
        count, recent = self._worse
        recent = [*recent, val][-self.config.patience :]
        self._worse = (count + 1, recent)
        if (
            count + 1 >= self.config.patience
            and self._best_epoch >= 1
            and sum(recent) / len(recent) > self.best_val * (1 + OVERFIT_MARGIN)
            and train < self._train_at_best
        ):
            self.overfitting_since = self.best_step

    @property
    def converged(self) -> bool:
        """No new best val for `patience` evaluations' worth of steps, and for as many steps
        as it took to reach the best (on a small list a late best still comes), with the
        schedule done (a rate still falling may yet find one); never for a counting model."""
        window = max(self.config.patience * self.eval_every, self.best_step)
        return (
            self.model.trains_by_gradient
            and math.isfinite(self.best_val)
            and self.step >= self._schedule_end()
            and self.step - self.best_step >= window
        )

    def stall(self) -> Stop | None:
        """Why the run should go no further, if so: it overfits, or it has converged. The CLI
        stops there; the app pauses once."""
        best = f"val has not improved since step {self.best_step:,} ({self.best_val:.4f})"
        if self.overfitting_since is not None:
            return Stop(
                StopReason.OVERFITTING,
                f"overfitting at step {self.step:,}: {best} while train kept falling",
            )
        if self.converged:
            return Stop(
                StopReason.CONVERGED,
                f"converged at step {self.step:,}: {best}, {self.step - self.best_step:,} steps "
                "at the schedule's last rate",
            )
        return None

    def _schedule_end(self) -> int:
        """The step from which the rate stays the same."""
        if self.config.lr_schedule == "constant":
            return 0
        return self.config.schedule_steps(self.train_examples)

    def best_state(self) -> dict[str, object]:
        """The best val loss, its step and weights, and what the judging needs to go on."""
        return {
            "val": self.best_val,
            "step": self.best_step,
            "weights": self._best_weights,
            "train": self._train_at_best,
            "epoch": self._best_epoch,
            "overfitting_since": self.overfitting_since,
            "worse": self._worse,
            "last_val": self.last_val,
        }

    def load_best_state(self, state: dict[str, object]) -> None:
        self.best_val, self.best_step = state["val"], state["step"]
        self._best_weights, self._train_at_best = state["weights"], state["train"]
        self._best_epoch = state["epoch"]
        self.overfitting_since = state["overfitting_since"]
        self._worse, self.last_val = state["worse"], state["last_val"]

    def best_test(self) -> float:
        """The test loss of the best val loss's weights (of the model as it is, if it counts)."""
        if self._best_weights is None:
            with self.averaged():
                return self.split_loss("test")
        own = {k: v.clone() for k, v in self.model.state_dict().items()}
        self.model.load_state_dict(self._best_weights)
        try:
            return self.split_loss("test")
        finally:
            self.model.load_state_dict(own)

    def parameter_count(self) -> int:
        """Weights learnt, or for a counting model, the entries of its tables (counts kept)."""
        if self.model.trains_by_gradient:
            return sum(p.numel() for p in self.model.parameters())
        state = self.model.state_dict()
        return sum(t.numel() for name, t in state.items() if name.endswith("counts"))

    def use_best_weights(self) -> None:
        """Put the best weights in the model, and in the average, which they are when there is
        one: evaluate() would put the average back (the run itself goes on from where it is)."""
        if self._best_weights is not None:
            self.model.load_state_dict(self._best_weights)
            if self.average is not None:
                with torch.no_grad():
                    torch._foreach_copy_(self.average, self._params)

    def _eval_chunk(self) -> int:
        """Examples per forward pass when evaluating: EVAL_VALUES in the widest layer."""
        cfg = self.config
        widest = max(self.dataset.vocab.size, cfg.n_hidden, cfg.block_size * cfg.n_embd)
        return max(64, EVAL_VALUES // widest)

    def evaluated_examples(self, split: str) -> int:
        """How many of a split's examples its loss is measured on, its first ones: the one rule
        that evaluation, the ngram's fit and the prior's lookups all follow."""
        most = min(EVAL_EXAMPLES, max(1, EVAL_SPLIT_VALUES // self.dataset.vocab.size))
        return min(len(self.dataset.examples(split)), most)

    def split_loss(self, split: str) -> float:
        return _finish(self.split_loss_chunks(split))

    @torch.no_grad()
    def split_loss_chunks(self, split: str, model: Model | None = None) -> Chunked[float]:
        """split_loss() of `model` (the trainer's by default) a chunk of examples at a time,
        yielding after each."""
        model = self.model if model is None else model
        examples, prior = self.dataset.examples(split), self._prior_of(split)
        total, evaluated = 0.0, self.evaluated_examples(split)
        chunks = examples.chunks(self.model.block_size, self._eval_chunk(), stop=evaluated)
        for rows, x, y in chunks:
            if split == "train":  # its examples' priors leave them out of their counts
                of_rows = self.prior_of_batch(rows, x, y)
            else:
                of_rows = None if prior is None else prior[rows]
            if not model.trains_by_gradient:
                total -= model.target_log_probs(x, y).sum().item()
            else:
                logits = model(x) if of_rows is None else model(x, of_rows)
                total += F.cross_entropy(logits, y, reduction="sum").item()
            yield
        return total / evaluated


def _finish(steps: Chunked[T]) -> T:
    """What a chunked evaluation returns, done all at once."""
    while True:
        try:
            next(steps)
        except StopIteration as end:
            return end.value


class Evaluation:
    """An evaluation under way (Trainer.evaluation), advanced a slice of time at a time; its
    losses once it is done. It measures a copy of the averaged weights, if any: the model
    keeps the run's own."""

    def __init__(self, chunks: Chunked[dict[str, float]]) -> None:
        self._chunks = chunks
        self.losses: dict[str, float] | None = None

    def advance(self, seconds: float = math.inf) -> bool:
        """Measure for about `seconds` (to the end by default); whether it is done."""
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            try:
                next(self._chunks)
            except StopIteration as end:
                self.losses = end.value
                return True
        return False

    def close(self) -> None:
        """Give it up."""
        self._chunks.close()

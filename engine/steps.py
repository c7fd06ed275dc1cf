"""A net's gradient step: the next batch (in chunks, for a full batch), its gradients by the
model's hand-written pass or by autograd, and the optimizer's step."""

from __future__ import annotations

import math

import torch

from engine.config import FULL_BATCH_CHUNK
from engine.dataset import Examples
from engine.evaluation import PriorOfRows, prior_of_segments
from engine.families.base import Model
from engine.optim import Optimizer

# Part of a batch: contexts, targets (or each context's counts of them, (B, |V|)), the prior's
# log-probabilities of them, and the share of the batch's loss it stands for.
Chunk = tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, float]


class GradientStep:
    def __init__(
        self,
        model: Model,
        optimizer: Optimizer | None,
        examples: Examples,
        vocab_size: int,
        generator: torch.Generator,
        prior_of_rows: PriorOfRows,
    ) -> None:
        self.model, self.optimizer, self.examples = model, optimizer, examples
        self.vocab_size = vocab_size
        self.generator, self.prior_of_rows = generator, prior_of_rows
        self.params = list(model.parameters())
        self.manual = model.hand_gradients()  # None: autograd's
        self.targets = 0  # in the last batch

    def __call__(self, lr: float, batch_size: int) -> float:
        """One step at this rate on a batch of this size (0: all); the batch loss, and on a NaN
        or inf, the weights as they were."""
        optimizer = self.optimizer
        optimizer.param_groups[0]["lr"] = lr
        batches = self.batches(batch_size)
        # A plain SGD step of a random batch is taken by the backward pass itself (bench/: MLP
        # step). A full batch's step is all matrix products, where that saves nothing: it keeps
        # autograd's order of rounding, and the seed post's figures with either.
        if self.manual is not None and batch_size and optimizer.plain:
            ((x, y, prior, _),) = batches
            return self.manual(x, y, prior, self.params, -lr)
        value = self.gradients(batches)
        if math.isfinite(value):
            optimizer.step()
        return value

    def batches(self, batch_size: int) -> list[Chunk]:
        """The next batch as (contexts, targets, prior, weight) chunks, whose losses times
        their weights sum to the batch's mean loss: random examples in one chunk, or all of
        them (full batch) in chunks of FULL_BATCH_CHUNK."""
        if self.model.whole_items:
            return self.segment_batches(batch_size)
        examples, block_size, n = self.examples, self.model.block_size, len(self.examples)
        self.targets = batch_size or n
        if batch_size:
            ix = torch.randint(0, n, (batch_size,), generator=self.generator)
            x, y = examples.batch(ix, block_size)
            return [(x, y, self.prior_of_rows("train", ix, x, y), 1.0)]
        if self.model.reads_context_alone and self.model.prior is None:
            distinct = examples.distinct_contexts(block_size, self.vocab_size)
            if distinct is not None:
                return self.distinct_batches(*distinct)
        size, chunks = FULL_BATCH_CHUNK, []
        for i in range(0, n, size):
            rows = slice(i, i + size)
            x, y = examples.batch(rows, block_size)
            chunks.append((x, y, self.prior_of_rows("train", rows, x, y), min(size, n - i) / n))
        return chunks

    def distinct_batches(self, contexts: torch.Tensor, counts: torch.Tensor) -> list[Chunk]:
        """A full batch as its distinct contexts, each once, with its targets' counts
        (Examples.distinct_contexts): the same loss and gradients, at a fraction of the
        rows, for a model whose output is its context's alone. A chunk's mean loss, over
        its contexts, is summed over their examples: its weight is contexts / examples."""
        size, n = FULL_BATCH_CHUNK, len(self.examples)
        return [
            (contexts[i : i + size], counts[i : i + size], None, min(size, len(contexts) - i) / n)
            for i in range(0, len(contexts), size)
        ]

    def segment_batches(self, batch_size: int) -> list[Chunk]:
        """batches() of whole items: random segments (Examples.segments), or all of them in
        chunks of about FULL_BATCH_CHUNK targets, each padded to its own longest."""
        examples, block_size = self.examples, self.model.block_size
        count = len(examples.segments(block_size)[0])
        if batch_size:
            picks = [torch.randint(0, count, (batch_size,), generator=self.generator)]
        else:
            per_chunk = max(1, FULL_BATCH_CHUNK // block_size)
            picks = [torch.arange(i, min(i + per_chunk, count)) for i in range(0, count, per_chunk)]
        chunks = []
        for segments in picks:
            x, y, rows = examples.segment_batch(segments, block_size)
            prior = prior_of_segments(self.prior_of_rows, "train", examples, self.model, y, rows)
            chunks.append((x, y, prior, int((rows >= 0).sum())))
        self.targets = sum(c[3] for c in chunks)
        return [(x, y, prior, n / self.targets) for x, y, prior, n in chunks]

    def gradients(self, batches: list[Chunk]) -> float:
        """The loss of these chunks of one batch; their gradients in .grad."""
        for param in self.params:
            param.grad = None
        value = 0.0
        for x, y, prior, weight in batches:
            if self.manual is not None:
                value += self.manual(x, y, prior, alpha=weight) * weight
                continue
            with torch.enable_grad():
                # forward() directly: the models have no hooks for __call__ to run
                logits = self.model.forward(x) if prior is None else self.model.forward(x, prior)
                loss = self.model.loss(logits, y)
                if weight != 1.0:
                    loss = loss * weight
                loss.backward()
            value += loss.item()
        return value

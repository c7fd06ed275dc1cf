"""How a split's loss is measured: on how many of its examples, in chunks of what size, and an
evaluation advanced a slice of time at a time (the app's engine answers requests between)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator
from typing import TypeVar

import torch

from engine.dataset import Dataset, Examples
from engine.families.base import Model

EVAL_VALUES = 2**20  # logits per forward pass when evaluating a whole split
# A split's loss is measured on its first EVAL_EXAMPLES (its items are shuffled): on a 42 MB
# file, a whole val split took the MLP a minute, every 5 s of training. names.txt's are smaller.
EVAL_EXAMPLES = 2**18
# ... and of at most EVAL_SPLIT_VALUES / |V| of them: a net's loss takes a row of |V| values
# for each, and every model is measured on the same examples, to be compared.
EVAL_SPLIT_VALUES = 2**27

T = TypeVar("T")
Chunked = Generator[None, None, T]  # yields after each chunk of examples, returns the result
# The prior's log-probabilities of some rows of a split (split, rows, contexts, targets)
PriorOfRows = Callable[[str, "torch.Tensor | slice", torch.Tensor, torch.Tensor], object]


def evaluated_examples(dataset: Dataset, split: str) -> int:
    """How many of a split's examples its loss is measured on, its first ones: the one rule
    that evaluation, the ngram's fit and the prior's lookups all follow."""
    most = min(EVAL_EXAMPLES, max(1, EVAL_SPLIT_VALUES // dataset.vocab.size))
    return min(len(dataset.examples(split)), most)


def eval_chunk(width: int) -> int:
    """Examples per forward pass when evaluating: EVAL_VALUES in the widest layer."""
    return max(64, EVAL_VALUES // width)


@torch.no_grad()
def split_loss_chunks(
    model: Model,
    dataset: Dataset,
    split: str,
    chunk: int,
    prior_of_rows: PriorOfRows,
) -> Chunked[float]:
    """The mean loss of a split's evaluated examples, a chunk of them at a time, yielding
    after each; of a model that reads whole items, the same examples' targets, in the
    segments that hold them."""
    total, evaluated = 0.0, evaluated_examples(dataset, split)
    examples = dataset.examples(split)
    if model.whole_items:
        per_chunk = max(1, chunk // model.block_size)
        for x, y, rows in examples.segment_chunks(model.block_size, per_chunk, stop=evaluated):
            prior = prior_of_segments(prior_of_rows, split, examples, model, y, rows)
            total += model.loss_sum(x, y, prior)
            yield
        return total / evaluated
    for rows, x, y in examples.chunks(model.block_size, chunk, stop=evaluated):
        total += model.loss_sum(x, y, prior_of_rows(split, rows, x, y))
        yield
    return total / evaluated


def prior_of_segments(
    prior_of_rows: PriorOfRows,
    split: str,
    examples: Examples,
    model: Model,
    y: torch.Tensor,
    rows: torch.Tensor,
) -> torch.Tensor | None:
    """The prior's log-probabilities (B, T, |V|) of a batch of segments (Examples.
    segment_batch), zeros where there is no target; None without a prior."""
    if model.prior is None:
        return None
    valid = rows >= 0
    flat = rows[valid]
    x, targets = examples.batch(flat, model.prior.block_size)
    found = prior_of_rows(split, flat, x, targets)
    if found is None:  # not kept: looked up now
        found = model.prior(x).float()
    prior = torch.zeros(*y.shape, found.shape[1])
    prior[valid] = found
    return prior


def finish(steps: Chunked[T]) -> T:
    """What a chunked evaluation returns, done all at once."""
    evaluation = Evaluation(steps)
    evaluation.advance()
    return evaluation.result


class Evaluation:
    """An evaluation under way (Trainer.evaluation), advanced a slice of time at a time; its
    result once it is done."""

    def __init__(self, chunks: Chunked[T]) -> None:
        self._chunks = chunks
        self.done = False
        self.result = None

    def advance(self, seconds: float = math.inf) -> bool:
        """Measure for about `seconds` (to the end by default); whether it is done."""
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            try:
                next(self._chunks)
            except StopIteration as end:
                self.result, self.done = end.value, True
                return True
        return False

    def close(self) -> None:
        """Give it up."""
        self._chunks.close()

"""The ngram a net's logits start from (Family.prior_order): counted on the training split,
fit on val, each training example left out of its own counts; its log-probabilities of a
split's examples kept when they fit, as the counts never change during a run."""

from __future__ import annotations

import torch

from engine.dataset import Dataset
from engine.evaluation import eval_chunk, evaluated_examples
from engine.families.ngram import CountingNGram

COUNT_CHUNK = 2**20  # examples counted at a time: contexts are built per chunk
PRIOR_CACHE_VALUES = 2**25  # a split's log-probabilities kept up to this many values


class Prior:
    @classmethod
    def of(cls, dataset: Dataset, order: int) -> Prior:
        """The dataset's prior of this order, counted once for every net on it: it never
        changes, and on a list of millions of items counting it takes seconds."""
        key = (cls, order)
        if key not in dataset.derived:
            dataset.derived[key] = cls(dataset, order)
        return dataset.derived[key]

    def __init__(self, dataset: Dataset, order: int) -> None:
        # its rows of |V| are all it makes: a net's own chunks, sized by its widest layer,
        # would take it hundreds of passes over a split
        self.dataset, self._chunk = dataset, eval_chunk(dataset.vocab.size)
        self.model = CountingNGram(dataset.vocab.size, order)
        for _, x, y in dataset.examples("train").chunks(self.model.block_size, COUNT_CHUNK):
            self.model.count(x, y)
        val = slice(evaluated_examples(dataset, "val"))
        self.model.fit(*dataset.examples("val").batch(val, self.model.block_size))
        self._kept: dict[str, torch.Tensor | None] = {}
        self.of_split("train")

    @torch.no_grad()
    def of_split(self, split: str) -> torch.Tensor | None:
        """Its log-probabilities of a split's examples (all of train, for its batches; of val
        and test, what their losses are measured on), if they fit: looking them up costs more
        than a step."""
        if split not in self._kept:
            examples = self.dataset.examples(split)
            needed = len(examples) if split == "train" else evaluated_examples(self.dataset, split)
            fits = needed * self.dataset.vocab.size <= PRIOR_CACHE_VALUES
            block = self.model.block_size
            chunks = examples.chunks(block, self._chunk, stop=needed)
            held_out = split == "train"  # the examples that were counted
            self._kept[split] = (
                torch.cat([self.model(x, y if held_out else None).float() for _, x, y in chunks])
                if fits
                else None
            )
        return self._kept[split]

    def of_rows(
        self, split: str, rows: torch.Tensor | slice, x: torch.Tensor, y: torch.Tensor
    ) -> torch.Tensor | None:
        """Its log-probabilities of these examples (rows of the split): kept, or for training
        ones looked up, each left out of its own counts; None where the net looks them up
        itself (val and test ones that were not kept)."""
        kept = self.of_split(split)
        if kept is not None:
            return kept[rows]
        if split != "train":
            return None
        return self.model(x[:, x.shape[1] - self.model.block_size :], y).float()

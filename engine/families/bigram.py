"""The counting bigram: how often each character follows another, add-k smoothed."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from engine.config import COUNT_STEP_EXAMPLES, RunConfig, Settings, setting
from engine.counting import add_counts, lookup, sparse_rows
from engine.families.base import Config, CountingModel, Family, Preset
from engine.protocol import Capability

TABLE_MAX_VOCAB = 1024  # the |V|x|V| log-probabilities are kept up to this vocabulary size


class CountingBigram(CountingModel):
    """Bigram model by counting pairs; its logits are the log of the add-k smoothed frequencies.
    The counts are kept sparse, as sorted pair keys (first * |V| + next) with their counts: at
    |V| = 20,000 a dense table would take 3.2 GB, for the few pairs that a dataset has."""

    def __init__(self, vocab_size: int, smoothing: float = 1.0) -> None:
        super().__init__()
        self.vocab_size, self.smoothing = vocab_size, smoothing
        self.keys = self.pair_counts = torch.zeros(0, dtype=torch.long)
        self.version = 0  # counted again since
        self._table: tuple[tuple[int, float], torch.Tensor] | None = None  # (for what, log P)
        self._row_totals: tuple[int, torch.Tensor] | None = None  # (for which version, totals)

    def configure(self, shape: Settings) -> None:
        self.smoothing = shape.smoothing

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        # float64 so that the loss over hundreds of thousands of pairs is exact to many decimals
        first = idx[:, -1]
        if self.vocab_size > TABLE_MAX_VOCAB:
            # an unseen pair's row value, then the seen pairs of each row over it
            totals = self._totals()[first].double() + self.smoothing * self.vocab_size
            rows = (self.smoothing / totals).log()[:, None].repeat(1, self.vocab_size)
            row, column, seen = sparse_rows(self.keys, self.pair_counts, first, self.vocab_size)
            rows[row, column] = ((seen.double() + self.smoothing) / totals[row]).log()
            return rows
        # The whole log-probability table, made again only when the counts or k change:
        # sampling asks for rows of it at every character.
        key = (self.version, self.smoothing)
        if self._table is None or self._table[0] != key:
            self._table = (key, self.probabilities().log())
        return self._table[1][first]

    def target_log_probs(self, idx: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """log P(target | context) of each example (B,), float64, from the counts alone: no
        row of |V| values, so a split's loss costs the same at any vocabulary."""
        first = idx[:, -1]
        seen = lookup(self.keys, self.pair_counts, first * self.vocab_size + targets).double()
        totals = self._totals()[first].double()
        return ((seen + self.smoothing) / (totals + self.smoothing * self.vocab_size)).log()

    def pair_counts_of(self, firsts: torch.Tensor, nexts: torch.Tensor) -> torch.Tensor:
        return lookup(self.keys, self.pair_counts, firsts * self.vocab_size + nexts)

    def _totals(self) -> torch.Tensor:
        """row_totals(), made again only when the counts change."""
        if self._row_totals is None or self._row_totals[0] != self.version:
            self._row_totals = (self.version, self.row_totals())
        return self._row_totals[1]

    @torch.no_grad()
    def count(self, idx: torch.Tensor, targets: torch.Tensor) -> None:
        """Add the pairs (last context token, target), no loop."""
        new = idx[:, -1] * self.vocab_size + targets
        self.keys, self.pair_counts = add_counts(
            self.keys, self.pair_counts, new, self.vocab_size**2
        )
        self.version += 1

    def row_totals(self) -> torch.Tensor:
        """How many pairs start with each token (|V|,)."""
        totals = torch.zeros(self.vocab_size, dtype=torch.long)
        return totals.index_add_(0, self.keys // self.vocab_size, self.pair_counts)

    @property
    def counts(self) -> torch.Tensor:
        """The |V|x|V| table of counts (the seed's N): for small vocabularies only."""
        table = torch.zeros(self.vocab_size**2, dtype=torch.long)
        return table.index_put_((self.keys,), self.pair_counts).view(self.vocab_size, -1)

    def probabilities(self) -> torch.Tensor:
        """The |V|x|V| table of probabilities (the seed's P): for small vocabularies only."""
        rows = self.counts.double() + self.smoothing
        return rows / rows.sum(1, keepdim=True)

    def parameter_count(self) -> int:
        """The entries of its table N, |V| x |V|, as the post counts them (kept sparse)."""
        return self.vocab_size**2

    def bigram_tables(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.counts.clone(), self.probabilities()

    def top_bigrams(self, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """From the sparse counts: |V| may be 20,000."""
        counts, order = self.pair_counts.topk(min(n, len(self.pair_counts)))
        keys, size = self.keys[order], self.vocab_size
        return keys, counts, self.target_log_probs((keys // size)[:, None], keys % size).exp()

    def state_dict(self, *args: object, **kwargs: object) -> dict[str, torch.Tensor]:
        return {"keys": self.keys, "counts": self.pair_counts}

    def load_state_dict(self, state: dict[str, torch.Tensor], strict: bool = True) -> None:
        if "keys" not in state:  # a checkpoint from before the counts were sparse
            dense = state["counts"].flatten()
            state = {"keys": dense.nonzero().squeeze(1), "counts": dense[dense > 0]}
        self.keys, self.pair_counts = state["keys"].long(), state["counts"].long()
        self.version += 1


@dataclass(frozen=True)
class BigramShape(Settings):
    smoothing: float = setting(
        1.0,
        0,
        1e6,
        help="add-k: k added to every pair's count; 0 lets an unseen pair have probability "
        "0, larger flattens",
    )
    # all: the post's counts; its val and test are counted too, so their losses are no
    # longer of unseen items
    count_on: str = setting(
        "train",
        choices=("train", "all"),
        new_model=True,
        help="train: the training split, as every model; all: every item, as the post counts",
    )


class Bigram(Family):
    name = "bigram"
    summary = "counts which character follows which: the bar every net is measured against"
    Shape = BigramShape
    counts = True
    capabilities = frozenset({Capability.BIGRAMS})
    waiting = (
        "Nothing counted yet. The bigram model counts which character follows which; press n "
        "to step or space to run, and watch the table fill up."
    )
    presets = {
        # Each step adds the pairs of the next 64 training names.
        "bigram": Preset(
            "counting pairs is a model: the bar every net is measured against",
            BigramShape(),
            RunConfig(batch_size=64),
        ),
    }

    def build(self, config: Config, vocab_size: int) -> CountingBigram:
        return CountingBigram(vocab_size, config.shape.smoothing)

    def describe(self, config: Config) -> str:
        per_step = config.run.batch_size or "all"
        return f"counts, add-{config.shape.smoothing:g} smoothing, {per_step} items/step"

    def memory_needed(self, config: Config, vocab_size: int, train_examples: int) -> int:
        return counting_memory((2,), vocab_size, train_examples)

    def counted_split(self, shape: Settings) -> str:
        return shape.count_on

    def counted(self, examples: int, items: str) -> str:
        return f"counted all {examples:,} pairs of {items}"

    def loss_note(self, config: Config) -> str:
        if config.shape.smoothing == 0:
            return "with smoothing 0, a pair never counted has probability 0"
        return super().loss_note(config)


def counting_memory(lengths: tuple[int, ...] | range, vocab_size: int, examples: int) -> int:
    """Bytes a counting model needs, roughly: a key and a count for each context of each
    length the data has (merged with a copy), and a step's examples: a few keys, counts and
    estimates of each, for each length."""
    keys = sum(min(examples, vocab_size**k) for k in lengths)
    return 3 * 16 * keys + 8 * 8 * len(lengths) * COUNT_STEP_EXAMPLES

"""The counting ngram: counts of contexts of every length up to order-1, mixed with weights
fit on val. The bar that nets have to clear; and the prior the MLP starts from."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from engine.config import RunConfig, Settings, setting
from engine.counting import add_counts, lookup, mix_weights, sparse_rows
from engine.families.base import Config, CountingModel, Family, Preset
from engine.families.bigram import counting_memory


class CountingNGram(CountingModel):
    """Counts of every context of 0 to order-1 characters and what followed it. The probability
    of the next character mixes the add-k estimates of each order, with weights fit on val: the
    long contexts speak where they were seen often, the short ones fill in where they were not.
    """

    fits_on_val = True
    SMOOTHINGS = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)  # the add-k values fit() chooses from
    BUCKETS = 6  # weights per order, by how often the longest context was seen: 0, 1, 2-3, ...

    def __init__(self, vocab_size: int, order: int) -> None:
        super().__init__()
        if vocab_size**order >= 2**63:  # a context and its next character are one int64 key
            raise ValueError(f"order {order} is too high for a vocabulary of {vocab_size}")
        self.vocab_size, self.order, self.block_size = vocab_size, order, order - 1
        self.smoothing = self.SMOOTHINGS[-1]
        self.weights = torch.full((self.BUCKETS, order), 1 / order, dtype=torch.float64)
        empty = torch.zeros(0, dtype=torch.long)
        # Per order k (context length k-1): sorted keys of contexts and of (context, next),
        # each with its count.
        self.contexts = [(empty, empty) for _ in range(order)]
        self.pairs = [(empty, empty) for _ in range(order)]

    def _context_keys(self, idx: torch.Tensor, length: int) -> torch.Tensor:
        """The last `length` tokens of each context as one number (base |V|)."""
        key = torch.zeros(len(idx), dtype=torch.long)
        for column in range(idx.shape[1] - length, idx.shape[1]):
            key = key * self.vocab_size + idx[:, column]
        return key

    @torch.no_grad()
    def count(self, idx: torch.Tensor, targets: torch.Tensor) -> None:
        for k in range(self.order):
            context, size = self._context_keys(idx, k), self.vocab_size**k
            self.contexts[k] = add_counts(*self.contexts[k], context, size)
            pairs = context * self.vocab_size + targets
            self.pairs[k] = add_counts(*self.pairs[k], pairs, size * self.vocab_size)

    def _estimates(self, idx: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The add-k estimate of each order for these targets (B, order)."""
        per_order = []
        for k in range(self.order):
            context = self._context_keys(idx, k)
            total = lookup(*self.contexts[k], context).double()
            seen = lookup(*self.pairs[k], context * self.vocab_size + targets).double()
            per_order.append((seen + self.smoothing) / (total + self.smoothing * self.vocab_size))
        return torch.stack(per_order, 1)

    def _bucket(self, idx: torch.Tensor, held_out: torch.Tensor | None = None) -> torch.Tensor:
        longest = self._context_keys(idx, self.order - 1)
        seen = lookup(*self.contexts[-1], longest).double()
        if held_out is not None:
            seen -= 1
        return torch.log2(1 + seen).floor().long().clamp(max=self.BUCKETS - 1)

    def forward(self, idx: torch.Tensor, held_out: torch.Tensor | None = None) -> torch.Tensor:
        """Log-probabilities of the next token (B, V). `held_out`: the next tokens of examples
        that were counted, each left out of its own counts (leave-one-out), so that a training
        example gets the estimate that a new one would. An MLP learns on top of these: with
        their own counts in them, its 5-gram gave names.txt's train 1.72 against val 2.00."""
        weights = self.weights[self._bucket(idx, held_out)]  # (B, order)
        # Each order gives every next token its add-k share of the rest, the same in a row,
        # and the tokens seen after the context their counts' share on top of it. The empty
        # context (order 1) has seen most tokens, and is one row for every example: made dense.
        unigram_keys, unigram_counts = self.pairs[0]
        unigram = torch.zeros(self.vocab_size, dtype=torch.float64)
        unigram[unigram_keys] = unigram_counts.double()
        unseen = torch.zeros(len(idx), dtype=torch.float64)
        for k in range(self.order):
            context = self._context_keys(idx, k)
            total = lookup(*self.contexts[k], context).double()
            if held_out is not None:
                total -= 1
            share = weights[:, k] / (total + self.smoothing * self.vocab_size)
            if k == 0:
                rows = share[:, None] * (unigram + self.smoothing)
            else:
                unseen += share * self.smoothing
                row, column, seen = sparse_rows(*self.pairs[k], context, self.vocab_size)
                rows.index_put_((row, column), share[row] * seen.double(), accumulate=True)
            if held_out is not None:
                rows.index_put_((torch.arange(len(idx)), held_out), -share, accumulate=True)
        rows += unseen[:, None]
        return rows.log()

    def target_log_probs(self, idx: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """log P(target | context) of each example (B,), float64, from the counts alone: no
        row of |V| values, so a split's loss costs the same at any vocabulary."""
        weights = self.weights[self._bucket(idx)]
        return (weights * self._estimates(idx, targets)).sum(1).log()

    @torch.no_grad()
    def fit(self, idx: torch.Tensor, targets: torch.Tensor) -> float:
        """Choose the add-k value and the weights that give these examples (val) the lowest
        loss; returns it."""
        buckets = self._bucket(idx)
        best = None
        for smoothing in self.SMOOTHINGS:
            self.smoothing = smoothing
            estimates = self._estimates(idx, targets)
            # One set of weights for all contexts, then one per bucket drawn towards it: a
            # bucket that val has few examples of keeps about the shared weights.
            shared = mix_weights(estimates, torch.zeros_like(buckets), 1)[0]
            weights = mix_weights(estimates, buckets, self.BUCKETS, shared)
            loss = -(weights[buckets] * estimates).sum(1).log().mean().item()
            if best is None or loss < best[0]:
                best = (loss, smoothing, weights)
        assert best is not None
        loss, self.smoothing, self.weights = best
        return loss

    def parameter_count(self) -> int:
        return sum(len(counts) for table in (self.contexts, self.pairs) for _, counts in table)

    def state_dict(self, *args: object, **kwargs: object) -> dict[str, torch.Tensor]:
        state = {"smoothing": torch.tensor(self.smoothing), "weights": self.weights}
        for k in range(self.order):
            state[f"contexts.{k}.keys"], state[f"contexts.{k}.counts"] = self.contexts[k]
            state[f"pairs.{k}.keys"], state[f"pairs.{k}.counts"] = self.pairs[k]
        return state

    def load_state_dict(self, state: dict[str, torch.Tensor], strict: bool = True) -> None:
        self.smoothing, self.weights = float(state["smoothing"]), state["weights"]
        for k in range(self.order):
            self.contexts[k] = (state[f"contexts.{k}.keys"], state[f"contexts.{k}.counts"])
            self.pairs[k] = (state[f"pairs.{k}.keys"], state[f"pairs.{k}.counts"])


def fitting_order(order: int, vocab_size: int) -> int:
    """The order lowered to what a vocabulary allows: a context and its next character make
    one int64 key, |V|**order < 2**63 (order 4 at |V| = 20,000)."""
    while order > 1 and vocab_size**order >= 2**63:
        order -= 1
    return order


@dataclass(frozen=True)
class NGramShape(Settings):
    order: int = setting(
        5,
        2,
        8,
        new_model=True,
        help="contexts of up to order-1 characters: higher sees further, with rarer counts",
    )


class NGram(Family):
    name = "ngram"
    summary = "counts of contexts up to 4 characters, mixed with weights fit on val"
    Shape = NGramShape
    counts = True
    presets = {
        "ngram": Preset(
            "longer contexts, counted and mixed: a bar that is hard to clear",
            NGramShape(order=5),
            RunConfig(batch_size=64),
        ),
    }

    def build(self, config: Config, vocab_size: int) -> CountingNGram:
        return CountingNGram(vocab_size, config.shape.order)

    def describe(self, config: Config) -> str:
        per_step = config.run.batch_size or "all"
        return f"counts of orders 1-{config.shape.order} mixed, {per_step} items/step"

    def memory_needed(self, config: Config, vocab_size: int, train_examples: int) -> int:
        return counting_memory(range(1, config.shape.order + 1), vocab_size, train_examples)

    def for_vocab(self, config: Config, vocab_size: int) -> Config:
        order = fitting_order(config.shape.order, vocab_size)
        return config if order == config.shape.order else config.with_values(order=order)

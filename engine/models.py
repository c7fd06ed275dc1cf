"""The models. Each maps contexts (B, block_size) of token indices to next-token logits (B, V)."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from engine.config import Config

TABLE_MAX_VOCAB = 1024  # the counting bigram keeps its |V|x|V| log-probabilities up to this
DENSE_KEYS = 2**22  # counts are made in a table of every possible key up to this many (32 MiB)


class CountingBigram(nn.Module):
    """Bigram model by counting pairs; its logits are the log of the add-k smoothed frequencies.
    The counts are kept sparse, as sorted pair keys (first * |V| + next) with their counts: at
    |V| = 20,000 a dense table would take 3.2 GB, for the few pairs that a dataset has."""

    block_size = 1
    trains_by_gradient = False

    def __init__(self, vocab_size: int, smoothing: float = 1.0) -> None:
        super().__init__()
        self.vocab_size, self.smoothing = vocab_size, smoothing
        self.keys = self.pair_counts = torch.zeros(0, dtype=torch.long)
        self.version = 0  # counted again since
        self._table: tuple[tuple[int, float], torch.Tensor] | None = None  # (for what, log P)
        self._row_totals: tuple[int, torch.Tensor] | None = None  # (for which version, totals)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        # float64 so that the loss over hundreds of thousands of pairs is exact to many decimals
        first = idx[:, -1]
        if self.vocab_size > TABLE_MAX_VOCAB:
            # an unseen pair's row value, then the seen pairs of each row over it
            totals = self._totals()[first].double() + self.smoothing * self.vocab_size
            rows = (self.smoothing / totals).log()[:, None].repeat(1, self.vocab_size)
            row, column, seen = _sparse_rows(self.keys, self.pair_counts, first, self.vocab_size)
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
        seen = _lookup(self.keys, self.pair_counts, first * self.vocab_size + targets).double()
        totals = self._totals()[first].double()
        return ((seen + self.smoothing) / (totals + self.smoothing * self.vocab_size)).log()

    def _totals(self) -> torch.Tensor:
        """row_totals(), made again only when the counts change."""
        if self._row_totals is None or self._row_totals[0] != self.version:
            self._row_totals = (self.version, self.row_totals())
        return self._row_totals[1]

    @torch.no_grad()
    def count(self, idx: torch.Tensor, targets: torch.Tensor) -> None:
        """Add the pairs (last context token, target), no loop."""
        new = idx[:, -1] * self.vocab_size + targets
        self.keys, self.pair_counts = _add_counts(
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

    def state_dict(self, *args: object, **kwargs: object) -> dict[str, torch.Tensor]:
        return {"keys": self.keys, "counts": self.pair_counts}

    def load_state_dict(self, state: dict[str, torch.Tensor], strict: bool = True) -> None:
        if "keys" not in state:  # a checkpoint from before the counts were sparse
            dense = state["counts"].flatten()
            state = {"keys": dense.nonzero().squeeze(1), "counts": dense[dense > 0]}
        self.keys, self.pair_counts = state["keys"].long(), state["counts"].long()
        self.version += 1


class CountingNGram(nn.Module):
    """Counts of every context of 0 to order-1 characters and what followed it. The probability
    of the next character mixes the add-k estimates of each order, with weights fit on val: the
    long contexts speak where they were seen often, the short ones fill in where they were not.
    """

    trains_by_gradient = False
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
            self.contexts[k] = _add_counts(*self.contexts[k], context, size)
            pairs = context * self.vocab_size + targets
            self.pairs[k] = _add_counts(*self.pairs[k], pairs, size * self.vocab_size)

    def _estimates(self, idx: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The add-k estimate of each order for these targets (B, order)."""
        per_order = []
        for k in range(self.order):
            context = self._context_keys(idx, k)
            total = _lookup(*self.contexts[k], context).double()
            seen = _lookup(*self.pairs[k], context * self.vocab_size + targets).double()
            per_order.append((seen + self.smoothing) / (total + self.smoothing * self.vocab_size))
        return torch.stack(per_order, 1)

    def _bucket(self, idx: torch.Tensor, held_out: torch.Tensor | None = None) -> torch.Tensor:
        longest = self._context_keys(idx, self.order - 1)
        seen = _lookup(*self.contexts[-1], longest).double()
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
            total = _lookup(*self.contexts[k], context).double()
            if held_out is not None:
                total -= 1
            share = weights[:, k] / (total + self.smoothing * self.vocab_size)
            if k == 0:
                rows = share[:, None] * (unigram + self.smoothing)
            else:
                unseen += share * self.smoothing
                row, column, seen = _sparse_rows(*self.pairs[k], context, self.vocab_size)
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
            shared = _mix_weights(estimates, torch.zeros_like(buckets), 1)[0]
            weights = _mix_weights(estimates, buckets, self.BUCKETS, shared)
            loss = -(weights[buckets] * estimates).sum(1).log().mean().item()
            if best is None or loss < best[0]:
                best = (loss, smoothing, weights)
        assert best is not None
        loss, self.smoothing, self.weights = best
        return loss

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


def _mix_weights(
    estimates: torch.Tensor,
    buckets: torch.Tensor,
    n_buckets: int,
    prior: torch.Tensor | None = None,
    prior_examples: float = 50.0,
) -> torch.Tensor:
    """Mixture weights per bucket by EM: each order's share of the probability it gave the
    targets, with `prior_examples` pseudo-examples of `prior` in each bucket."""
    order = estimates.shape[1]
    weights = torch.full((n_buckets, order), 1 / order, dtype=torch.float64)
    for _ in range(30):
        given = weights[buckets] * estimates
        share = given / given.sum(1, keepdim=True)
        totals = torch.zeros_like(weights).index_add_(0, buckets, share)
        if prior is not None:
            totals += prior_examples * prior
        sums = totals.sum(1, keepdim=True)
        weights = torch.where(sums > 0, totals / sums, weights)
    return weights


def _add_counts(
    keys: torch.Tensor, counts: torch.Tensor, new: torch.Tensor, possible: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sorted unique keys and their counts, after counting `new` once more each; `possible`:
    how many keys there could be. Up to DENSE_KEYS, in a table of every key (a bincount: 20x
    faster than sorting all pairs of names.txt), else by merging sorted keys."""
    if possible <= DENSE_KEYS:
        table = torch.bincount(new, minlength=possible).index_add_(0, keys, counts)
        merged = table.nonzero().squeeze(1)
        return merged, table[merged]
    merged, where = torch.unique(torch.cat([keys, new]), return_inverse=True)
    added = torch.cat([counts, torch.ones_like(new)])
    return merged, torch.zeros_like(merged).index_add_(0, where, added)


def _sparse_rows(
    keys: torch.Tensor, counts: torch.Tensor, contexts: torch.Tensor, size: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The counted (context, next) pairs of these contexts, from sorted keys context * size +
    next, as (row of the context, next, count): each context's are consecutive keys, found by
    two searches."""
    starts = torch.searchsorted(keys, contexts * size)
    lengths = torch.searchsorted(keys, (contexts + 1) * size) - starts
    row = torch.repeat_interleave(torch.arange(len(contexts)), lengths)
    before = torch.repeat_interleave(lengths.cumsum(0) - lengths, lengths)
    entry = torch.repeat_interleave(starts, lengths) + torch.arange(len(row)) - before
    return row, keys[entry] % size, counts[entry]


def _lookup(keys: torch.Tensor, counts: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
    """The count of each query key; 0 for one never counted."""
    if len(keys) == 0:
        return torch.zeros_like(queries)
    at = torch.searchsorted(keys, queries).clamp(max=len(keys) - 1)
    return torch.where(keys[at] == queries, counts[at], 0)


class NeuralBigram(nn.Module):
    """Bigram model as one |V|x|V| table of logits learnt by gradient descent."""

    block_size = 1
    trains_by_gradient = True

    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(vocab_size, vocab_size))  # uniform: loss ln|V|

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.logits[idx[:, -1]]

    def probabilities(self) -> torch.Tensor:
        return self.logits.detach().softmax(1)


class MLP(nn.Module):
    """Bengio et al. 2003 as in makemore: embed the context, tanh (or ReLU) hidden layers,
    logits.

    Weights are (in, out) as in the lectures (h = tanh(x @ W + b)): on matrices this small,
    addmm on that layout is faster than on nn.Linear's transposed (out, in) one.
    """

    trains_by_gradient = True
    GAINS = {"tanh": 5 / 3, "relu": 2**0.5}  # Kaiming gains, as in the lectures

    def __init__(self, vocab_size: int, config: Config) -> None:
        super().__init__()
        self.block_size = config.block_size
        self.dropout = config.dropout
        self.relu = config.activation == "relu"
        # Dropout's masks come from the trainer's generator, so that a run resumes exactly.
        self.generator: torch.Generator | None = None
        # The counts the logits start from (config.prior_order), set by the trainer, which has
        # the data: counted again from the data, never saved.
        self.prior: CountingNGram | None = None
        widths = [config.block_size * config.n_embd] + [config.n_hidden] * config.n_layers
        self.embedding = nn.Parameter(torch.randn(vocab_size, config.n_embd))
        shapes = list(zip(widths, widths[1:], strict=False))
        if config.init == "seed":  # plain randn, as the seed post: logits in the tens
            self.weights = nn.ParameterList(torch.randn(a, b) for a, b in shapes)
            self.biases = nn.ParameterList(torch.randn(b) for b in widths[1:])
            self.out_weight = nn.Parameter(torch.randn(widths[-1], vocab_size))
            self.out_bias = nn.Parameter(torch.randn(vocab_size))
        else:
            gain = self.GAINS[config.activation]
            self.weights = nn.ParameterList(torch.randn(a, b) * gain / a**0.5 for a, b in shapes)
            self.biases = nn.ParameterList(torch.zeros(b) for b in widths[1:])
            # Near-zero logits at step 0: the loss starts at ln|V|.
            self.out_weight = nn.Parameter(torch.randn(widths[-1], vocab_size) * 0.01)
            self.out_bias = nn.Parameter(torch.zeros(vocab_size))
        # The same parameters in plain tuples: iterating ParameterLists, and even reading a
        # parameter of a Module (0.4 µs), are a noticeable share of a small step.
        # load_state_dict copies into them in place, so the tuples stay valid.
        self._layers = tuple(zip(self.weights, self.biases, strict=True))
        self._ends = (self.embedding, self.out_weight, self.out_bias)
        self._params = tuple(self.parameters())

    def forward(self, idx: torch.Tensor, prior: torch.Tensor | None = None) -> torch.Tensor:
        """Logits; `prior` is the prior's log-probabilities of these contexts, when the caller
        has them at hand (the trainer keeps those of the training split)."""
        return self.walk(idx, prior).logits

    def walk(self, idx: torch.Tensor, prior: torch.Tensor | None = None) -> Walk:
        """The forward pass with what each layer made: the one pass that forward(), the
        hand-written backward pass and the diagnostics all take."""
        (embedding, out_weight, out_bias), model_prior = self._ends, self.prior
        dropout = self.dropout if self.training else 0.0
        inputs = [F.embedding(idx, embedding).flatten(1)]
        activations, masks = [], []
        for weight, bias in self._layers:
            h = self.hidden(inputs[-1], weight, bias)
            activations.append(h)
            if dropout:
                keep = torch.rand(h.shape, generator=self.generator) >= dropout
                masks.append(keep)
                h = h * keep / (1 - dropout)
            inputs.append(h)
        logits = torch.addmm(out_bias, inputs[-1], out_weight)
        if model_prior is not None:
            if prior is None:
                prior = model_prior(idx[:, idx.shape[1] - model_prior.block_size :]).float()
            logits += prior
        return Walk(inputs, activations, masks, logits)

    def hidden(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """One hidden layer's activations (before dropout)."""
        if self.relu:
            return torch.relu(torch.addmm(bias, x, weight))
        # tanh(z) as 2·sigmoid(2z) − 1: torch.tanh takes 15 µs on a batch of 32x200 here,
        # sigmoid 2 µs (bench/: MLP step).
        return torch.add(
            _MINUS_ONE, torch.addmm(bias, x, weight, beta=2, alpha=2).sigmoid(), alpha=2
        )

    def manual_gradients(
        self,
        idx: torch.Tensor,
        targets: torch.Tensor,
        prior: torch.Tensor | None = None,
        into: Sequence[torch.Tensor] | None = None,
        alpha: float = 1.0,
    ) -> float:
        """The mean cross-entropy of this batch; and unless it is NaN or inf, its gradients
        times `alpha`, by a backward pass written by hand as in the lecture "backprop ninja"
        (what autograd gives, with no graph to record), added to `into`: a tensor for each of
        parameters(), in its order; by default their .grad, zeros where None. Given the
        parameters themselves and alpha = -lr, that is a plain SGD step, taken by the kernels
        that compute the gradients: no gradient is kept."""
        if torch.is_grad_enabled():  # the trainer calls with it off: no_grad costs 1 µs a step
            with torch.no_grad():
                return self.manual_gradients(idx, targets, prior, into, alpha)
        n, (embedding, out_weight, _) = len(targets), self._ends
        if into is None:
            for p in self._params:
                if p.grad is None:
                    p.grad = torch.zeros_like(p)
            into = [p.grad for p in self._params]
        walk = self.walk(idx, prior)
        inputs, activations, masks = walk.inputs, walk.activations, walk.masks
        dropout = self.dropout if self.training else 0.0
        # The loss from log_softmax: a probability that underflows to 0 (the seed's init) has a
        # log that does not.
        logp = walk.logits.log_softmax(1)
        loss = F.nll_loss(logp, targets).item()
        if not math.isfinite(loss):
            return loss
        # dloss/dlogits = (softmax - one-hot) / n, here times alpha: the gradients are linear
        # in it, and so come times alpha with no kernel of their own.
        dlogits = logp.exp_()
        dlogits.index_put_((_rows(n), targets), _MINUS_ONE, accumulate=True)
        dlogits *= _scalar(alpha / n)
        # `into` follows parameters(): the three ends, then the layers' weights, then biases.
        # Each weight is used before its gradient is added: `into` may be the weights.
        n_layers = len(self._layers)
        dh = F.linear(dlogits, out_weight)  # dlogits @ out_weight.t(), with no call for .t()
        into[1].addmm_(inputs[-1].t(), dlogits)
        into[2].addmv_(dlogits.t(), _ones(n))  # the sum over examples, in one kernel
        for layer in range(n_layers - 1, -1, -1):
            if masks:
                dh = dh * masks[layer] / (1 - dropout)
            # dh * (h > 0), or dh * (1 - h²), in one kernel each: what autograd calls
            if self.relu:
                dpre = _threshold_backward(dh, activations[layer], 0)
            else:
                dpre = _tanh_backward(dh, activations[layer])
            dh = F.linear(dpre, self._layers[layer][0])
            into[3 + layer].addmm_(inputs[layer].t(), dpre)
            into[3 + n_layers + layer].addmv_(dpre.t(), _ones(n))
        # index_put_ rather than index_add_, which takes twice as long
        into[0].index_put_((idx.view(-1),), dh.view(-1, embedding.shape[1]), accumulate=True)
        return loss


@dataclass
class Walk:
    """What MLP.walk made: each layer's input (the embeddings, then each hidden layer's output
    after dropout), each hidden layer's activations before dropout, dropout's masks while
    training, and the logits."""

    inputs: list[torch.Tensor]
    activations: list[torch.Tensor]
    masks: list[torch.Tensor]
    logits: torch.Tensor


_MINUS_ONE = torch.tensor(-1.0)  # a tensor for the ops that take no number
# The overloads themselves: finding one by its arguments costs a quarter of the kernel.
_tanh_backward = torch.ops.aten.tanh_backward.default
_threshold_backward = torch.ops.aten.threshold_backward.default


# Kept for the manual backward pass: making one costs 1 µs, a share of a small step.
@functools.lru_cache(maxsize=8)
def _rows(n: int) -> torch.Tensor:
    return torch.arange(n)


@functools.lru_cache(maxsize=8)
def _ones(n: int) -> torch.Tensor:
    return torch.ones(n)


@functools.lru_cache(maxsize=64)
def _scalar(value: float) -> torch.Tensor:
    """A number as a tensor: multiplying by a Python float costs 1 µs more."""
    return torch.tensor(value)


Model = CountingBigram | CountingNGram | NeuralBigram | MLP


def build_model(config: Config, vocab_size: int) -> Model:
    """A fresh model, initialized from config.seed."""
    torch.manual_seed(config.seed)
    if config.model == "bigram":
        return CountingBigram(vocab_size, config.smoothing)
    if config.model == "bigram-neural":
        return NeuralBigram(vocab_size)
    if config.model == "ngram":
        return CountingNGram(vocab_size, config.order)
    if config.model == "mlp":
        return MLP(vocab_size, config)
    raise ValueError(f"no model is called {config.model!r}")

"""Counts kept sparse: sorted keys (a context and its next token as one number) with their
counts, added to, looked up and mixed without a loop. The counting models and the prior share
them."""

from __future__ import annotations

import numpy as np
import torch

DENSE_KEYS = 2**22  # counts are made in a table of every possible key up to this many (32 MiB)


def mix_weights(
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
    # a product with each bucket's indicator sums its shares: index_add_ into so few rows
    # is many times slower
    members = torch.nn.functional.one_hot(buckets, n_buckets).T.double()
    for _ in range(30):
        given = weights[buckets] * estimates
        share = given / given.sum(1, keepdim=True)
        totals = members @ share
        if prior is not None:
            totals += prior_examples * prior
        sums = totals.sum(1, keepdim=True)
        weights = torch.where(sums > 0, totals / sums, weights)
    return weights


def add_counts(
    keys: torch.Tensor, counts: torch.Tensor, new: torch.Tensor, possible: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sorted unique keys and their counts, after counting `new` once more each; `possible`:
    how many keys there could be. In a table of every key (a bincount: 20x faster than
    sorting all pairs of names.txt) when it is not much larger than the keys; else the new
    keys, sorted, merged into the old: a step of a few items then costs what they and the
    keys so far do, not what every possible key would (a vocabulary of thousands)."""
    if possible <= min(DENSE_KEYS, 16 * (len(keys) + len(new))):
        table = torch.bincount(new, minlength=possible).index_add_(0, keys, counts)
        merged = table.nonzero().squeeze(1)
        return merged, table[merged]
    added, times = torch.unique(new, return_counts=True)
    at = torch.searchsorted(keys, added)
    found = torch.zeros(len(added), dtype=torch.bool)
    if len(keys):
        found = keys[at.clamp(max=len(keys) - 1)] == added
    counts = counts.index_add(0, at[found], times[found])
    fresh = ~found
    if not fresh.any():
        return keys, counts
    # Each fresh key before the old keys above it, in one pass: torch has no insert.
    before = at[fresh].numpy()
    merged = np.insert(keys.numpy(), before, added[fresh].numpy())
    return torch.from_numpy(merged), torch.from_numpy(
        np.insert(counts.numpy(), before, times[fresh].numpy())
    )


def sparse_rows(
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


def lookup(keys: torch.Tensor, counts: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
    """The count of each query key; 0 for one never counted."""
    if len(keys) == 0:
        return torch.zeros_like(queries)
    at = torch.searchsorted(keys, queries).clamp(max=len(keys) - 1)
    return torch.where(keys[at] == queries, counts[at], 0)

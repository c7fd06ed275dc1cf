"""What the UI draws, computed here so that the UI only lays it out."""

from __future__ import annotations

import torch

from engine.dataset import Vocab
from engine.families.base import Model
from engine.protocol import Bigram


def bigram_matrices(model: Model) -> tuple[torch.Tensor | None, torch.Tensor] | None:
    """(counts, probabilities), |V|x|V|, of a model that has them (Capability.BIGRAMS); counts
    is None for one that counts nothing."""
    return model.bigram_tables()


def top_bigrams(model: Model, vocab: Vocab, n: int = 20) -> list[Bigram]:
    """The n most frequent pairs (the likeliest, for a model that counts nothing), most first."""
    top = model.top_bigrams(n)
    if top is None:
        return []
    keys, counts, probs = top
    size = vocab.size
    return [
        Bigram(vocab.symbol(key // size), vocab.symbol(key % size), count, prob)
        for key, count, prob in zip(keys.tolist(), counts.tolist(), probs.tolist(), strict=True)
    ]


def embedding_2d(model: Model) -> torch.Tensor | None:
    """Every token's embedding as a point (|V|, 2): as it is for size 2, else its first two
    principal components, signs fixed so that points do not flip between frames."""
    table = model.embedding_table()
    if table is None:
        return None
    weights = table.double()
    if weights.shape[1] == 1:
        return torch.cat([weights, torch.zeros_like(weights)], 1)
    if weights.shape[1] == 2:
        return weights.clone()
    centred = weights - weights.mean(0)
    _, _, vt = torch.linalg.svd(centred, full_matrices=False)
    axes = vt[:2]
    # The sign of a principal axis is arbitrary; make its largest component positive.
    signs = axes.gather(1, axes.abs().argmax(1, keepdim=True)).sign()
    return centred @ (axes * signs).T

"""What the UI draws, computed here so that the UI only lays it out."""

from __future__ import annotations

import torch

from engine.dataset import Vocab
from engine.models import MLP, CountingBigram, Model, NeuralBigram
from engine.protocol import Bigram


def bigram_matrices(model: Model) -> tuple[torch.Tensor | None, torch.Tensor] | None:
    """(counts, probabilities), |V|x|V|, of a bigram model; counts is None for the neural one."""
    if isinstance(model, CountingBigram):
        return model.counts.clone(), model.probabilities()
    if isinstance(model, NeuralBigram):
        return None, model.probabilities()
    return None


def top_bigrams(model: Model, vocab: Vocab, n: int = 20) -> list[Bigram]:
    """The n most frequent pairs (the likeliest for the neural bigram), most first."""
    if isinstance(model, CountingBigram):  # from its sparse counts: |V| may be 20,000
        counts, order = model.pair_counts.topk(min(n, len(model.pair_counts)))
        size, keys = vocab.size, model.keys[order]
        firsts, seconds = (keys // size).tolist(), (keys % size).tolist()
        probs = model.target_log_probs((keys // size)[:, None], keys % size).exp().tolist()
        return [
            Bigram(vocab.symbol(a), vocab.symbol(b), count, prob)
            for a, b, count, prob in zip(firsts, seconds, counts.tolist(), probs, strict=True)
        ]
    if not isinstance(model, NeuralBigram):
        return []
    # Ranked by the joint probability under a uniform first character.
    probs = model.probabilities()
    values, flat = probs.flatten().topk(min(n, probs.numel()))
    size = probs.shape[1]
    return [
        Bigram(vocab.symbol(i // size), vocab.symbol(i % size), 0, prob)
        for i, prob in zip(flat.tolist(), values.tolist(), strict=True)
    ]


def embedding_2d(model: Model) -> torch.Tensor | None:
    """Every token's embedding as a point (|V|, 2): as it is for size 2, else its first two
    principal components, signs fixed so that points do not flip between frames."""
    if not isinstance(model, MLP):
        return None
    weights = model.embedding.detach().double()
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

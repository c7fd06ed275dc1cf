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
    matrices = bigram_matrices(model)
    if matrices is None:
        return []
    counts, probs = matrices
    # Rank the neural bigram by the joint probability under a uniform first character.
    score = counts.double() if counts is not None else probs
    n = min(n, score.numel())
    values, flat = score.flatten().topk(n)
    size = score.shape[1]
    top_counts = counts.flatten()[flat].tolist() if counts is not None else [0] * n
    top_probs = probs.flatten()[flat].tolist()
    return [
        Bigram(vocab.symbol(i // size), vocab.symbol(i % size), count, prob)
        for value, i, count, prob in zip(
            values.tolist(), flat.tolist(), top_counts, top_probs, strict=True
        )
        if value > 0
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

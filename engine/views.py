"""What the UI draws, computed here so that the UI only lays it out."""

from __future__ import annotations

import torch

from engine.dataset import Vocab
from engine.families import FAMILIES, family
from engine.families.base import Model
from engine.protocol import Bigram, BigramView, Capability, FamiliesView, FamilyInfo
from engine.trainer import Trainer

GRID_MAX_VOCAB = 128  # the whole bigram grid goes to the app up to this vocabulary size
# The counting families that draw a table: the one shown while a model without one is active
COUNTING_TABLES = [f.name for f in FAMILIES if f.counts and Capability.BIGRAMS in f.capabilities]


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


def bigram_source(active: str, trainers: dict[str, Trainer]) -> Trainer | None:
    """The run whose table to draw: the active model's if it has one, else the first counting
    model's that has."""
    for name in (active, *COUNTING_TABLES):
        trainer = trainers.get(name)
        if trainer and trainer.step and Capability.BIGRAMS in trainer.family.capabilities:
            return trainer
    return None


def bigram_view(active: str, model: Model | None, vocab: Vocab, counted: str = "") -> BigramView:
    """The table of `model` (None: none has trained), the whole grid up to GRID_MAX_VOCAB,
    else its top pairs only: the grid would not be read, and at |V| = 20,000 its tables would
    take 6 GB. `counted`: the items it counted (Dataset.describe_items), if it counts."""
    grid = model is not None and vocab.size <= GRID_MAX_VOCAB
    counts, probs = bigram_matrices(model) if grid else (None, None)
    return BigramView(
        model=active,
        symbols=[vocab.symbol(i) for i in range(vocab.size)] if grid else [],
        top=top_bigrams(model, vocab, 512) if model else [],
        counts=counts.tolist() if counts is not None else None,
        probabilities=probs.tolist() if probs is not None else None,
        hint=_bigram_hint(active),
        counted=counted,
    )


def _bigram_hint(active: str) -> str:
    """What the empty table says: the active model's own words if it draws one."""
    if Capability.BIGRAMS in family(active).capabilities:
        return family(active).waiting
    return (
        f"No {COUNTING_TABLES[0]} has trained yet. Switch to it with m and run it: its table is "
        "what the other models are compared with."
    )


# What the embedding panel says while the model has no embedding
_EMBEDDED = [f.name for f in FAMILIES if Capability.EMBEDDING in f.capabilities]
EMBEDDING_HINT = (
    "A net gives each character a vector; they appear here as it learns. Press m to reach "
    f"the {', the '.join(_EMBEDDED[:-1])} or the {_EMBEDDED[-1]}."
)
# Every family, as the app lists them
FAMILIES_VIEW = FamiliesView(
    [FamilyInfo(f.name, f.summary, tuple(sorted(f.capabilities))) for f in FAMILIES]
)

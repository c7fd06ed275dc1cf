"""A name as a sequence model reads it: each head's attention weights over its letters (a
Transformer), or the state after each letter and a GRU's gates (makemore's recurrent nets),
with the weights its losses are measured with."""

from __future__ import annotations

from dataclasses import replace

import torch

from engine.dataset import BOUNDARY
from engine.protocol import Capability, InsideView
from engine.trainer import Trainer


@torch.no_grad()
def inside_view(trainer: Trainer, name: str) -> InsideView:
    """The view of this name, cut to the model's context; a ValueError names a character
    not in the vocabulary."""
    vocab, model = trainer.dataset.vocab, trainer.model
    tokens = [BOUNDARY, *vocab.encode(name)]
    shown = vocab.shown(tokens)
    cut = max(0, len(tokens) - model.block_size)
    tokens = tokens[: len(tokens) - cut]
    idx = torch.tensor([tokens])
    letters = [vocab.symbol(t) for t in tokens]
    read = vocab.shown(tokens)
    view = InsideView(trainer.config.model, trainer.step, shown, letters, cut=cut, read=read)
    with trainer.averaged():
        if Capability.ATTENTION in trainer.family.capabilities:
            maps = model.attention_maps(idx)
            return replace(view, attention=[weights[0].tolist() for weights in maps])
        gates: list[torch.Tensor] = []
        states = model.states(idx, gates)[0]
    named = None
    if gates:  # (2, 1, n_hidden) a letter: r, then z
        r, z = torch.stack(gates)[:, :, 0].unbind(1)
        named = {"reset": r.tolist(), "update": z.tolist()}
    return replace(view, states=states.tolist(), gates=named)

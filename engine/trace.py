"""A name traced letter by letter: what each position's context was, the probability the
model gave the character that came next, and its -log: where a loss comes from (the
lectures' "emma" and "andrej")."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from engine.dataset import BOUNDARY
from engine.families.base import CountingModel
from engine.protocol import NameTrace, TracedLetter
from engine.trainer import Trainer


@torch.no_grad()
def trace(trainer: Trainer, name: str) -> NameTrace:
    """The name under this trainer's model, with the weights its losses are measured with;
    a ValueError names a character not in the vocabulary."""
    vocab, model = trainer.dataset.vocab, trainer.model
    block = model.block_size
    tokens = [BOUNDARY] * block + vocab.encode(name) + [BOUNDARY]
    targets = torch.tensor(tokens[block:])
    with trainer.averaged():
        if model.whole_items:  # letter by letter, as sampling reads a name of any length
            buffer, rows = torch.tensor(tokens)[None], torch.zeros(1, dtype=torch.long)
            logits = [model.next_logits(buffer, rows, i) for i in range(len(targets))]
            log_probs = _target_log_probs(torch.cat(logits), targets)
            contexts = [tokens[model.context_start(i) : block + i] for i in range(len(targets))]
        else:
            idx = torch.tensor([tokens[i : i + block] for i in range(len(targets))])
            if isinstance(model, CountingModel):
                log_probs = model.target_log_probs(idx, targets).double()
            else:
                log_probs = _target_log_probs(model(idx), targets)
            contexts = idx.tolist()
    found = None if model.whole_items else model.pair_counts_of(idx[:, -1], targets)
    counts = None if found is None else found.tolist()
    letters = [
        TracedLetter(
            context=vocab.symbols(context),
            next=vocab.symbol(target),
            probability=math.exp(log_p),
            nll=-log_p,
            count=None if counts is None else counts[i],
        )
        for i, (context, target, log_p) in enumerate(
            zip(contexts, targets.tolist(), log_probs.tolist(), strict=True)
        )
    ]
    total = sum(letter.nll for letter in letters)
    surprise = max(range(len(letters)), key=lambda i: letters[i].nll)
    if all(math.isclose(letter.nll, letters[surprise].nll) for letter in letters):
        surprise = None  # the uniform: no letter is more surprising than another
    return NameTrace(
        trainer.config.model, trainer.step, letters, total, total / len(letters), surprise
    )


def _target_log_probs(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.log_softmax(logits.double(), dim=-1).gather(1, targets[:, None]).squeeze(1)

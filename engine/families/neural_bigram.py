"""The neural bigram: one |V|x|V| table of logits, learnt by gradient descent."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from engine.config import RunConfig, Settings
from engine.families.base import Config, Family, Model, Preset
from engine.protocol import Capability


class NeuralBigram(Model):
    """Bigram model as one |V|x|V| table of logits learnt by gradient descent."""

    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(vocab_size, vocab_size))  # uniform: loss ln|V|

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.logits[idx[:, -1]]

    def probabilities(self) -> torch.Tensor:
        return self.logits.detach().softmax(1)

    def bigram_tables(self) -> tuple[None, torch.Tensor]:
        return None, self.probabilities()

    def top_bigrams(self, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Ranked by the joint probability under a uniform first character."""
        probs = self.probabilities()
        values, keys = probs.flatten().topk(min(n, probs.numel()))
        return keys, torch.zeros_like(keys), values


@dataclass(frozen=True)
class NeuralBigramShape(Settings):
    """Nothing to choose: one logit for each pair."""


class NeuralBigramFamily(Family):
    name = "bigram-neural"
    summary = "the bigram's table, learnt by gradient descent: it finds the counts again"
    Shape = NeuralBigramShape
    capabilities = frozenset({Capability.BIGRAMS, Capability.LEARNING_RATE})
    waiting = "Nothing learnt yet: press n to step or space to run, and watch the table form."
    presets = {
        "bigram-neural": Preset(
            "gradient descent on a table of logits finds the counts again",
            NeuralBigramShape(),
            RunConfig(
                batch_size=256,
                optimizer="adamw",
                learning_rate=0.3,
                lr_schedule="cosine",
                lr_min=0.03,
                decay_steps=2000,
            ),
        ),
    }

    def build(self, config: Config, vocab_size: int) -> NeuralBigram:
        return NeuralBigram(vocab_size)

    def describe(self, config: Config) -> str:
        return f"|V|x|V| logits, {config.run.describe()}"

    def memory_needed(self, config: Config, vocab_size: int, train_examples: int) -> int:
        return 8 * 4 * vocab_size**2

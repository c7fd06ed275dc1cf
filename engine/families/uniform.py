"""The uniform model: every character equally likely, whatever came before. Nothing to learn;
its loss, ln|V|, is where every model starts."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from engine.config import RunConfig, Settings
from engine.families.base import Config, CountingModel, Family, Preset


class Uniform(CountingModel):
    """Logits of zero for every token: probability 1/|V| each (the post's N = torch.ones)."""

    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.vocab_size = vocab_size

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return torch.zeros(len(idx), self.vocab_size)

    def count(self, idx: torch.Tensor, targets: torch.Tensor) -> None:
        """Nothing to count: what it saw does not change what it says."""

    def target_log_probs(self, idx: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return torch.full((len(targets),), -math.log(self.vocab_size), dtype=torch.float64)


@dataclass(frozen=True)
class UniformShape(Settings):
    """Nothing to choose."""


class UniformFamily(Family):
    name = "uniform"
    summary = "every character equally likely: the loss ln|V| that every model starts from"
    Shape = UniformShape
    counts = True
    presets = {
        "uniform": Preset(
            "a model that knows nothing: its loss, ln|V|, is where learning starts",
            UniformShape(),
            RunConfig(batch_size=0),
        ),
    }

    def build(self, config: Config, vocab_size: int) -> Uniform:
        return Uniform(vocab_size)

    def describe(self, config: Config) -> str:
        return "every character 1/|V|, nothing to learn"

    def memory_needed(self, config: Config, vocab_size: int, train_examples: int) -> int:
        return 0

    def counted(self, examples: int, items: str) -> str:
        return f"nothing to learn: each of the {examples:,} examples has probability 1/|V|"

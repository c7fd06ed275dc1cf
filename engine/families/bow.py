"""makemore's bag of words: each position averages the embeddings of every letter so far
(attention with all weights equal), then a tanh layer; the step between the MLP's fixed
window and the Transformer's learnt attention."""

from __future__ import annotations

import torch
from torch import nn

from engine.config import Settings
from engine.families.base import Config
from engine.families.sequence import (
    SequenceFamily,
    SequenceShape,
    StepModel,
    quiet_head,
    shape_presets,
)


class BagOfWords(StepModel):
    """x = token + position embedding; x += the mean of x over the positions so far;
    x += the feed-forward layer (tanh) of x; the logits of x."""

    def __init__(self, vocab_size: int, shape: SequenceShape) -> None:
        super().__init__()
        self.block_size = shape.block_size
        self.wte = nn.Embedding(vocab_size, shape.n_embd)
        self.wpe = nn.Embedding(shape.block_size, shape.n_embd)
        self.fc = nn.Linear(shape.n_embd, shape.n_hidden)
        self.fc_proj = nn.Linear(shape.n_hidden, shape.n_embd)
        self.configure(shape)
        self.lm_head = nn.Linear(shape.n_embd, vocab_size)
        quiet_head(self.lm_head)

    def head(self, x: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
        """The logits at positions whose embeddings are x and the mean so far `mean`."""
        x = x + mean
        x = x + self.drop(self.fc_proj(torch.tanh(self.fc(x))))
        return self.lm_head(x)

    def forward(self, idx: torch.Tensor, prior: torch.Tensor | None = None) -> torch.Tensor:
        x = self.wte(idx) + self.wpe.weight[: idx.shape[1]]
        counts = torch.arange(1, idx.shape[1] + 1, dtype=x.dtype)[:, None]
        logits = self.head(x, x.cumsum(1) / counts)
        return logits if prior is None else logits + prior

    def embedding_table(self) -> torch.Tensor:
        return self.wte.weight

    def start_sampling(self, n: int) -> torch.Tensor:
        return torch.zeros(n, self.wte.embedding_dim)  # the sum of the embeddings so far

    def read_next(
        self, state: torch.Tensor, tokens: torch.Tensor, rows: torch.Tensor, position: int
    ) -> torch.Tensor:
        x = self.wte(tokens) + self.wpe.weight[position]
        total = state[rows] + x
        state[rows] = total
        return self.head(x, total / (position + 1))


class BowFamily(SequenceFamily):
    name = "bow"
    summary = "makemore's bag of words: each letter sees the average of the letters before it"
    Shape = SequenceShape
    presets = shape_presets("embedding 64, a layer of 64")

    def build(self, config: Config, vocab_size: int) -> BagOfWords:
        return BagOfWords(vocab_size, config.shape)

    def shape_words(self, shape: Settings) -> str:
        return f"emb {shape.n_embd} hidden {shape.n_hidden} ctx {shape.block_size}"

    def activation_width(self, config: Config) -> int:
        s = config.shape
        return 6 * s.n_embd + 3 * s.n_hidden

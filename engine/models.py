"""The models. Each maps contexts (B, block_size) of token indices to next-token logits (B, V)."""

from __future__ import annotations

import torch
from torch import nn

from engine.config import Config


class CountingBigram(nn.Module):
    """Bigram model by counting pairs; its logits are the log of the add-k smoothed frequencies."""

    block_size = 1
    trains_by_gradient = False

    def __init__(self, vocab_size: int, smoothing: float = 1.0) -> None:
        super().__init__()
        self.smoothing = smoothing
        self.register_buffer("counts", torch.zeros(vocab_size, vocab_size, dtype=torch.long))

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        # float64 so that the loss over hundreds of thousands of pairs is exact to many decimals
        rows = self.counts[idx[:, -1]].double() + self.smoothing
        return (rows / rows.sum(1, keepdim=True)).log()

    @torch.no_grad()
    def count(self, idx: torch.Tensor, targets: torch.Tensor) -> None:
        """Add the pairs (last context token, target); one bincount, no loop per character."""
        size = self.counts.shape[0]
        pairs = idx[:, -1] * size + targets
        self.counts.view(-1).add_(torch.bincount(pairs, minlength=size * size))

    def probabilities(self) -> torch.Tensor:
        rows = self.counts.double() + self.smoothing
        return rows / rows.sum(1, keepdim=True)


class NeuralBigram(nn.Module):
    """Bigram model as one |V|x|V| table of logits learnt by gradient descent."""

    block_size = 1
    trains_by_gradient = True

    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(vocab_size, vocab_size))  # uniform: loss ln|V|

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.logits[idx[:, -1]]

    def probabilities(self) -> torch.Tensor:
        return self.logits.detach().softmax(1)


class MLP(nn.Module):
    """Bengio et al. 2003 as in makemore: embed the context, tanh hidden layers, logits.

    Weights are (in, out) as in the lectures (h = tanh(x @ W + b)): on matrices this small,
    addmm on that layout is faster than on nn.Linear's transposed (out, in) one.
    """

    trains_by_gradient = True

    def __init__(self, vocab_size: int, config: Config) -> None:
        super().__init__()
        self.block_size = config.block_size
        self.embedding = nn.Parameter(torch.randn(vocab_size, config.n_embd))
        widths = [config.block_size * config.n_embd] + [config.n_hidden] * config.n_layers
        # Kaiming gain for tanh, as in the lectures; zero biases.
        self.weights = nn.ParameterList(
            torch.randn(a, b) * (5 / 3) / a**0.5 for a, b in zip(widths, widths[1:], strict=False)
        )
        self.biases = nn.ParameterList(torch.zeros(b) for b in widths[1:])
        # Near-zero logits at step 0: the loss starts at ln|V|, not at 26 as in the seed.
        self.out_weight = nn.Parameter(torch.randn(widths[-1], vocab_size) * 0.01)
        self.out_bias = nn.Parameter(torch.zeros(vocab_size))
        # The same parameters as a plain tuple: iterating ParameterLists is slow on the hot path.
        # load_state_dict copies into them in place, so the tuple stays valid.
        self._layers = tuple(zip(self.weights, self.biases, strict=True))

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.embedding[idx].flatten(1)
        for weight, bias in self._layers:
            x = torch.tanh(torch.addmm(bias, x, weight))
        return torch.addmm(self.out_bias, x, self.out_weight)


Model = CountingBigram | NeuralBigram | MLP


def build_model(config: Config, vocab_size: int) -> Model:
    """A fresh model, initialized from config.seed."""
    torch.manual_seed(config.seed)
    if config.model == "bigram":
        return CountingBigram(vocab_size, config.smoothing)
    if config.model == "bigram-neural":
        return NeuralBigram(vocab_size)
    return MLP(vocab_size, config)

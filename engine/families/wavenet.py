"""The WaveNet of the makemore lectures (part 5, after van den Oord et al. 2016): the context's
embeddings joined two neighbours at a time, level after level, each level a linear layer,
BatchNorm and tanh, until one vector is left to give the logits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from engine.config import FULL_BATCH_CHUNK, RunConfig, Settings, setting
from engine.families.backward import HandBackward, tanh_backward
from engine.families.base import Config, Preset, Walk
from engine.families.mlp import (
    SIZED_RUN,
    SizedNet,
    backward_pass,
    dropout_rate,
    embedding_size,
    norm_statistics,
    prior_order_setting,
    prior_problems,
)
from engine.families.norm import batch_norm, batch_norm_backward


class WaveNet(HandBackward):
    """Embed block_size characters; each level joins neighbouring pairs (the lecture's
    FlattenConsecutive(2)), then Linear with no bias, BatchNorm, tanh; log2(block_size)
    levels leave one vector, and a linear layer gives the logits. Its backward pass is
    written by hand (gradients "manual"), as the MLP's."""

    activation = "tanh"

    def __init__(self, vocab_size: int, shape: WaveNetShape) -> None:
        super().__init__()
        self.block_size = shape.block_size
        self.configure(shape)
        levels, n_hidden = shape.levels, shape.n_hidden
        self.embedding = nn.Parameter(torch.randn(vocab_size, shape.n_embd))
        # A last layer 10x smaller, as the lecture: a first loss near ln|V|.
        self.out_weight = nn.Parameter(torch.randn(n_hidden, vocab_size) / n_hidden**0.5 * 0.1)
        self.out_bias = nn.Parameter(torch.zeros(vocab_size))
        fan_ins = [2 * shape.n_embd] + [2 * n_hidden] * (levels - 1)
        # The lecture's Linear: randn / sqrt(fan_in); BatchNorm's gain 1 and bias 0.
        self.weights = nn.ParameterList(torch.randn(a, n_hidden) / a**0.5 for a in fan_ins)
        self.gains = nn.ParameterList(torch.ones(n_hidden) for _ in fan_ins)
        self.biases = nn.ParameterList(torch.zeros(n_hidden) for _ in fan_ins)
        self.register_buffer("running_mean", torch.zeros(levels, n_hidden))
        self.register_buffer("running_var", torch.ones(levels, n_hidden))
        self._levels = tuple(zip(self.weights, self.gains, self.biases, strict=True))
        self._params = tuple(self.parameters())

    def walk(self, idx: torch.Tensor, prior: torch.Tensor | None = None) -> Walk:
        """Each level's input (two neighbours side by side) and activations, as rows of
        (examples x positions, units): the rows a level's units see, and the diagnostics'."""
        dropout = self.dropout if self.training else 0.0
        h = F.embedding(idx, self.embedding)  # (B, T, n_embd): T rows of each example
        inputs, activations, masks, norms = [], [], [], []
        for level, (weight, gain, bias) in enumerate(self._levels):
            joined = h.reshape(-1, 2 * h.shape[-1])  # consecutive rows, side by side
            inputs.append(joined)
            pre, normalized = batch_norm(
                joined @ weight,
                gain,
                bias,
                self.running_mean[level],
                self.running_var[level],
                self.training,
                self.norm_momentum,
            )
            norms.append(normalized)
            h = torch.tanh(pre)
            activations.append(h)
            if dropout:
                keep = torch.rand(h.shape, generator=self.generator) >= dropout
                masks.append(keep)
                h = h * keep / (1 - dropout)
        inputs.append(h)  # (B, n_hidden): the last level has one row per example
        logits = self.add_prior(torch.addmm(self.out_bias, h, self.out_weight), idx, prior)
        return Walk(inputs, activations, masks, logits, norms)

    def hidden_backward(
        self, walk: Walk, dh: torch.Tensor, into: Sequence[torch.Tensor]
    ) -> torch.Tensor:
        # `into` follows parameters(): the three ends, then the levels' weights, gains, biases.
        levels = len(self._levels)
        for level in range(levels - 1, -1, -1):
            weight, gain, _ = self._levels[level]
            dh = self.dropout_backward(walk, dh, level)
            dpre = tanh_backward(dh, walk.activations[level])
            dz, dgain, dbias = batch_norm_backward(dpre, walk.norms[level], gain)
            into[3 + levels + level].add_(dgain)
            into[3 + 2 * levels + level].add_(dbias)
            joined = walk.inputs[level]
            # back to the rows the level joined: two of the level below for each of its own
            dh = F.linear(dz, weight).view(-1, joined.shape[1] // 2)
            into[3 + level].addmm_(joined.t(), dz)
        return dh

    def levels_seen(self) -> list[list[tuple[int, int]]]:
        """Which context positions each unit of each level sees, first to last: level 1's
        units see two neighbours, the last level's all block_size."""
        spans, width = [], 1
        for _ in self.weights:
            width *= 2
            spans.append([(i, i + width - 1) for i in range(0, self.block_size, width)])
        return spans


@dataclass(frozen=True)
class WaveNetShape(Settings):
    block_size: int = setting(
        8,
        2,
        64,
        new_model=True,
        rule="a power of two from 2 to 64",
        help="characters of context, a power of two: each level joins two neighbours, so "
        "8 makes 3 levels",
    )
    n_embd: int = embedding_size(24)
    n_hidden: int = setting(
        128,
        1,
        1_000_000,
        new_model=True,
        help="units in each level: wider learns more, and overfits a short list sooner",
    )
    dropout: float = dropout_rate()
    norm_stats: str = norm_statistics()
    prior_order: int = prior_order_setting()
    gradients: str = backward_pass()

    @property
    def levels(self) -> int:
        return self.block_size.bit_length() - 1

    def joint_problems(self) -> list[str]:
        if self.block_size & (self.block_size - 1):
            return [
                f"block_size must be a power of two (2, 4, 8, 16, 32 or 64): each level joins "
                f"two neighbours, not {self.block_size}"
            ]
        return prior_problems(self)


class WaveNetFamily(SizedNet):
    name = "wavenet"
    summary = (
        "the lectures' WaveNet: the context joined two characters at a time, level after "
        "level, each with BatchNorm and tanh"
    )
    Shape = WaveNetShape
    presets = {
        "lecture": Preset(
            "the lecture's WaveNet: context 8, three levels of 128, BatchNorm, SGD 0.1 then 0.01",
            WaveNetShape(),
            RunConfig(decay_steps=150_000, steps=200_000),
        ),
        "default": Preset(
            "a WaveNet sized for the data, on top of the 5-gram counts",
            WaveNetShape(prior_order=5),
            SIZED_RUN,
        ),
    }

    def build(self, config: Config, vocab_size: int) -> WaveNet:
        return WaveNet(vocab_size, config.shape)

    def describe(self, config: Config) -> str:
        s = config.shape
        return f"ctx {s.block_size} emb {s.n_embd} {s.levels} levels of {s.n_hidden}" + (
            self.extras(config)
        )

    def memory_needed(self, config: Config, vocab_size: int, train_examples: int) -> int:
        """Its weights about 8 times (see Family) and one batch's activations: a level's
        values, normalised values and tanh, forward and backward."""
        s = config.shape
        weights = (
            vocab_size * s.n_embd
            + 2 * s.n_embd * s.n_hidden
            + (s.levels - 1) * 2 * s.n_hidden * s.n_hidden
            + (s.n_hidden + 1) * vocab_size
        )
        batch = config.run.batch_size or FULL_BATCH_CHUNK
        activations = batch * (s.block_size * s.n_embd + 3 * s.block_size * s.n_hidden + vocab_size)
        return 4 * (8 * weights + 4 * activations)

    def eval_width(self, config: Config, vocab_size: int) -> int:
        s = config.shape
        return max(vocab_size, s.block_size * s.n_embd, s.block_size // 2 * s.n_hidden)

"""What the families that read whole items share (makemore's RNN, GRU, bag of words and
Transformer): a context length, an embedding, dropout and an ngram prior as settings; what
they can show; their sizing for the data; and sampling that keeps its state between letters
(Model.sampler), so that a name of n letters costs n steps of the model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from engine.config import FULL_BATCH_CHUNK, RunConfig, Settings, setting
from engine.dataset import DataSize
from engine.families.base import Config, Preset, SequenceModel
from engine.families.mlp import (
    SizedNet,
    dropout_rate,
    embedding_size,
    prior_order_setting,
    prior_problems,
)
from engine.protocol import Capability

# What sampling calls for the next letter of some rows (Model.sampler)
NextLogits = Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]


# The longest context a preset fits to the data: attention's cost grows with its square.
FITTED_CONTEXT_MAX = 64


def context_length(default: int = 0) -> int:
    return setting(
        default,
        0,
        256,
        new_model=True,
        help="positions it reads at once: a longer item is trained on in pieces of this many; "
        f"0: the longest item and its end, up to {FITTED_CONTEXT_MAX}",
    )


@dataclass(frozen=True)
class SequenceShape(Settings):
    """The shape of makemore's RNN, GRU and bag of words (n_embd2 in makemore is n_hidden)."""

    block_size: int = context_length()
    n_embd: int = embedding_size(64)
    n_hidden: int = setting(
        64,
        1,
        100_000,
        new_model=True,
        help="units of its state (the bag of words': of its hidden layer): more learns more, "
        "and overfits a short list sooner",
    )
    dropout: float = dropout_rate()
    prior_order: int = prior_order_setting()

    def joint_problems(self) -> list[str]:
        return prior_problems(self)


# The presets' val, test and samples come from their weights averaged over about the last
# 1,000 steps: at makemore's constant rate that gains what a decay would, without changing
# its training (`average 0`: the weights as they train, as makemore measures them).
AVERAGE = 0.999


def makemore_run(**values: object) -> RunConfig:
    """makemore.py's training: AdamW at 5e-4, betas 0.9 and 0.99, weight decay 0.01, batches
    of 32 items, the rate never lowered."""
    return RunConfig(
        **{
            "batch_size": 32,
            "optimizer": "adamw",
            "learning_rate": 5e-4,
            "lr_schedule": "constant",
            "beta2": 0.99,
            "weight_decay": 0.01,
            **values,
        }
    )


def sized_run(**values: object) -> RunConfig:
    """The run of the presets sized for the data: makemore's AdamW, but a cosine decay over
    epochs sized by the data and the weights averaged for val, as the MLP's default."""
    return makemore_run(
        **{
            "learning_rate": 3e-3,
            "lr_schedule": "cosine",
            "lr_min": 1e-4,
            "epochs": 10,
            "weight_decay": 0.05,
            "average": AVERAGE,
            "fit_data": True,
            **values,
        }
    )


def shape_presets(makemore: str) -> dict[str, Preset]:
    """The presets of a family of SequenceShape (the RNN, the GRU, the bag of words):
    makemore's (`makemore`: what it is, in a few words), and one sized for the data."""
    return {
        "makemore": Preset(
            f"makemore's: {makemore}, AdamW 5e-4, batches of 32 names, weights averaged",
            SequenceShape(),
            makemore_run(average=AVERAGE),
        ),
        "default": Preset(
            "sized for the data, on top of the 5-gram counts",
            SequenceShape(n_hidden=256, dropout=0.1, prior_order=5),
            sized_run(),
        ),
    }


def quiet_head(head: nn.Linear) -> None:
    """Near-zero logits at the start, as every net here: the loss starts at ln|V| (or at
    its prior's), where torch's initial weights start makemore's Transformer at 3.44 on
    names.txt and microgpt's N(0, 0.08²) at 3.35."""
    nn.init.normal_(head.weight, std=0.01)
    if head.bias is not None:
        nn.init.zeros_(head.bias)


class StepModel(SequenceModel):
    """A sequence model whose sampling goes one letter at a time, keeping what it read: it
    says how to start a batch of names (start_sampling) and how to read the last letter
    (read_next); past its context length it reads the window again, as makemore."""

    dropout = 0.0

    def configure(self, shape: Settings) -> None:
        self.dropout = shape.dropout

    def drop(self, x: torch.Tensor) -> torch.Tensor:
        """Dropout while training, its masks drawn from the trainer's generator (not torch's
        global one, as nn.Dropout's), so that a run resumes exactly."""
        if not self.training or not self.dropout:
            return x
        keep = torch.rand(x.shape, generator=self.generator) >= self.dropout
        return x * keep / (1 - self.dropout)

    def start_sampling(self, n: int) -> object:
        """The state of n names before their first letter."""
        raise NotImplementedError

    def read_next(self, state: object, tokens: torch.Tensor, rows: torch.Tensor, position: int):
        """The logits (R, |V|) after these rows read their last token (at `position`)."""
        raise NotImplementedError

    def sampler(self, n: int) -> NextLogits:
        state = self.start_sampling(n)

        def next_logits(buffer: torch.Tensor, rows: torch.Tensor, position: int) -> torch.Tensor:
            if position >= self.block_size:
                return self.next_logits(buffer, rows, position)
            logits = self.read_next(
                state, buffer[rows, self.block_size - 1 + position], rows, position
            )
            return self.add_prior(logits, buffer[rows, position : self.block_size + position])

        return next_logits


class SequenceFamily(SizedNet):
    """A family of StepModels: what the nets share (SizedNet), but no hidden layers to look
    inside and no hand-written backward pass; its memory, by positions."""

    capabilities = frozenset({Capability.EMBEDDING, Capability.LEARNING_RATE})

    def for_items(self, config: Config, data: DataSize) -> Config:
        """A context of 0 becomes the longest item's and its end, as makemore's; the prior
        reads no more than it."""
        if config.shape.block_size:
            return config
        block_size = min(data.longest_item + 1, FITTED_CONTEXT_MAX)
        prior_order = min(config.shape.prior_order, block_size + 1)
        return config.with_values(block_size=block_size, prior_order=prior_order)

    def describe(self, config: Config) -> str:
        return self.shape_words(config.shape) + self.extras(config)

    def shape_words(self, shape: Settings) -> str:
        """Its shape in a few words."""
        raise NotImplementedError

    def memory_needed(self, config: Config, vocab_size: int, train_examples: int) -> int:
        """Its weights 8 times (see Family) and one batch's activations: every position's
        values in each layer, forward and backward, and its logits."""
        with torch.device("meta"):
            model = self.build(config, vocab_size)
            weights = sum(p.numel() for p in model.parameters())
        positions = (config.run.batch_size or FULL_BATCH_CHUNK) * config.shape.block_size
        activations = positions * (self.activation_width(config) + vocab_size)
        return 4 * (8 * weights + 4 * activations)

    def activation_width(self, config: Config) -> int:
        """Numbers a position keeps for the backward pass, all layers together."""
        return 16 * config.shape.n_embd

    def eval_width(self, config: Config, vocab_size: int) -> int:
        return vocab_size + self.activation_width(config)

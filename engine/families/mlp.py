"""The MLP of Bengio et al. 2003, as in makemore and the lectures: embed the context, tanh (or
ReLU) hidden layers, logits; with a backward pass written by hand, and an ngram prior."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from engine.config import FULL_BATCH_CHUNK, RunConfig, Settings, setting
from engine.dataset import DataSize
from engine.families.backward import (
    MINUS_ONE,
    HandBackward,
    ones,
    tanh_backward,
    threshold_backward,
)
from engine.families.base import Config, Family, Preset, Walk
from engine.families.ngram import fitting_order
from engine.families.norm import batch_norm, batch_norm_backward
from engine.protocol import Capability


class MLP(HandBackward):
    """Bengio et al. 2003 as in makemore: embed the context, tanh (or ReLU) hidden layers,
    logits; with BatchNorm (norm "batch") each layer's bias is BatchNorm's, after it, as in the
    lecture.

    Weights are (in, out) as in the lectures (h = tanh(x @ W + b)): on matrices this small,
    addmm on that layout is faster than on nn.Linear's transposed (out, in) one.
    """

    GAINS = {"tanh": 5 / 3, "relu": 2**0.5}  # Kaiming gains, as in the lectures

    def __init__(self, vocab_size: int, config: MLPShape) -> None:
        super().__init__()
        self.block_size = config.block_size
        self.activation, self.relu = config.activation, config.activation == "relu"
        self.norm = config.norm == "batch"
        self.configure(config)
        # Dropout's masks come from the trainer's generator, so that a run resumes exactly; the
        # prior is counted again from the data, never saved.
        widths = [config.block_size * config.n_embd] + [config.n_hidden] * config.n_layers
        self.embedding = nn.Parameter(torch.randn(vocab_size, config.n_embd))
        shapes = list(zip(widths, widths[1:], strict=False))
        if config.init == "seed":  # plain randn, as the seed post: logits in the tens
            self.weights = nn.ParameterList(torch.randn(a, b) for a, b in shapes)
            self.biases = nn.ParameterList(
                torch.zeros(b) if self.norm else torch.randn(b) for b in widths[1:]
            )
            self.out_weight = nn.Parameter(torch.randn(widths[-1], vocab_size))
            self.out_bias = nn.Parameter(torch.randn(vocab_size))
        else:
            gain = self.GAINS[config.activation]
            self.weights = nn.ParameterList(torch.randn(a, b) * gain / a**0.5 for a, b in shapes)
            self.biases = nn.ParameterList(torch.zeros(b) for b in widths[1:])
            # Near-zero logits at step 0: the loss starts at ln|V|.
            self.out_weight = nn.Parameter(torch.randn(widths[-1], vocab_size) * 0.01)
            self.out_bias = nn.Parameter(torch.zeros(vocab_size))
        units = widths[1:] if self.norm else []
        self.gains = nn.ParameterList(torch.ones(b) for b in units)  # BatchNorm's
        # Running estimates of each unit's mean and variance, for evaluation and sampling
        self.register_buffer("running_mean", torch.zeros(len(units), config.n_hidden))
        self.register_buffer("running_var", torch.ones(len(units), config.n_hidden))
        # The same parameters in plain tuples: iterating ParameterLists, and even reading a
        # parameter of a Module (0.4 µs), are a noticeable share of a small step.
        # load_state_dict copies into them in place, so the tuples stay valid.
        self._layers = tuple(zip(self.weights, self.biases, strict=True))
        self._gains = tuple(self.gains)
        self._ends = (self.embedding, self.out_weight, self.out_bias)
        self._params = tuple(self.parameters())

    def walk(self, idx: torch.Tensor, prior: torch.Tensor | None = None) -> Walk:
        """The forward pass with what each layer made: the one pass that forward(), the
        hand-written backward pass and the diagnostics all take."""
        embedding, out_weight, out_bias = self._ends
        dropout = self.dropout if self.training else 0.0
        inputs = [F.embedding(idx, embedding).flatten(1)]
        activations, masks, norms = [], [], []
        for layer, (weight, bias) in enumerate(self._layers):
            if self.norm:
                pre, normalized = batch_norm(
                    inputs[-1] @ weight,
                    self._gains[layer],
                    bias,
                    self.running_mean[layer],
                    self.running_var[layer],
                    self.training,
                    self.norm_momentum,
                )
                norms.append(normalized)
                h = torch.relu(pre) if self.relu else torch.tanh(pre)
            else:
                h = self.hidden(inputs[-1], weight, bias)
            activations.append(h)
            if dropout:
                keep = torch.rand(h.shape, generator=self.generator) >= dropout
                masks.append(keep)
                h = h * keep / (1 - dropout)
            inputs.append(h)
        logits = self.add_prior(torch.addmm(out_bias, inputs[-1], out_weight), idx, prior)
        return Walk(inputs, activations, masks, logits, norms)

    def hidden(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """One hidden layer's activations (before dropout)."""
        if self.relu:
            return torch.relu(torch.addmm(bias, x, weight))
        # tanh(z) as 2·sigmoid(2z) − 1: torch.tanh takes 15 µs on a batch of 32x200 here,
        # sigmoid 2 µs (bench/: MLP step).
        return torch.add(
            MINUS_ONE, torch.addmm(bias, x, weight, beta=2, alpha=2).sigmoid(), alpha=2
        )

    def hidden_backward(
        self, walk: Walk, dh: torch.Tensor, into: Sequence[torch.Tensor]
    ) -> torch.Tensor:
        # `into` follows parameters(): the three ends, then the layers' weights, their biases,
        # and BatchNorm's gains.
        n, n_layers = len(dh), len(self._layers)
        for layer in range(n_layers - 1, -1, -1):
            dh = self.dropout_backward(walk, dh, layer)
            # dh * (h > 0), or dh * (1 - h²), in one kernel each: what autograd calls
            if self.relu:
                dpre = threshold_backward(dh, walk.activations[layer], 0)
            else:
                dpre = tanh_backward(dh, walk.activations[layer])
            if self.norm:
                dpre, dgain, dbias = batch_norm_backward(
                    dpre, walk.norms[layer], self._gains[layer]
                )
                into[3 + 2 * n_layers + layer].add_(dgain)
                into[3 + n_layers + layer].add_(dbias)
            else:
                into[3 + n_layers + layer].addmv_(dpre.t(), ones(n))
            dh = F.linear(dpre, self._layers[layer][0])
            into[3 + layer].addmm_(walk.inputs[layer].t(), dpre)
        return dh


def embedding_size(default: int) -> int:
    return setting(
        default,
        1,
        1_000_000,
        new_model=True,
        help="numbers in each character's vector: more can tell characters apart in more ways",
    )


def dropout_rate() -> float:
    return setting(
        0.0,
        0,
        1,
        below=True,
        rule="from 0 to below 1",
        help="the share of units zeroed at each step: more fights overfitting, slows learning",
    )


def prior_order_setting() -> int:
    return setting(
        0,
        new_model=True,
        help="the logits start from an ngram of this order: the net learns what the counts "
        "miss (0: none)",
    )


def norm_statistics() -> str:
    return setting(
        "running",
        choices=("running", "calibrated"),
        help="BatchNorm's statistics for val and samples: running: kept while training; "
        "calibrated: measured afresh on training examples (averaged weights always are)",
    )


def backward_pass() -> str:
    """Written by hand (HandBackward) or by autograd: the same gradients to float precision."""
    return setting(
        "manual",
        choices=("manual", "autograd"),
        help="the backward pass: written by hand, or torch's autograd; the same gradients",
    )


@dataclass(frozen=True)
class MLPShape(Settings):
    block_size: int = setting(
        3,
        1,
        64,
        new_model=True,
        help="characters of context it reads: more sees further back, with more weights to learn",
    )
    n_embd: int = embedding_size(10)
    n_hidden: int = setting(
        200,
        1,
        1_000_000,
        new_model=True,
        help="units in each hidden layer: wider learns more, and overfits a short list sooner",
    )
    n_layers: int = setting(
        1, 1, 16, new_model=True, help="hidden layers: deeper is slower and harder to start"
    )
    activation: str = setting(
        "tanh",
        choices=("tanh", "relu"),
        new_model=True,
        help="tanh: the lectures' (saturates at ±1); relu: the seed post's (a unit at 0 "
        "learns nothing)",
    )
    init: str = setting(
        "scaled",
        choices=("scaled", "seed"),
        new_model=True,
        help="scaled: weights by the Kaiming gain, the loss starts at ln|V|; seed: plain "
        "randn, as the post, far above",
    )
    dropout: float = dropout_rate()
    norm: str = setting(
        "none",
        choices=("none", "batch"),
        new_model=True,
        help="batch: BatchNorm, each unit normalised over the batch before its activation, "
        "which keeps tanh off its flat ends whatever the init; none: as the post",
    )
    norm_stats: str = norm_statistics()
    prior_order: int = prior_order_setting()
    gradients: str = backward_pass()

    def joint_problems(self) -> list[str]:
        return prior_problems(self)


def prior_problems(shape: Settings) -> list[str]:
    """The prior's order against the context: a window net's prior reads at most its context
    (one fitted to the items, 0, lowers the prior with it: SequenceFamily.for_items)."""
    high = shape.block_size + 1 if shape.block_size else math.inf
    if shape.prior_order and not 2 <= shape.prior_order <= high:
        return [
            f"prior_order must be 0 (none) or from 2 to block_size + 1, not {shape.prior_order}"
        ]
    return []


def adamw_run(**values: object) -> RunConfig:
    """The run of the sized presets: AdamW, cosine decay, averaged weights, sized by the data."""
    return RunConfig(
        optimizer="adamw", lr_schedule="cosine", average=0.999, fit_data=True, **values
    )


class SizedNet(Family):
    """What the nets with embeddings, dropout and an ngram prior share (the MLP, the
    WaveNet, and the sequence families): what they can show, their prior, their sizing for
    the data, and the end of their description."""

    capabilities = frozenset(
        {
            Capability.EMBEDDING,
            Capability.DIAGNOSTICS,
            Capability.HAND_GRADIENTS,
            Capability.LEARNING_RATE,
        }
    )
    default_preset = "default"

    def prior_order(self, shape: Settings) -> int:
        return shape.prior_order

    def for_data(self, config: Config, data: DataSize) -> Config:
        """Small data gets a smaller net, more regularisation, more passes."""
        # 0 at names.txt, -2.3 at 1k; at most 1 (2M): a bigger net than that is slow to watch.
        scale = min(1.0, math.log10(max(data.examples, 1000) / 200_000))
        s, run = config.shape, config.run
        heads = getattr(s, "n_head", 1)  # a Transformer's width splits among its heads
        sized = {
            "n_embd": max(8, round(s.n_embd * 2 ** (scale / 2) / heads) * heads),
            "dropout": round(min(0.5, max(0.0, s.dropout - 0.1 * scale)), 2),
            "weight_decay": min(10.0, float(f"{run.weight_decay * 10 ** (-scale):.2g}")),
            "epochs": round(run.epochs * 10 ** (-scale / 2)),
        }
        if "n_hidden" in s.names():
            sized["n_hidden"] = max(64, round(s.n_hidden * 2**scale))
        return config.with_values(**sized)

    def for_vocab(self, config: Config, vocab_size: int) -> Config:
        order = fitting_order(config.shape.prior_order, vocab_size)
        return (
            config if order == config.shape.prior_order else config.with_values(prior_order=order)
        )

    @staticmethod
    def extras(config: Config) -> str:
        """Its dropout and prior, where it has them, then the run's values."""
        s = config.shape
        prior = f" on a {s.prior_order}-gram" if s.prior_order else ""
        dropout = f" dropout {s.dropout:g}" if s.dropout else ""
        return f"{dropout}{prior}, {config.run.describe()}"


# The run of the default presets: sized for the data and started from the 5-gram counts
SIZED_RUN = adamw_run(batch_size=64, learning_rate=3e-3, lr_min=3e-4, epochs=10, weight_decay=0.01)


class MLPFamily(SizedNet):
    name = "mlp"
    summary = (
        "Bengio et al. 2003: a context of characters, embeddings, tanh layers; by default it "
        "starts from the ngram's counts and learns what they miss, sized to the data"
    )
    Shape = MLPShape
    presets = {
        # The seed post's network exactly: 2-D embeddings, a ReLU layer of 100, plain randn
        # weights (a loss that starts far above ln|V|), full-batch descent at 0.1 for 1000 steps.
        "seed": Preset(
            "the seed post's net: a huge first loss (random init), and it ends worse than counting",
            MLPShape(n_embd=2, n_hidden=100, activation="relu", init="seed"),
            RunConfig(batch_size=0, lr_schedule="constant", decay_steps=1000, steps=1000),
        ),
        # The same small net made trainable: tanh, scaled init, minibatches of 32.
        "small": Preset(
            "the same net made trainable: scaled init and minibatches, 2-D embeddings to watch",
            MLPShape(n_embd=2, n_hidden=100),
            RunConfig(decay_steps=100_000),
        ),
        "lecture": Preset(
            "the lecture's MLP: context 3, embedding 10, SGD 0.1 then 0.01",
            MLPShape(),
            RunConfig(),
        ),
        # The lecture's part 3: the same MLP with BatchNorm, its 200,000 steps.
        "batchnorm": Preset(
            "the lecture's MLP with BatchNorm: each unit kept near mean 0, std 1 before tanh",
            MLPShape(norm="batch"),
            RunConfig(steps=200_000),
        ),
        # Stronger and faster: longer context, AdamW, cosine decay (figures in the README).
        "default": Preset(
            "a net sized for the data, on top of the 5-gram counts: it beats them",
            MLPShape(block_size=6, n_embd=16, n_hidden=256, prior_order=5),
            SIZED_RUN,
        ),
        # The strongest: context 8, two tanh layers (figures in the README).
        "strong": Preset(
            "deeper and longer: the best this app reaches",
            MLPShape(block_size=8, n_embd=24, n_hidden=256, n_layers=2, prior_order=5),
            adamw_run(batch_size=512, learning_rate=4e-3, lr_min=1e-4, epochs=60, weight_decay=0.1),
        ),
    }

    def build(self, config: Config, vocab_size: int) -> MLP:
        return MLP(vocab_size, config.shape)

    def describe(self, config: Config) -> str:
        s = config.shape
        init = " randn init" if s.init == "seed" else ""
        norm = " batchnorm" if s.norm == "batch" else ""
        return (
            f"ctx {s.block_size} emb {s.n_embd} hidden {s.n_layers}x{s.n_hidden} "
            f"{s.activation}{norm}{init}{self.extras(config)}"
        )

    def memory_needed(self, config: Config, vocab_size: int, train_examples: int) -> int:
        """Its weights about 8 times (see Family) and one batch's activations, forward and
        backward."""
        s = config.shape
        inputs, hidden = s.block_size * s.n_embd, s.n_hidden
        weights = (
            vocab_size * s.n_embd
            + (inputs + 1) * hidden
            + (s.n_layers - 1) * (hidden + 1) * hidden
            + (hidden + 1) * vocab_size
        )
        batch = config.run.batch_size or FULL_BATCH_CHUNK
        activations = batch * (inputs + s.n_layers * hidden + vocab_size)
        return 4 * (8 * weights + 4 * activations)

    def eval_width(self, config: Config, vocab_size: int) -> int:
        s = config.shape
        return max(vocab_size, s.n_hidden, s.block_size * s.n_embd)

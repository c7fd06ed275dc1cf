"""The Transformer of makemore (GPT-2's, small) and of microgpt: token and position
embeddings, blocks of causal self-attention and a feed-forward layer on a residual stream,
logits at every position of the item."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from engine.config import Settings, setting
from engine.dataset import BOUNDARY
from engine.families.base import Config, Preset
from engine.families.mlp import dropout_rate, embedding_size, prior_order_setting, prior_problems
from engine.families.sequence import (
    AVERAGE,
    SequenceFamily,
    StepModel,
    context_length,
    makemore_run,
    quiet_head,
    sized_run,
)
from engine.protocol import Capability
from engine.words import counted

# microgpt's initial weights: every matrix N(0, 0.08²)
MICROGPT_STD = 0.08


@dataclass
class KeysAndValues:
    """What sampling keeps of the names read so far: each layer's keys and values at every
    position (n, heads, block_size, head size), and which names and position it is at."""

    keys: list[torch.Tensor]
    values: list[torch.Tensor]
    rows: torch.Tensor | None = None
    position: int = 0


# torch's CPU softmax takes a slow path on rows shorter than a vector register (16 floats with
# AVX-512): attention pads its rows, and the keys and values under them, to at least this many.
ATTENTION_MIN_WIDTH = 16


class Items:
    """A batch of items (B, T) whose positions past an item's end (padding: a boundary
    after the first position, Examples.segment_batch) are left out: every layer but
    attention works on the N real positions alone, (N, C); attention on (B, width, C), its
    rows padded to at least ATTENTION_MIN_WIDTH."""

    def __init__(self, idx: torch.Tensor) -> None:
        B, T = self.shape = idx.shape
        self.width = max(T, ATTENTION_MIN_WIDTH)
        real = idx != BOUNDARY
        real[:, 0] = True
        self.rows = None if bool(real.all()) else real.flatten().nonzero().squeeze(1)
        self.wide_rows = self.rows
        if self.width > T:
            self.wide_rows = F.pad(real, (0, self.width - T)).flatten().nonzero().squeeze(1)

    def pack(self, x: torch.Tensor, wide: bool = False) -> torch.Tensor:
        """(B, T, k), or with `wide` (B, width, k), to the real positions' (N, k)."""
        rows = self.wide_rows if wide else self.rows
        x = x.reshape(-1, x.shape[-1])
        return x if rows is None else x.index_select(0, rows)

    def unpack(self, x: torch.Tensor, wide: bool = False) -> torch.Tensor:
        """(N, k) back to (B, T, k), or with `wide` (B, width, k), zeros at the padding."""
        B, T = self.shape
        rows, length = (self.wide_rows, self.width) if wide else (self.rows, T)
        if rows is not None:
            x = x.new_zeros(B * length, x.shape[-1]).index_copy_(0, rows, x)
        return x.view(B, length, x.shape[-1])


class CausalSelfAttention(nn.Module):
    """Each position's heads weigh it and the positions before it: a softmax over scaled
    dot products of queries and keys, the future masked. Written out (baddbmm, softmax,
    bmm), as the weights a learner watches are the ones it uses; at these sizes that beats
    F.scaled_dot_product_attention here (bench/: attention kernel)."""

    def __init__(self, shape: TransformerShape) -> None:
        super().__init__()
        bias = shape.variant == "gpt2"
        self.n_head = shape.n_head
        self.qkv = nn.Linear(shape.n_embd, 3 * shape.n_embd, bias=bias)
        self.proj = nn.Linear(shape.n_embd, shape.n_embd, bias=bias)
        self._masks: dict[int, torch.Tensor] = {}

    def forward(
        self,
        x: torch.Tensor,
        items: Items | None = None,
        drop: Callable[[torch.Tensor], torch.Tensor] | None = None,
        cache: KeysAndValues | None = None,
        layer: int = 0,
        maps: list[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """x: the real positions (N, C) of `items`, or with a cache one new position of
        some names (R, C); `drop`: the model's dropout."""
        C = x.shape[-1]
        head = C // self.n_head
        qkv = self.qkv(x)
        if cache is not None:  # one new position of some names: it sees every kept one
            q, k, v = qkv.view(-1, 3, self.n_head, head).unbind(1)  # (R, heads, head)
            keys, values, at = cache.keys[layer], cache.values[layer], cache.position
            keys[cache.rows, :, at], values[cache.rows, :, at] = k, v
            k, v = keys[cache.rows, :, : at + 1], values[cache.rows, :, : at + 1]
            weights = (k @ q[..., None] * head**-0.5).softmax(2)  # (R, heads, at + 1, 1)
            return self.proj((weights * v).sum(2).reshape(-1, C))
        B, T = items.shape
        W = items.width
        q, k, v = (
            items.unpack(qkv, wide=True)
            .view(B, W, 3, self.n_head, head)
            .permute(2, 0, 3, 1, 4)
            .flatten(1, 2)
        )  # each (B * heads, W, head)
        weights = torch.baddbmm(self._mask(W), q, k.transpose(1, 2), alpha=head**-0.5).softmax(-1)
        if maps is not None:
            maps.append(weights.view(B, self.n_head, W, W)[:, :, :T, :T])
        weights = drop(weights)
        y = weights.bmm(v).view(B, self.n_head, W, head).transpose(1, 2)
        return self.proj(items.pack(y.reshape(B, W, C), wide=True))

    def _mask(self, T: int) -> torch.Tensor:
        """-inf above the diagonal: no position looks ahead."""
        if T not in self._masks:
            self._masks[T] = torch.full((T, T), float("-inf")).triu(1)
        return self._masks[T]


class Block(nn.Module):
    """Attention, then a feed-forward layer 4x wider, each after a norm and added back."""

    def __init__(self, shape: TransformerShape) -> None:
        super().__init__()
        gpt2 = shape.variant == "gpt2"
        self.ln_1, self.ln_2 = (nn.LayerNorm(shape.n_embd) if gpt2 else RMSNorm() for _ in "12")
        self.attn = CausalSelfAttention(shape)
        self.fc = nn.Linear(shape.n_embd, 4 * shape.n_embd, bias=gpt2)
        self.fc_proj = nn.Linear(4 * shape.n_embd, shape.n_embd, bias=gpt2)
        # GPT-2's GELU is the tanh form, as makemore's
        self.activation = partial(F.gelu, approximate="tanh") if gpt2 else F.relu

    def forward(
        self, x: torch.Tensor, drop: Callable[[torch.Tensor], torch.Tensor], **attention: object
    ) -> torch.Tensor:
        x = x + drop(self.attn(self.ln_1(x), drop=drop, **attention))
        return x + drop(self.fc_proj(self.activation(self.fc(self.ln_2(x)))))


class RMSNorm(nn.Module):
    """microgpt's: each vector divided by its root mean square, with no gain."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.rms_norm(x, (x.shape[-1],), eps=1e-5)


class Transformer(StepModel):
    """gpt2: makemore's, exactly as GPT-2 (LayerNorm with gains and biases, biases, GELU,
    a last LayerNorm, torch's initial weights); microgpt: RMSNorm without gains after the
    embedding and before each layer, no biases, ReLU, no last norm, N(0, 0.08²) weights. The
    output layer is its own matrix in both."""

    def __init__(self, vocab_size: int, shape: TransformerShape) -> None:
        super().__init__()
        self.block_size, self.n_head = shape.block_size, shape.n_head
        self.configure(shape)
        self.wte = nn.Embedding(vocab_size, shape.n_embd)
        self.wpe = nn.Embedding(shape.block_size, shape.n_embd)
        self.blocks = nn.ModuleList(Block(shape) for _ in range(shape.n_layer))
        gpt2 = shape.variant == "gpt2"
        self.norm_in = nn.Identity() if gpt2 else RMSNorm()
        self.ln_f = nn.LayerNorm(shape.n_embd) if gpt2 else nn.Identity()
        self.lm_head = nn.Linear(shape.n_embd, vocab_size, bias=False)
        if not gpt2:
            for p in self.parameters():
                nn.init.normal_(p, std=MICROGPT_STD)
        quiet_head(self.lm_head)

    def forward(
        self,
        idx: torch.Tensor,
        prior: torch.Tensor | None = None,
        maps: list[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        items = Items(idx)
        x = self.norm_in(items.pack(self.wte(idx) + self.wpe.weight[: idx.shape[1]]))
        for block in self.blocks:
            x = block(x, self.drop, items=items, maps=maps)
        logits = items.unpack(self.lm_head(self.ln_f(x)))
        return logits if prior is None else logits + prior

    def attention_maps(self, idx: torch.Tensor) -> list[torch.Tensor]:
        maps: list[torch.Tensor] = []
        with torch.no_grad():
            self.forward(idx, maps=maps)
        return maps

    def embedding_table(self) -> torch.Tensor:
        return self.wte.weight

    def start_sampling(self, n: int) -> KeysAndValues:
        head = self.wte.embedding_dim // self.n_head
        empty = [torch.zeros(n, self.n_head, self.block_size, head) for _ in self.blocks]
        return KeysAndValues(empty, [t.clone() for t in empty])

    def read_next(
        self, state: KeysAndValues, tokens: torch.Tensor, rows: torch.Tensor, position: int
    ) -> torch.Tensor:
        state.rows, state.position = rows, position
        x = self.norm_in(self.wte(tokens) + self.wpe.weight[position])
        for layer, block in enumerate(self.blocks):
            x = block(x, self.drop, cache=state, layer=layer)
        return self.lm_head(self.ln_f(x))


@dataclass(frozen=True)
class TransformerShape(Settings):
    block_size: int = context_length()
    n_layer: int = setting(
        4, 1, 32, new_model=True, help="blocks of attention and feed-forward, one on another"
    )
    n_head: int = setting(
        4,
        1,
        64,
        new_model=True,
        help="heads per layer, each its own look back over the item; n_embd splits among them",
    )
    n_embd: int = embedding_size(64)
    variant: str = setting(
        "gpt2",
        choices=("gpt2", "microgpt"),
        new_model=True,
        help="gpt2: makemore's (LayerNorm, biases, GELU); microgpt: RMSNorm, no biases, ReLU",
    )
    dropout: float = dropout_rate()
    prior_order: int = prior_order_setting()

    def joint_problems(self) -> list[str]:
        if self.n_embd % self.n_head:
            return [f"n_embd ({self.n_embd}) must be a multiple of n_head ({self.n_head})"]
        return prior_problems(self)


class TransformerFamily(SequenceFamily):
    name = "transformer"
    capabilities = SequenceFamily.capabilities | {Capability.ATTENTION}
    summary = (
        "makemore's GPT: each letter's heads look back over the whole name (attention), "
        "layer after layer"
    )
    Shape = TransformerShape
    presets = {
        "makemore": Preset(
            "makemore's default: 4 layers of 4 heads, 64 wide, AdamW 5e-4, batches of 32 names, "
            "weights averaged",
            TransformerShape(),
            makemore_run(average=AVERAGE),
        ),
        "microgpt": Preset(
            "Karpathy's microgpt: 1 layer of 4 heads, 16 wide, 1,000 steps of one name; "
            "it sampled at temperature 0.5 (p sets it)",
            TransformerShape(block_size=16, n_layer=1, n_embd=16, variant="microgpt"),
            makemore_run(
                batch_size=1,
                learning_rate=0.01,
                lr_schedule="linear",
                lr_min=0.0,
                decay_steps=1000,
                beta1=0.85,
                weight_decay=0.0,
                steps=1000,
            ),
        ),
        "default": Preset(
            "3 layers of 4 heads sized for the data, on top of the 5-gram counts",
            TransformerShape(n_layer=3, dropout=0.1, prior_order=5),
            sized_run(learning_rate=2e-3, epochs=30),
        ),
    }

    def build(self, config: Config, vocab_size: int) -> Transformer:
        return Transformer(vocab_size, config.shape)

    def shape_words(self, shape: Settings) -> str:
        variant = " microgpt" if shape.variant == "microgpt" else ""
        layers, heads = counted(shape.n_layer, "layer"), counted(shape.n_head, "head")
        return f"{layers} {heads} {shape.n_embd} wide ctx {shape.block_size}{variant}"

    def activation_width(self, config: Config) -> int:
        s = config.shape
        return s.n_layer * (16 * s.n_embd + 2 * s.n_head * s.block_size)

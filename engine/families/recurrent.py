"""makemore's recurrent nets: one cell read letter after letter, its state carried from each
letter to the next (with the wiring of makemore's PR #3: the previous letter's state, not the
start's), the logits read off the state. The RNN's cell is one tanh layer; the GRU's has a
reset gate and an update gate."""

from __future__ import annotations

import torch
import torch.nn.functional as F
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
from engine.protocol import Capability


class RNNCell(nn.Module):
    """h = tanh(W [x, h_prev] + b), makemore's cell. Its input's share, W_x x + b, is
    computed for every letter at once (inputs), before the loop over the letters (step)."""

    def __init__(self, n_embd: int, n_hidden: int) -> None:
        super().__init__()
        self.n_embd = n_embd
        self.xh_to_h = nn.Linear(n_embd + n_hidden, n_hidden)

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.xh_to_h.weight[:, : self.n_embd], self.xh_to_h.bias)

    def state_weights(self) -> tuple[torch.Tensor, ...]:
        """The weights on the previous state, (n_hidden, n_hidden) transposed, taken once per
        pass rather than at every letter."""
        return (self.xh_to_h.weight[:, self.n_embd :].t(),)

    def step(
        self,
        pre: torch.Tensor,
        h: torch.Tensor,
        weights: tuple[torch.Tensor, ...],
        gates: list | None = None,
    ) -> torch.Tensor:
        return torch.tanh(torch.addmm(pre, h, weights[0]))


class GRUCell(nn.Module):
    """makemore's: the reset gate r wipes some of the state before the candidate is made;
    the update gate z blends the old state and the candidate, unit by unit. As the RNN's,
    the inputs' shares of all three are computed for every letter at once."""

    def __init__(self, n_embd: int, n_hidden: int) -> None:
        super().__init__()
        self.n_embd = n_embd
        self.xh_to_z = nn.Linear(n_embd + n_hidden, n_hidden)
        self.xh_to_r = nn.Linear(n_embd + n_hidden, n_hidden)
        self.xh_to_hbar = nn.Linear(n_embd + n_hidden, n_hidden)

    def _layers(self) -> tuple[nn.Linear, nn.Linear, nn.Linear]:
        return self.xh_to_r, self.xh_to_z, self.xh_to_hbar

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        """W_x x + b of r, z and the candidate, side by side (..., 3 n_hidden)."""
        weight = torch.cat([layer.weight[:, : self.n_embd] for layer in self._layers()])
        return F.linear(x, weight, torch.cat([layer.bias for layer in self._layers()]))

    def state_weights(self) -> tuple[torch.Tensor, ...]:
        """r's and z's weights on the state side by side, and the candidate's."""
        rz = torch.cat([self.xh_to_r.weight, self.xh_to_z.weight])[:, self.n_embd :]
        return rz.t(), self.xh_to_hbar.weight[:, self.n_embd :].t()

    def step(
        self,
        pre: torch.Tensor,
        h: torch.Tensor,
        weights: tuple[torch.Tensor, ...],
        gates: list | None = None,
    ) -> torch.Tensor:
        x_rz, x_hbar = pre.split([2 * h.shape[1], h.shape[1]], 1)
        r, z = torch.sigmoid(torch.addmm(x_rz, h, weights[0])).chunk(2, 1)
        hbar = torch.tanh(torch.addmm(x_hbar, r * h, weights[1]))
        if gates is not None:
            gates.append(torch.stack([r, z]))
        return torch.lerp(h, hbar, z)  # (1 - z) h + z hbar


class Recurrent(StepModel):
    """Embed each letter, run the cell along the item from a learnt start state, and read
    the logits off each state."""

    def __init__(self, vocab_size: int, shape: SequenceShape, cell: type[nn.Module]) -> None:
        super().__init__()
        self.block_size = shape.block_size
        self.start = nn.Parameter(torch.zeros(1, shape.n_hidden))
        self.wte = nn.Embedding(vocab_size, shape.n_embd)
        self.cell = cell(shape.n_embd, shape.n_hidden)
        self.configure(shape)
        self.lm_head = nn.Linear(shape.n_hidden, vocab_size)
        quiet_head(self.lm_head)

    def states(self, idx: torch.Tensor, gates: list | None = None) -> torch.Tensor:
        """The state after each letter (B, T, n_hidden); a GRU's gates, r and z as one
        (2, B, n_hidden), appended to `gates` letter by letter."""
        pre = self.cell.inputs(self.wte(idx))
        weights = self.cell.state_weights()
        h = self.start.expand(len(idx), -1)
        hiddens = []
        # unbind: one gradient for all the letters, where pre[:, t] made a zeroed copy of
        # the whole batch for each
        for pre_t in pre.unbind(1):
            h = self.cell.step(pre_t, h, weights, gates)
            hiddens.append(h)
        return torch.stack(hiddens, 1)

    def forward(self, idx: torch.Tensor, prior: torch.Tensor | None = None) -> torch.Tensor:
        logits = self.lm_head(self.drop(self.states(idx)))
        return logits if prior is None else logits + prior

    def embedding_table(self) -> torch.Tensor:
        return self.wte.weight

    def start_sampling(self, n: int) -> torch.Tensor:
        return self.start.detach().expand(n, -1).clone()

    def read_next(
        self, state: torch.Tensor, tokens: torch.Tensor, rows: torch.Tensor, position: int
    ) -> torch.Tensor:
        pre = self.cell.inputs(self.wte(tokens))
        h = self.cell.step(pre, state[rows], self.cell.state_weights())
        state[rows] = h
        return self.lm_head(h)


class RecurrentFamily(SequenceFamily):
    """The RNN and the GRU: the same net around another cell."""

    Shape = SequenceShape
    capabilities = SequenceFamily.capabilities | {Capability.STATES}
    cell: type[nn.Module]
    presets = shape_presets("embedding 64, a state of 64")

    def build(self, config: Config, vocab_size: int) -> Recurrent:
        return Recurrent(vocab_size, config.shape, self.cell)

    def shape_words(self, shape: Settings) -> str:
        return f"emb {shape.n_embd} state {shape.n_hidden} ctx {shape.block_size}"

    def activation_width(self, config: Config) -> int:
        s = config.shape
        return 8 * (s.n_embd + s.n_hidden)


class RNNFamily(RecurrentFamily):
    name = "rnn"
    summary = "makemore's RNN: one tanh layer read letter after letter, carrying its state"
    cell = RNNCell


class GRUFamily(RecurrentFamily):
    name = "gru"
    summary = "makemore's GRU: an RNN whose gates choose what of its state to keep or replace"
    cell = GRUCell

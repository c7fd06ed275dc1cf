"""makemore.py's Transformer and recurrent nets, rebuilt from their public definition for the
bench: the same layers, the same arithmetic (attention by an explicit mask and softmax, the
tanh form of GELU, the recurrent cell in a Python loop over the letters), items padded to the
longest name plus one, AdamW at 5e-4. Its training step is what the engine's is measured
against; nothing here is tuned."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

PAD_TARGET = -1  # makemore's ignore_index


def makemore_tensors(items: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """makemore's examples: x = 0, the item's tokens, then 0s; y = the tokens, 0, then -1;
    each as long as the longest item plus one. Tokens are 1-based, 0 the boundary."""
    block = max(len(item) for item in items) + 1
    x = torch.zeros(len(items), block, dtype=torch.long)
    y = torch.full((len(items), block), PAD_TARGET, dtype=torch.long)
    for i, item in enumerate(items):
        x[i, 1 : len(item) + 1] = torch.tensor(item)
        y[i, : len(item)] = torch.tensor(item)
        y[i, len(item)] = 0
    return x, y


class GELUTanh(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3.0)))


class MaskedSelfAttention(nn.Module):
    def __init__(self, n_embd: int, n_head: int, block_size: int) -> None:
        super().__init__()
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.register_buffer("mask", torch.tril(torch.ones(block_size, block_size))[None, None])
        self.n_head = n_head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.shape[-1])
        att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf")).softmax(-1)
        return self.c_proj((att @ v).transpose(1, 2).contiguous().view(B, T, C))


class TransformerBlock(nn.Module):
    def __init__(self, n_embd: int, n_head: int, block_size: int) -> None:
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(n_embd), nn.LayerNorm(n_embd)
        self.attn = MaskedSelfAttention(n_embd, n_head, block_size)
        self.c_fc, self.c_proj = nn.Linear(n_embd, 4 * n_embd), nn.Linear(4 * n_embd, n_embd)
        self.act = GELUTanh()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.c_proj(self.act(self.c_fc(self.ln_2(x))))


class MakemoreTransformer(nn.Module):
    def __init__(
        self, vocab_size: int, block_size: int, n_layer: int = 4, n_embd: int = 64, n_head: int = 4
    ) -> None:
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab_size, n_embd), nn.Embedding(block_size, n_embd)
        self.h = nn.ModuleList(TransformerBlock(n_embd, n_head, block_size) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(idx.shape[1])[None]
        x = self.wte(idx) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


class RNNCell(nn.Module):
    def __init__(self, n_embd: int, n_embd2: int) -> None:
        super().__init__()
        self.xh_to_h = nn.Linear(n_embd + n_embd2, n_embd2)

    def forward(self, xt: torch.Tensor, hprev: torch.Tensor) -> torch.Tensor:
        return F.tanh(self.xh_to_h(torch.cat([xt, hprev], dim=1)))


class GRUCell(nn.Module):
    def __init__(self, n_embd: int, n_embd2: int) -> None:
        super().__init__()
        self.xh_to_z = nn.Linear(n_embd + n_embd2, n_embd2)
        self.xh_to_r = nn.Linear(n_embd + n_embd2, n_embd2)
        self.xh_to_hbar = nn.Linear(n_embd + n_embd2, n_embd2)

    def forward(self, xt: torch.Tensor, hprev: torch.Tensor) -> torch.Tensor:
        xh = torch.cat([xt, hprev], dim=1)
        r = F.sigmoid(self.xh_to_r(xh))
        hbar = F.tanh(self.xh_to_hbar(torch.cat([xt, r * hprev], dim=1)))
        z = F.sigmoid(self.xh_to_z(xh))
        return (1 - z) * hprev + z * hbar


class MakemoreRecurrent(nn.Module):
    def __init__(self, vocab_size: int, cell: str, n_embd: int = 64, n_embd2: int = 64) -> None:
        super().__init__()
        self.start = nn.Parameter(torch.zeros(1, n_embd2))
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.cell = (RNNCell if cell == "rnn" else GRUCell)(n_embd, n_embd2)
        self.lm_head = nn.Linear(n_embd2, vocab_size)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        emb = self.wte(idx)
        hprev = self.start.expand((idx.shape[0], -1))
        hiddens = []
        for i in range(idx.shape[1]):
            hprev = self.cell(emb[:, i, :], hprev)  # PR #3: the previous letter's state
            hiddens.append(hprev)
        return self.lm_head(torch.stack(hiddens, 1))


class MakemoreLoop:
    """makemore's training step: a random batch of 32 items, the loss over every position
    but the padding, AdamW (5e-4, betas 0.9 and 0.99, eps 1e-8, weight decay 0.01)."""

    def __init__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> None:
        self.model, self.x, self.y = model, x, y
        self.optimizer = torch.optim.AdamW(
            model.parameters(), lr=5e-4, weight_decay=0.01, betas=(0.9, 0.99), eps=1e-8
        )

    def train_steps(self, steps: int, batch_size: int = 32) -> float:
        for _ in range(steps):
            ix = torch.randint(0, len(self.x), (batch_size,))
            logits = self.model(self.x[ix])
            loss = F.cross_entropy(
                logits.view(-1, logits.shape[-1]), self.y[ix].view(-1), ignore_index=PAD_TARGET
            )
            self.model.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
        return loss.item()

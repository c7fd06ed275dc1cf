"""The references: the plainest PyTorch a reader of the makemore lectures would write.

One name or one pair at a time, raw tensors, SGD. Nothing here is tuned; the engine is
measured against these in the same run.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def count_bigrams(words: list[str]) -> torch.Tensor:
    """The lecture's loop: N[ix1, ix2] += 1 for every pair of every name."""
    chars = sorted(set("".join(words)))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    N = torch.zeros((len(stoi), len(stoi)), dtype=torch.int32)
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:], strict=False):
            N[stoi[ch1], stoi[ch2]] += 1
    return N


class LectureMLP:
    """The lecture's MLP as raw tensors: C, W1, b1, W2, b2, trained by plain SGD."""

    def __init__(
        self, vocab_size: int, block_size: int, n_embd: int, n_hidden: int, seed: int = 2147483647
    ) -> None:
        g = torch.Generator().manual_seed(seed)
        self.block_size = block_size
        self.C = torch.randn((vocab_size, n_embd), generator=g)
        self.W1 = torch.randn((block_size * n_embd, n_hidden), generator=g)
        self.b1 = torch.randn(n_hidden, generator=g)
        self.W2 = torch.randn((n_hidden, vocab_size), generator=g)
        self.b2 = torch.randn(vocab_size, generator=g)
        self.parameters = [self.C, self.W1, self.b1, self.W2, self.b2]
        for p in self.parameters:
            p.requires_grad = True

    def logits(self, X: torch.Tensor) -> torch.Tensor:
        emb = self.C[X]
        h = torch.tanh(emb.view(-1, self.W1.shape[0]) @ self.W1 + self.b1)
        return h @ self.W2 + self.b2

    def train_steps(
        self, Xtr: torch.Tensor, Ytr: torch.Tensor, steps: int, lr: float, batch_size: int = 32
    ) -> float:
        for _ in range(steps):
            ix = torch.randint(0, Xtr.shape[0], (batch_size,))
            loss = F.cross_entropy(self.logits(Xtr[ix]), Ytr[ix])
            for p in self.parameters:
                p.grad = None
            loss.backward()
            for p in self.parameters:
                p.data += -lr * p.grad
        return loss.item()

    @torch.no_grad()
    def loss(self, X: torch.Tensor, Y: torch.Tensor) -> float:
        return F.cross_entropy(self.logits(X), Y).item()


@torch.no_grad()
def sample_one_at_a_time(next_logits, block_size: int, n: int, seed: int = 0) -> list[list[int]]:
    """The lecture's sampling loop: one name, one character at a time."""
    g = torch.Generator().manual_seed(seed)
    names = []
    for _ in range(n):
        out, context = [], [0] * block_size
        while True:
            probs = F.softmax(next_logits(torch.tensor([context])), dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            if ix == 0 or len(out) >= 32:
                break
            out.append(ix)
        names.append(out)
    return names

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


class InlinedMLP(LectureMLP):
    """The same MLP trained with the engine's kernels (its hand-written backward pass, tanh by
    sigmoid), written out in one function: no trainer, no model, no checks. The floor of this
    step in eager PyTorch: what is left is the kernels, and a call into torch for each."""

    @torch.no_grad()
    def train_steps(
        self, Xtr: torch.Tensor, Ytr: torch.Tensor, steps: int, lr: float, batch_size: int = 32
    ) -> float:
        C, W1, b1, W2, b2 = self.parameters
        minus_one, rows = torch.tensor(-1.0), torch.arange(batch_size)
        for _ in range(steps):
            ix = torch.randint(0, Xtr.shape[0], (batch_size,))
            X, Y = Xtr.index_select(0, ix), Ytr.index_select(0, ix)
            emb = F.embedding(X, C).view(batch_size, -1)
            h = torch.add(minus_one, torch.addmm(b1, emb, W1, beta=2, alpha=2).sigmoid(), alpha=2)
            logp = torch.addmm(b2, h, W2).log_softmax(1)
            loss = F.nll_loss(logp, Y)
            dlogits = logp.exp_()
            dlogits.index_put_((rows, Y), minus_one, accumulate=True)
            dlogits *= 1 / batch_size
            dpre = torch.ops.aten.tanh_backward(dlogits @ W2.t(), h)
            demb = (dpre @ W1.t()).view(-1, C.shape[1])
            dC = torch.zeros_like(C).index_add_(0, X.view(-1), demb)
            grads = [dC, emb.t() @ dpre, dpre.sum(0), h.t() @ dlogits, dlogits.sum(0)]
            torch._foreach_add_(self.parameters, grads, alpha=-lr)
        return loss.item()


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

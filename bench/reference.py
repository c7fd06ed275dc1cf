"""The references: the plainest PyTorch a reader of the makemore lectures would write.

One name or one pair at a time, raw tensors, SGD. Nothing here is tuned; the engine is
measured against these in the same run.
"""

from __future__ import annotations

from collections.abc import Callable

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


class LectureLoop:
    """The lectures' training loop: a random minibatch, autograd, p.data += -lr * p.grad."""

    parameters: list[torch.Tensor]

    def logits(self, X: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def train_steps(
        self, Xtr: torch.Tensor, Ytr: torch.Tensor, steps: int, lr: float, batch_size: int = 32
    ) -> float:
        """batch_size 0: every example at each step (the seed post's full batch)."""
        for _ in range(steps):
            if batch_size:
                ix = torch.randint(0, Xtr.shape[0], (batch_size,))
                loss = F.cross_entropy(self.logits(Xtr[ix]), Ytr[ix])
            else:
                loss = F.cross_entropy(self.logits(Xtr), Ytr)
            for p in self.parameters:
                p.grad = None
            loss.backward()
            for p in self.parameters:
                p.data += -lr * p.grad
        return loss.item()


class LectureMLP(LectureLoop):
    """The lecture's MLP as raw tensors: C, W1, b1, W2, b2, trained by plain SGD; with ReLU,
    the seed post's."""

    def __init__(
        self,
        vocab_size: int,
        block_size: int,
        n_embd: int,
        n_hidden: int,
        seed: int = 2147483647,
        activation: Callable[[torch.Tensor], torch.Tensor] = torch.tanh,
    ) -> None:
        g = torch.Generator().manual_seed(seed)
        self.block_size, self.activation = block_size, activation
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
        h = self.activation(emb.view(-1, self.W1.shape[0]) @ self.W1 + self.b1)
        return h @ self.W2 + self.b2

    @torch.no_grad()
    def loss(self, X: torch.Tensor, Y: torch.Tensor) -> float:
        return F.cross_entropy(self.logits(X), Y).item()


class LectureWaveNet(LectureLoop):
    """The lecture's part-5 network, as its notebook builds it: layer objects with a
    __call__ and a list of parameters (Embedding, FlattenConsecutive, Linear without bias,
    BatchNorm1d, Tanh), autograd, plain SGD."""

    def __init__(
        self, vocab_size: int, block_size: int = 8, n_embd: int = 24, n_hidden: int = 128
    ) -> None:
        layers: list[object] = [_Embedding(vocab_size, n_embd)]
        width = n_embd
        for _ in range(block_size.bit_length() - 1):
            layers += [
                _FlattenConsecutive(2),
                _Linear(2 * width, n_hidden),
                _BatchNorm1d(n_hidden),
                _Tanh(),
            ]
            width = n_hidden
        last = _Linear(n_hidden, vocab_size, bias=True)
        with torch.no_grad():
            last.weight *= 0.1
        self.layers = [*layers, last]
        self.parameters = [p for layer in self.layers for p in layer.parameters()]
        for p in self.parameters:
            p.requires_grad = True

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class _Layer:
    training = True

    def parameters(self) -> list[torch.Tensor]:
        return []


class _Embedding(_Layer):
    def __init__(self, num: int, dim: int) -> None:
        self.weight = torch.randn((num, dim))

    def __call__(self, ix: torch.Tensor) -> torch.Tensor:
        return self.weight[ix]

    def parameters(self) -> list[torch.Tensor]:
        return [self.weight]


class _FlattenConsecutive(_Layer):
    def __init__(self, n: int) -> None:
        self.n = n

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        x = x.view(B, T // self.n, C * self.n)
        return x.squeeze(1) if x.shape[1] == 1 else x


class _Linear(_Layer):
    def __init__(self, fan_in: int, fan_out: int, bias: bool = False) -> None:
        self.weight = torch.randn((fan_in, fan_out)) / fan_in**0.5
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        out = x @ self.weight
        return out + self.bias if self.bias is not None else out

    def parameters(self) -> list[torch.Tensor]:
        return [self.weight] + ([] if self.bias is None else [self.bias])


class _BatchNorm1d(_Layer):
    def __init__(self, dim: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        self.eps, self.momentum = eps, momentum
        self.gamma, self.beta = torch.ones(dim), torch.zeros(dim)
        self.running_mean, self.running_var = torch.zeros(dim), torch.ones(dim)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        dim = 0 if x.ndim == 2 else (0, 1)
        if self.training:
            xmean, xvar = x.mean(dim, keepdim=True), x.var(dim, keepdim=True)
        else:
            xmean, xvar = self.running_mean, self.running_var
        out = self.gamma * (x - xmean) / torch.sqrt(xvar + self.eps) + self.beta
        if self.training:
            with torch.no_grad():
                m = self.momentum
                self.running_mean = (1 - m) * self.running_mean + m * xmean.squeeze()
                self.running_var = (1 - m) * self.running_var + m * xvar.squeeze()
        return out

    def parameters(self) -> list[torch.Tensor]:
        return [self.gamma, self.beta]


class _Tanh(_Layer):
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x)


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

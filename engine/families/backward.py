"""A backward pass written by hand, as in the lecture "backprop ninja": what autograd gives, with
no graph to record. The loss, the output layer and the embedding are the same for every net
that has one (the MLP, the WaveNet); each writes its own hidden layers' pass."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from engine.config import Settings
from engine.families.base import Model, Walk
from engine.families.norm import MOMENTUM

MINUS_ONE = torch.tensor(-1.0)  # a tensor for the ops that take no number
# The overloads themselves: finding one by its arguments costs a quarter of the kernel.
tanh_backward = torch.ops.aten.tanh_backward.default
threshold_backward = torch.ops.aten.threshold_backward.default


class HandBackward(Model):
    """A net whose first three parameters are its embedding, output weight and output bias,
    whose shape has dropout and gradients, with a hand-written backward pass (by_hand)
    through its hidden layers (hidden_backward).
    It keeps parameters() in a plain tuple, _params: iterating a Module's costs a share of a
    small step (load_state_dict copies into the parameters in place: the tuple stays valid)."""

    by_hand = True
    dropout = 0.0
    _params: tuple[torch.Tensor, ...] = ()
    embedding: torch.Tensor
    running_mean: torch.Tensor  # BatchNorm's, a row per hidden layer: none without it
    norm_momentum = MOMENTUM  # how far a training step moves BatchNorm's running estimates

    def configure(self, shape: Settings) -> None:
        self.dropout, self.by_hand = shape.dropout, shape.gradients == "manual"
        self.calibrated = shape.norm_stats == "calibrated"

    @property
    def reads_context_alone(self) -> bool:  # type: ignore[override]
        return not self.dropout and not self.running_mean.numel()

    def embedding_table(self) -> torch.Tensor:
        return self.embedding.detach()

    def forward(self, idx: torch.Tensor, prior: torch.Tensor | None = None) -> torch.Tensor:
        """Logits; `prior` is the prior's log-probabilities of these contexts, when the caller
        has them at hand (the trainer keeps those of the training split)."""
        return self.walk(idx, prior).logits

    def calibrate(self, idx: torch.Tensor) -> None:
        """The lecture's calibration, after training: BatchNorm's running estimates set to
        these examples' own statistics, in one pass with no dropout (for weights that were
        not those of the steps, as an average's)."""
        if not self.running_mean.numel():  # no BatchNorm
            return
        dropout, training = self.dropout, self.training
        self.norm_momentum, self.dropout = 1.0, 0.0
        self.train()
        try:
            with torch.no_grad():
                self.walk(idx)
        finally:
            self.norm_momentum, self.dropout = MOMENTUM, dropout
            self.train(training)

    def hand_gradients(self) -> Callable[..., float] | None:
        return self.manual_gradients if self.by_hand else None

    def manual_gradients(
        self,
        idx: torch.Tensor,
        targets: torch.Tensor,
        prior: torch.Tensor | None = None,
        into: Sequence[torch.Tensor] | None = None,
        alpha: float = 1.0,
    ) -> float:
        """The mean cross-entropy of this batch; and unless it is NaN or inf, its gradients
        times `alpha`, added to `into`: a tensor for each of parameters(), in its order; by
        default their .grad, zeros where None. Given the parameters themselves and
        alpha = -lr, that is a plain SGD step, taken by the kernels that compute the
        gradients: no gradient is kept. `targets` may be each context's counts of them
        (B, |V|), as F.cross_entropy's probabilities (GradientStep.distinct_batches)."""
        if torch.is_grad_enabled():  # the trainer calls with it off: no_grad costs 1 µs a step
            with torch.no_grad():
                return self.manual_gradients(idx, targets, prior, into, alpha)
        params = self._params
        if into is None:
            for p in params:
                if p.grad is None:
                    p.grad = torch.zeros_like(p)
            into = [p.grad for p in params]
        n, (embedding, out_weight) = len(targets), params[:2]
        walk = self.walk(idx, prior)
        # The loss from log_softmax: a probability that underflows to 0 (the seed's init) has a
        # log that does not.
        logp = walk.logits.log_softmax(1)
        counted = targets.dim() == 2
        loss = (-(targets * logp).sum() / n if counted else F.nll_loss(logp, targets)).item()
        if not math.isfinite(loss):
            return loss
        # dloss/dlogits = (softmax - one-hot) / n, here times alpha: the gradients are linear
        # in it, and so come times alpha with no kernel of their own. With counts:
        # softmax times their sum, less them.
        dlogits = logp.exp_()
        if counted:
            dlogits.mul_(targets.sum(1, keepdim=True)).sub_(targets)
        else:
            dlogits.index_put_((rows(n), targets), MINUS_ONE, accumulate=True)
        dlogits *= scalar(alpha / n)
        # Each weight is used before its gradient is added: `into` may be the weights.
        dh = F.linear(dlogits, out_weight)  # dlogits @ out_weight.t(), with no call for .t()
        into[1].addmm_(walk.inputs[-1].t(), dlogits)
        into[2].addmv_(dlogits.t(), ones(n))  # the sum over examples, in one kernel
        dh = self.hidden_backward(walk, dh, into)
        # index_put_ rather than index_add_, which takes twice as long
        into[0].index_put_((idx.view(-1),), dh.reshape(-1, embedding.shape[1]), accumulate=True)
        return loss

    def hidden_backward(
        self, walk: Walk, dh: torch.Tensor, into: Sequence[torch.Tensor]
    ) -> torch.Tensor:
        """From the gradient at the last hidden layer's output, add each hidden parameter's
        to `into`; the gradient at the embeddings."""
        raise NotImplementedError

    def dropout_backward(self, walk: Walk, dh: torch.Tensor, layer: int) -> torch.Tensor:
        """Through dropout's mask, where the layer had one."""
        if not walk.masks:
            return dh
        return dh * walk.masks[layer] / (1 - self.dropout)


# Kept for the backward pass: making one costs 1 µs, a share of a small step.
@functools.lru_cache(maxsize=8)
def rows(n: int) -> torch.Tensor:
    return torch.arange(n)


@functools.lru_cache(maxsize=8)
def ones(n: int) -> torch.Tensor:
    return torch.ones(n)


@functools.lru_cache(maxsize=64)
def scalar(value: float) -> torch.Tensor:
    """A number as a tensor: multiplying by a Python float costs 1 µs more."""
    return torch.tensor(value)

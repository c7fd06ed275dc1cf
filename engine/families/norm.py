"""BatchNorm as the lectures write it (part 3, its backward pass derived in part 4): each unit's
pre-activation normalised over the batch while training, over running estimates in evaluation
and sampling, then scaled and shifted by a gain and a bias of its own."""

from __future__ import annotations

from dataclasses import dataclass

import torch

MOMENTUM = 0.1  # how far a step moves the running estimates toward its batch's (torch's own)
EPS = 1e-5


@dataclass
class Normalized:
    """What a BatchNorm was given and used: its input (examples, units), the mean and 1/std
    it took (the batch's while training, else the running ones), for the backward pass and
    for a look inside."""

    z: torch.Tensor
    mean: torch.Tensor
    inv_std: torch.Tensor
    training: bool

    def xhat(self) -> torch.Tensor:
        """The normalised input: mean 0 and std 1 per unit over a training batch."""
        return (self.z - self.mean) * self.inv_std


def batch_norm(
    z: torch.Tensor,
    gain: torch.Tensor,
    bias: torch.Tensor,
    running_mean: torch.Tensor,
    running_var: torch.Tensor,
    training: bool,
    momentum: float = MOMENTUM,
) -> tuple[torch.Tensor, Normalized]:
    """gain * (z - mean) / std + bias for each unit (column) of z (examples, units); while
    training, the batch's mean and (biased) variance, and the running estimates move toward
    them (the unbiased variance), as torch's BatchNorm1d, in its one fused kernel."""
    out, mean, inv_std = torch.native_batch_norm(
        z, gain, bias, running_mean, running_var, training, momentum, EPS
    )
    if not training:  # the kernel gives nothing back then: the estimates it used
        mean, inv_std = running_mean, (running_var + EPS).rsqrt()
    return out, Normalized(z, mean, inv_std, training)


def batch_norm_backward(
    dout: torch.Tensor, norm: Normalized, gain: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The gradients of the input, the gain and the bias of a batch_norm from its output's:
    the lecture's one-line dhprebn while training; through constants in evaluation."""
    xhat = norm.xhat()
    dgain = (dout * xhat).sum(0)
    dbias = dout.sum(0)
    dxhat = dout * gain
    if not norm.training:
        return dxhat * norm.inv_std, dgain, dbias
    n = dout.shape[0]
    dz = norm.inv_std / n * (n * dxhat - dxhat.sum(0) - xhat * (dxhat * xhat).sum(0))
    return dz, dgain, dbias

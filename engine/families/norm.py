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
    """What a BatchNorm made of a pre-activation: the normalised values and 1/std, for the
    backward pass; the mean and std it used (the batch's or the running ones), for a look."""

    xhat: torch.Tensor
    inv_std: torch.Tensor
    mean: torch.Tensor
    training: bool


def batch_norm(
    z: torch.Tensor,
    gain: torch.Tensor,
    bias: torch.Tensor,
    running_mean: torch.Tensor,
    running_var: torch.Tensor,
    training: bool,
) -> tuple[torch.Tensor, Normalized]:
    """gain * (z - mean) / std + bias over the last dimension's units, the mean and variance
    taken over every other dimension (the batch, and a WaveNet level's positions); while
    training, the batch's (biased variance, as torch), and the running estimates move toward
    them (unbiased)."""
    if training:
        dims = tuple(range(z.ndim - 1))
        var, mean = torch.var_mean(z, dims, correction=0)
        n = z.numel() // z.shape[-1]
        with torch.no_grad():
            running_mean.lerp_(mean.detach(), MOMENTUM)
            running_var.lerp_(var.detach() * (n / max(n - 1, 1)), MOMENTUM)
    else:
        mean, var = running_mean, running_var
    inv_std = (var + EPS).rsqrt()
    xhat = (z - mean) * inv_std
    return torch.addcmul(bias, xhat, gain), Normalized(xhat, inv_std, mean, training)


def batch_norm_backward(
    dout: torch.Tensor, norm: Normalized, gain: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The gradients of the input, the gain and the bias of a (2-D) batch_norm from its
    output's: the lecture's one-line dhprebn while training; through constants in evaluation."""
    dgain = (dout * norm.xhat).sum(0)
    dbias = dout.sum(0)
    dxhat = dout * gain
    if not norm.training:
        return dxhat * norm.inv_std, dgain, dbias
    n = dout.shape[0]
    dz = norm.inv_std / n * (n * dxhat - dxhat.sum(0) - norm.xhat * (dxhat * norm.xhat).sum(0))
    return dz, dgain, dbias

"""Inside a net (Capability.DIAGNOSTICS), as in the lecture on activations and gradients: for
one batch, each hidden layer's activations and the gradient at its output, and each weight
matrix's gradient beside its data. Computed on demand, on a batch of its own: the run is
untouched."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from engine.families.base import Model, Walk
from engine.optim import AdamW
from engine.protocol import (
    Capability,
    DiagnosticsView,
    GradientCheck,
    LayerStats,
    NormStats,
    WeightStats,
)
from engine.trainer import Trainer

BATCH = 256  # examples looked at: enough for steady statistics, a few ms
BINS = 40  # histogram bins
MAP_EXAMPLES = 32  # rows of the dead-unit map
SATURATED = {"tanh": 0.97, "relu": 0.0}  # |h| above this (tanh), or h at this (ReLU)
DEAD = {"tanh": 0.99, "relu": 0.0}  # the dead-unit map's mark: |h| > 0.99, or h == 0


def diagnose(trainer: Trainer, history: dict[str, list[tuple[int, float]]]) -> DiagnosticsView:
    """The figures of the trainer's net now, on a batch drawn with a generator of its own;
    `history` gets each weight's update:data ratio at this step (the curves over time)."""
    model = trainer.model
    if Capability.DIAGNOSTICS not in trainer.family.capabilities:
        raise ValueError(f"the {trainer.config.model} has no hidden layers to look inside")
    activation = model.activation
    generator = torch.Generator().manual_seed(trainer.step)
    examples = trainer.dataset.examples("train")
    ix = torch.randint(0, len(examples), (min(BATCH, len(examples)),), generator=generator)
    x, y = examples.batch(ix, model.block_size)
    was_training = model.training
    model.eval()  # no dropout: the units as they are
    try:
        with torch.enable_grad():
            for p in model.parameters():
                p.grad = None
            prior = trainer.prior_of_rows("train", ix, x, y)  # as in training
            walk = model.walk(x, prior)
            hidden = walk.activations
            for h in hidden:
                h.retain_grad()
            F.cross_entropy(walk.logits, y).backward()
    finally:
        model.train(was_training)
    layer_name = "level" if model.levels_seen() else "hidden"
    layers = [
        _layer(f"{layer_name} {i + 1}", h.detach(), h.grad, activation, _norm(model, walk, i))
        for i, h in enumerate(hidden)
    ]
    lr = trainer.learning_rate()
    vocab = trainer.dataset.vocab
    weights = []
    for name, p in model.named_parameters():
        if p.ndim != 2 or p.grad is None:
            continue
        data_std = p.detach().std().item()
        grad_std = p.grad.std().item()
        ratio = _update_std(trainer, p, lr) / data_std if data_std > 0 else math.inf
        update = math.log10(ratio) if ratio > 0 else -math.inf
        history.setdefault(name, []).append((trainer.step, update))
        weights.append(
            WeightStats(
                name=name,
                shape=tuple(p.shape),
                grad_mean=p.grad.mean().item(),
                grad_std=grad_std,
                grad_to_data=grad_std / data_std if data_std > 0 else math.inf,
                update_to_data_log10=update,
            )
        )
    hand = Capability.HAND_GRADIENTS in trainer.family.capabilities
    checks = _compare_gradients(model, x, y, prior) if hand else []
    return DiagnosticsView(
        model=trainer.config.model,
        step=trainer.step,
        activation=activation,
        optimizer=trainer.config.run.optimizer,
        layers=layers,
        weights=weights,
        update_history={k: list(v) for k, v in history.items()},
        gradient_checks=checks,
        context=[vocab.symbol(int(i)) for i in x[0]] if model.levels_seen() else None,
        levels=model.levels_seen() or None,
        init=getattr(trainer.config.shape, "init", ""),
    )


def _norm(model: Model, walk: Walk, layer: int) -> NormStats | None:
    """The layer's BatchNorm: this batch's statistics of its input beside the running ones."""
    if not walk.norms:
        return None
    z = walk.norms[layer].z.detach()
    return NormStats(
        batch_mean=z.mean(0).tolist(),
        batch_std=z.std(0).tolist(),
        running_mean=model.running_mean[layer].tolist(),
        running_std=model.running_var[layer].sqrt().tolist(),
    )


def _update_std(trainer: Trainer, p: torch.Tensor, lr: float) -> float:
    """The spread of the step's update to this weight: lr * grad under SGD (the lectures'
    figure); under AdamW, lr times its normalised first moment, from the optimizer's state,
    and before its first step lr times the gradient's sign (what that step is)."""
    if not isinstance(trainer.optimizer, AdamW):
        return lr * p.grad.std().item()
    state = trainer.optimizer.state.get(p)
    eps = trainer.optimizer.param_groups[0]["eps"]
    if not state:
        return (lr * p.grad / (p.grad.abs() + eps)).std().item()
    beta1, beta2 = trainer.optimizer.param_groups[0]["betas"]
    steps = float(state["step"])
    m = state["exp_avg"] / (1 - beta1**steps)
    v = state["exp_avg_sq"] / (1 - beta2**steps)
    return (lr * m / (v.sqrt() + eps)).std().item()


def _compare_gradients(
    model: Model, x: torch.Tensor, y: torch.Tensor, prior: torch.Tensor | None
) -> list[GradientCheck]:
    """The lecture's cmp(): each parameter's hand-written gradient against autograd's, on the
    same batch and prior (the autograd ones are in .grad now)."""
    autograd = {name: p.grad.clone() for name, p in model.named_parameters()}
    for p in model.parameters():
        p.grad = None
    was_training = model.training
    model.eval()
    try:
        model.manual_gradients(x, y, prior)
    finally:
        model.train(was_training)
    checks = []
    for name, p in model.named_parameters():
        difference = (p.grad - autograd[name]).abs().max().item()
        checks.append(
            GradientCheck(
                name=name,
                exact=bool(torch.equal(p.grad, autograd[name])),
                approximate=bool(torch.allclose(p.grad, autograd[name], rtol=1e-5, atol=1e-7)),
                max_difference=difference,
            )
        )
        p.grad = None
    return checks


def _layer(
    name: str, h: torch.Tensor, grad: torch.Tensor, activation: str, norm: NormStats | None
) -> LayerStats:
    if activation == "tanh":
        saturated = (h.abs() > SATURATED["tanh"]).float().mean().item()
        marked = h.abs() > DEAD["tanh"]
        low, high = -1.0, 1.0
    else:
        saturated = (h == 0).float().mean().item()
        marked = h == 0
        low, high = 0.0, max(h.max().item(), 1e-6)
    dead = marked.all(0)  # a unit marked for every example of the batch learns nothing
    spread = max(grad.abs().max().item(), 1e-12)
    return LayerStats(
        name=name,
        units=h.shape[1],
        act_mean=h.mean().item(),
        act_std=h.std().item(),
        saturation=saturated,
        act_histogram=(low, high, torch.histc(h, BINS, low, high).int().tolist()),
        # examples down, units across, as the lecture's imshow(h.abs() > 0.99)
        dead_map=[
            "".join("█" if m else "·" for m in row) for row in marked[:MAP_EXAMPLES].tolist()
        ],
        dead_units=dead.nonzero().flatten().tolist(),
        grad_mean=grad.mean().item(),
        grad_std=grad.std().item(),
        grad_histogram=(-spread, spread, torch.histc(grad, BINS, -spread, spread).int().tolist()),
        norm=norm,
    )

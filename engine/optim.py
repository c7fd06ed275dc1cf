"""Optimizers for the trainer: plain SGD as in the lectures, and AdamW."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from engine.config import Config


class SGD:
    """p -= lr * (grad + weight_decay * p), in fused calls over all parameters.

    torch.optim.SGD does the same maths, but its per-step bookkeeping is a large share of a
    small MLP's step (bench/: MLP step).
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float, weight_decay: float) -> None:
        self.params = list(params)
        self.param_groups = [{"lr": lr, "weight_decay": weight_decay}]

    def step(self) -> None:
        group = self.param_groups[0]
        grads = [p.grad for p in self.params]
        # a with-block: the decorator's wrapper is a noticeable share of a small step
        with torch.no_grad():
            if group["weight_decay"]:
                torch._foreach_add_(grads, self.params, alpha=group["weight_decay"])
            torch._foreach_add_(self.params, grads, alpha=-group["lr"])

    def state_dict(self) -> dict[str, Any]:
        return {"param_groups": [dict(g) for g in self.param_groups]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.param_groups = [dict(g) for g in state["param_groups"]]


Optimizer = SGD | torch.optim.AdamW


def make_optimizer(params: Iterable[torch.Tensor], config: Config) -> Optimizer:
    if config.optimizer == "sgd":
        return SGD(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    # fused: one kernel for the whole update instead of one per parameter
    return torch.optim.AdamW(
        params, lr=config.learning_rate, weight_decay=config.weight_decay, fused=True
    )

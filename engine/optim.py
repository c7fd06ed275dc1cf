"""Optimizers for the trainer: plain SGD as in the lectures, and AdamW."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from engine.config import RunConfig


class SGD:
    """p -= lr * (grad + weight_decay * p), in fused calls over all parameters.

    torch.optim.SGD does the same maths, but its per-step bookkeeping is a large share of a
    small MLP's step (bench/: MLP step).
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float, weight_decay: float) -> None:
        self.params = list(params)
        self.param_groups = [{"lr": lr, "weight_decay": weight_decay}]

    @property
    def plain(self) -> bool:
        """Whether a step is p -= lr * grad alone, with no weight decay: one the backward pass
        can take itself, adding -lr times each gradient to its parameter (MLP's manual one)."""
        return not self.param_groups[0]["weight_decay"]

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


class AdamW:
    """Adam with decoupled weight decay: torch.optim.AdamW's fused kernel, called directly.

    torch.optim.AdamW's first use imports torch._dynamo (1.3 s, bench/: time to quality), and
    its per-step bookkeeping is a share of a small step. Its state_dict is the same, so a
    checkpoint written by either loads in either.
    """

    plain = False  # see SGD.plain

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        lr: float,
        weight_decay: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.params = list(params)
        self.param_groups = [{"lr": lr, "weight_decay": weight_decay, "betas": betas, "eps": eps}]
        # Per parameter, from the first step on: its step count and both moments.
        self.state: dict[torch.Tensor, dict[str, torch.Tensor]] = {}

    def step(self) -> None:
        group = self.param_groups[0]
        params = [p for p in self.params if p.grad is not None]
        for p in params:
            if p not in self.state:
                zeros = torch.zeros_like(p, memory_format=torch.preserve_format)
                self.state[p] = {
                    "step": torch.tensor(0.0),
                    "exp_avg": zeros,
                    "exp_avg_sq": zeros.clone(),
                }
        states = [self.state[p] for p in params]
        steps = [s["step"] for s in states]
        with torch.no_grad():
            torch._foreach_add_(steps, 1)
            torch._fused_adamw_(
                params,
                [p.grad for p in params],
                [s["exp_avg"] for s in states],
                [s["exp_avg_sq"] for s in states],
                [],
                steps,
                lr=group["lr"],
                beta1=group["betas"][0],
                beta2=group["betas"][1],
                weight_decay=group["weight_decay"],
                eps=group["eps"],
                amsgrad=False,
                maximize=False,
            )

    def state_dict(self) -> dict[str, Any]:
        """As torch.optim's: state by the parameter's index, and the index list in its group."""
        return {
            "state": {i: dict(self.state[p]) for i, p in enumerate(self.params) if p in self.state},
            "param_groups": [{**self.param_groups[0], "params": list(range(len(self.params)))}],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        group = state["param_groups"][0]
        self.param_groups = [
            {
                "lr": group["lr"],
                "weight_decay": group["weight_decay"],
                "betas": tuple(group["betas"]),
                "eps": group["eps"],
            }
        ]
        self.state = {
            self.params[int(i)]: {k: v.clone() for k, v in s.items()}
            for i, s in state["state"].items()
        }


Optimizer = SGD | AdamW


def make_optimizer(params: Iterable[torch.Tensor], config: RunConfig) -> Optimizer:
    if config.optimizer == "sgd":
        return SGD(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    return AdamW(
        params,
        lr=config.learning_rate,
        weight_decay=config.weight_decay,
        betas=(config.beta1, config.beta2),
    )

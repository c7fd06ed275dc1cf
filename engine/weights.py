"""Copies of a net's weights that a run keeps beside them: the last good ones, for a NaN to go
back to, and the average over recent steps (RunConfig.average)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from engine.families.base import Model

# Steps between copies of the weights kept for a NaN: a copy every step would slow training.
GOOD_WEIGHTS_EVERY = 16


class LastGood:
    """The weights of a step whose loss was finite, and a copy taken before a step, good once
    its loss is known to be finite."""

    def __init__(self, params: list[torch.Tensor]) -> None:
        self._params = params
        self._good = [p.detach().clone() for p in params]
        self._maybe = [p.detach().clone() for p in params]
        self.step = 0  # of the good ones

    def before(self, step: int) -> bool:
        """Copy the weights before this step, if it is one to keep; whether it is."""
        keep = step % GOOD_WEIGHTS_EVERY == 0
        if keep:  # before the step, which may change the weights within the backward pass
            torch._foreach_copy_(self._maybe, self._params)
        return keep

    def finite(self, step: int) -> None:
        """The step that before() kept gave a finite loss."""
        self._good, self._maybe = self._maybe, self._good
        self.step = step

    def restore(self) -> None:
        torch._foreach_copy_(self._params, self._good)


class Average:
    """The weights averaged over about the last 1 / (1 - rate) steps; with `warm_up`, over
    about the last tenth of the steps so far until that is longer."""

    def __init__(self, params: list[torch.Tensor], rate: float, warm_up: bool) -> None:
        self._params, self.rate, self.warm_up = params, rate, warm_up
        self.values = [p.detach().clone() for p in params]

    def update(self, step: int) -> None:
        rate = min(self.rate, (1 + step) / (10 + step)) if self.warm_up else self.rate
        torch._foreach_lerp_(self.values, self._params, 1 - rate)

    def copy_of(self, model: Model) -> Model:
        """A copy of the model with the averaged weights (measured_copy)."""
        clone = measured_copy(model)
        with torch.no_grad():
            torch._foreach_copy_(list(clone.parameters()), self.values)
        return clone

    def take_weights(self) -> None:
        """Become the weights as they are now (the best ones, put in the model)."""
        with torch.no_grad():
            torch._foreach_copy_(self.values, self._params)

    @contextmanager
    def swapped_in(self) -> Iterator[None]:
        """The averaged weights in the model for a while."""
        own = [p.detach().clone() for p in self._params]
        with torch.no_grad():
            torch._foreach_copy_(self._params, self.values)
        try:
            yield
        finally:
            with torch.no_grad():
                torch._foreach_copy_(self._params, own)


def measured_copy(model: Model) -> Model:
    """A copy of the model for an evaluation to measure while the run's own stays in place
    (samples, saves): the prior shared, as its counts never change, and no generator of the
    run's."""
    prior, generator = model.prior, model.generator
    model.prior = model.generator = None
    try:
        clone = copy.deepcopy(model)
    finally:
        model.prior, model.generator = prior, generator
    clone.prior = prior
    return clone.eval()

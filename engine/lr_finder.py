"""The learning-rate finder, as in the lecture: one step at each of a rising series of rates,
on a copy of the run, and the loss after each. The rate to train at is below the one where the
loss is lowest: there it still falls fast, and safely away from where it blows up.
"""

from __future__ import annotations

import math

from engine.protocol import RateSweepView
from engine.trainer import Trainer

LOWEST, HIGHEST, STEPS = 1e-4, 10.0, 300  # the sweep: STEPS rates, evenly spaced in log
SMOOTHING = 0.98  # the batch loss is noisy: an exponential mean over about 50 steps
BLOW_UP = 4.0  # the sweep stops when the smoothed loss is this many times its lowest
BELOW_MINIMUM = 3.0  # the suggestion: the rate of the lowest smoothed loss, divided by this
# The loss at the start of the sweep: the mean of the first tenth of the steps. If the lowest
# smoothed loss is not below it by more than those steps' spread, no rate is better than
# another (a net that starts from its ngram prior is near its best at once): no suggestion.
START = 0.1
RULE = "a third of the rate where the smoothed loss is lowest"


class LearningRateFinder:
    """Sweeps the rate on a copy of the trainer's model and optimizer: the run is untouched."""

    def __init__(
        self, trainer: Trainer, steps: int = STEPS, low: float = LOWEST, high: float = HIGHEST
    ) -> None:
        if trainer.family.counts:
            raise ValueError(
                f"the {trainer.config.model} takes no gradient steps: it has no learning rate"
            )
        self.trial = trainer.trial_copy()
        self.schedule = [low * (high / low) ** (i / (steps - 1)) for i in range(steps)]
        self.losses: list[float] = []
        self.smoothed: list[float] = []
        self._mean = 0.0
        self.ended = ""  # why the sweep ended early

    @property
    def done(self) -> bool:
        return bool(self.ended) or len(self.losses) == len(self.schedule)

    def advance(self, steps: int) -> None:
        """Up to `steps` more rates."""
        for _ in range(steps):
            if self.done:
                return
            rate = self.schedule[len(self.losses)]
            loss = self.trial.gradient_step(rate)
            if not math.isfinite(loss):
                self.ended = f"the loss became {loss} at rate {rate:.3g}"
                return
            self.losses.append(loss)
            self._mean = SMOOTHING * self._mean + (1 - SMOOTHING) * loss
            self.smoothed.append(self._mean / (1 - SMOOTHING ** len(self.losses)))
            if self.smoothed[-1] > BLOW_UP * min(self.smoothed):
                self.ended = f"the loss blew up at rate {rate:.3g}"

    def sweep(self) -> RateSweepView:
        """What the finder has seen so far, and its suggestion once done."""
        rates = self.schedule[: len(self.losses)]
        suggested, reason = None, self.ended or "swept every rate"
        if self.done and len(self.smoothed) >= 10:
            lowest = min(range(len(self.smoothed)), key=self.smoothed.__getitem__)
            early = self.losses[: max(5, int(START * len(self.schedule)))]
            mean = sum(early) / len(early)
            spread = (sum((x - mean) ** 2 for x in early) / len(early)) ** 0.5
            if mean - self.smoothed[lowest] <= spread or rates[lowest] / BELOW_MINIMUM < rates[0]:
                reason = "the loss hardly falls at any rate: keep the one you have"
            else:
                suggested = float(f"{rates[lowest] / BELOW_MINIMUM:.2g}")
        return RateSweepView(
            model=self.trial.config.model,
            rates=rates,
            losses=list(self.losses),
            smoothed=list(self.smoothed),
            suggested=suggested,
            done=self.done,
            reason=reason,
            rule=RULE,
        )

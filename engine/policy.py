"""The run policy of `train` and of the app's engine alike: how many steps to take at a time,
when val is measured, and when a run ends or pauses."""

from __future__ import annotations

import time
from collections.abc import Callable

from engine.evaluation import Evaluation
from engine.judge import Stop
from engine.trainer import Trainer

EVAL_SECONDS = 5.0  # the app's val loss while training at least this often
EVAL_SHARE = 0.1  # ... but evaluating for at most this share of the time (a large |V|)


def steps_per_call(steps_per_second: float, seconds: float, most: int) -> int:
    """Steps that take about `seconds` at this speed: between two looks at the clock."""
    return max(1, min(most, int(steps_per_second * seconds)))


class RunPolicy:
    """A run's steps end where val is due (every eval_every steps, exactly, so that a run
    that stops early stops there and is reproducible) and at its budget of steps or seconds,
    if it has one (by default the run's own `steps`, read at each call: the app may change it).
    A run that stalls (Trainer.stall) stops; or, asked `once`, is paused once
    for each best step, as the app does: the user may go on."""

    def __init__(
        self,
        trainer: Trainer,
        steps: int | None = None,
        seconds: float | None = None,
        early_stop: bool = True,
    ) -> None:
        self.trainer, self.steps, self.seconds = trainer, steps, seconds
        self.early_stop = early_stop
        self._stalled_at: int | None = None  # the best step it last stalled for

    def next_steps(self, most: int, elapsed: float = 0.0) -> int:
        """Steps to take now, at most `most`: to the next val or the budget; 0 when done
        (`elapsed`: the run's seconds so far)."""
        trainer = self.trainer
        if trainer.stopped is not None or self.seconds is not None and elapsed >= self.seconds:
            return 0
        due = trainer.eval_every - trainer.step % trainer.eval_every
        budget = self.budget
        if budget is not None:
            due = min(due, budget - trainer.step)
        return max(0, min(most, due))

    @property
    def budget(self) -> int | None:
        """The step the run ends at, if any."""
        return self.steps if self.steps is not None else self.trainer.config.run.budget

    def at_budget(self) -> bool:
        budget = self.budget
        return budget is not None and self.trainer.step >= budget

    def val_due(self) -> bool:
        """Whether val is to be measured at this step (never for a counting model: it is
        measured once, when it has counted)."""
        trainer = self.trainer
        return not trainer.family.counts and trainer.step % trainer.eval_every == 0

    def stall(self, once: bool = False) -> Stop | None:
        """Why the run should stop after this val (Trainer.stall), unless early stopping is
        off; `once`: not again for the same best step."""
        stall = self.trainer.stall() if self.early_stop else None
        if stall is None or once and self.trainer.best_step == self._stalled_at:
            return None
        self._stalled_at = self.trainer.best_step
        return stall


class EvaluationsOnTime:
    """The app's val losses while it trains: where the run policy says, or after EVAL_SECONDS,
    whichever comes first, but no more than EVAL_SHARE of the time; each measured a slice at
    a time, between the requests. The weights stand still while one is under way."""

    def __init__(self) -> None:
        self.current: Evaluation | None = None
        self.judging = False  # whether the one under way may pause the run when it ends
        self._spent = (0.0, 0.0)  # the time spent on the last one, and when it ended

    def due(self, policy: RunPolicy, now: float) -> bool:
        spent, ended = self._spent
        if now - ended < spent * (1 - EVAL_SHARE) / EVAL_SHARE:
            return False
        trainer = policy.trainer
        evaluated = trainer.last_val[0] if trainer.last_val else 0
        behind = trainer.step - evaluated >= trainer.eval_every  # one was skipped for the share
        return policy.val_due() or behind or now - ended >= EVAL_SECONDS

    def start(self, evaluation: Callable[[], Evaluation], judging: bool) -> None:
        """Start one at this step; `judging`: whether its end may pause the run. One under way
        is of this step already."""
        if self.current is None:
            self.current, self.judging = evaluation(), judging
            self._spent = (0.0, self._spent[1])

    def advance(self, seconds: float) -> bool:
        """About `seconds` of the one under way; whether it has ended."""
        assert self.current is not None
        start = time.perf_counter()
        try:
            done = self.current.advance(seconds)
        except Exception:
            self.current = None
            raise
        now = time.perf_counter()
        self._spent = (self._spent[0] + now - start, now)
        if done:
            self.current = None
        return done

    def drop(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None

"""The trained runs a session replaced (a reset, a new seed or shape, another run or dataset
brought in), weights and all: the runs table brings the run itself back, not only its values.
Bounded: the oldest goes first, and the user hears of it."""

from __future__ import annotations

from engine.memory import available_memory, gibibytes
from engine.trainer import Trainer
from engine.words import counted

KEEP_RUNS = 8  # replaced runs kept, at most
KEEP_SHARE = 0.25  # ... and at most this share of the memory available when one is kept
KEPT_NOTE = "the run is kept: Enter on its row of the runs table (t) brings it back."


def run_name(config: dict[str, object], changes: dict[str, object]) -> str:
    """A run as a learner names it: its model and preset, and what differs from the preset."""
    preset = f" {config['preset']}" if config.get("preset") else ""
    changed = ", ".join(
        f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in changes.items()
    )
    return f"{config['model']}{preset}" + (f", {changed}" if changed else "")


class KeptRuns:
    def __init__(self) -> None:
        self._trainers: dict[str, Trainer] = {}  # by the run's id, oldest first

    def __contains__(self, run_id: object) -> bool:
        return run_id in self._trainers

    def ids(self) -> set[str]:
        return set(self._trainers)

    def trainers(self) -> list[Trainer]:
        return list(self._trainers.values())

    def keep(self, trainer: Trainer) -> str | None:
        """Keep a run that has trained; what had to be dropped for it, if anything."""
        if trainer.step == 0:
            return None
        self._trainers.pop(trainer.started, None)
        self._trainers[trainer.started] = trainer
        budget = available_memory() * KEEP_SHARE
        dropped = []
        while len(self._trainers) > 1 and (
            len(self._trainers) > KEEP_RUNS or self._bytes() > budget
        ):
            oldest = next(iter(self._trainers))
            dropped.append(self._trainers.pop(oldest))
        if not dropped:
            return None
        names = "; ".join(_described(t) for t in dropped)
        newest = counted(len(self._trainers), "run")
        return (
            f"Dropped the weights of {names} to keep the newest {newest} "
            f"within {gibibytes(int(budget))}: its row stays, and Enter on it starts a new run "
            "with its values."
        )

    def take(self, run_id: str) -> Trainer | None:
        """The run, no longer kept here (it is current again), or None."""
        return self._trainers.pop(run_id, None)

    def _bytes(self) -> int:
        return sum(
            t.config.memory_needed(t.dataset.vocab.size, t.train_examples)
            for t in self._trainers.values()
        )


def _described(trainer: Trainer) -> str:
    config = trainer.config
    changes = config.differences(trainer.data_size, trainer.dataset.vocab.size)
    return f"{run_name(config.as_dict(), changes)} ({counted(trainer.step, 'step')})"

"""A loss curve that stays bounded in memory however long training runs."""

from __future__ import annotations

from typing import Any


class LossHistory:
    """(step, loss) points; when full, neighbours are averaged in pairs and the stride doubles.

    The whole run stays on the curve at a coarser grain (downsampled, never truncated), and each
    point is the mean of the raw values it stands for, which also smooths a noisy batch loss.
    """

    def __init__(self, capacity: int = 1024) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError("capacity must be an even number of at least 2")
        self.capacity = capacity
        self.stride = 1  # raw values per stored point
        self.steps: list[float] = []
        self.values: list[float] = []
        self._pending: list[tuple[float, float]] = []

    def append(self, step: float, value: float) -> None:
        self._pending.append((step, value))
        if len(self._pending) < self.stride:
            return
        self.steps.append(sum(s for s, _ in self._pending) / self.stride)
        self.values.append(sum(v for _, v in self._pending) / self.stride)
        self._pending.clear()
        if len(self.values) == self.capacity:
            self.steps = _pair_means(self.steps)
            self.values = _pair_means(self.values)
            self.stride *= 2

    def __len__(self) -> int:
        return len(self.values)

    def state_dict(self) -> dict[str, Any]:
        return {
            "capacity": self.capacity,
            "stride": self.stride,
            "steps": list(self.steps),
            "values": list(self.values),
            "pending": [list(p) for p in self._pending],
        }

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> LossHistory:
        history = cls(state["capacity"])
        history.stride = state["stride"]
        history.steps = list(state["steps"])
        history.values = list(state["values"])
        history._pending = [tuple(p) for p in state["pending"]]
        return history


def downsampled(history: LossHistory, points: int) -> tuple[list[float], list[float]]:
    """The curve in at most `points` points, each the mean of a run of neighbours."""
    size = -(-len(history) // points)  # ceiling division
    steps, values = history.steps, history.values
    if size <= 1:
        return list(steps), list(values)
    runs = range(0, len(values), size)
    return (
        [sum(steps[a : a + size]) / len(steps[a : a + size]) for a in runs],
        [sum(values[a : a + size]) / len(values[a : a + size]) for a in runs],
    )


def _pair_means(values: list[float]) -> list[float]:
    return [(a + b) / 2 for a, b in zip(values[::2], values[1::2], strict=True)]

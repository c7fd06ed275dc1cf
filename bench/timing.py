"""Timing helpers shared by the benchmark rows."""

from __future__ import annotations

import time
from collections.abc import Callable


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


CHUNK = 200  # steps between two looks at the clock


def steps_per_second(train: Callable[[int], object], seconds: float) -> float:
    """Run train(CHUNK) for about `seconds`; the steps it did per second."""
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        train(CHUNK)
        steps += CHUNK
    return steps / (time.perf_counter() - start)

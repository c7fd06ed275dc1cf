"""Timing helpers shared by the benchmark rows."""

from __future__ import annotations

import time
from collections.abc import Callable


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def steps_per_second(train: Callable[[int], object], seconds: float, chunk: int = 200) -> float:
    """Run train(chunk) for about `seconds`; the steps it did per second."""
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        train(chunk)
        steps += chunk
    return steps / (time.perf_counter() - start)

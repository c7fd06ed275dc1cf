"""The one way the app shortens a number to a few characters: counts in the bigram grid, step
counts in the status line, the loss plot's ticks."""

from __future__ import annotations


def compact(count: int, width: int = 3) -> str:
    """A count in at most `width` characters, exact while it fits (with its thousands
    separated, if that fits too): 998, 5k, 12k (3); 3012, 3.0k (4); 1,500, 12345, 123k (5)."""
    for exact in (f"{count:,}", str(count)):
        if len(exact) <= width:
            return exact
    for unit, scale in (("k", 1e3), ("M", 1e6), ("G", 1e9)):
        text = f"{count / scale:.1f}{unit}"
        if len(text) <= width and count < 100 * scale:
            return text
        text = f"{round(count / scale)}{unit}"
        if len(text) <= width:
            return text
    return "big"

"""Words for counts, the same in the CLI, the engine's notes and the UI."""

from __future__ import annotations


def plural(noun: str, count: int) -> str:
    """The noun for this many of it: 'step' for 1, 'steps' for any other count."""
    return noun if count == 1 else f"{noun}s"


def counted(count: int, noun: str) -> str:
    """'1 step', '1,200 steps'."""
    return f"{count:,} {plural(noun, count)}"


def listed(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"

"""What the headless commands share in what they print: one-line usage errors, strict JSON,
names made safe to show and padded by the cells a terminal gives them, and a progress line."""

from __future__ import annotations

import json
import math
import sys
import unicodedata
from typing import Any

from engine.dataset import HANGUL_JOINING, visible
from engine.trainer import StepReport


class UsageError(Exception):
    """Bad arguments or input: reported as one 'error:' line, exit status 2."""


def strict_json(value: Any) -> str:
    """JSON that strict parsers read: an infinite or NaN loss is null (the text says why)."""

    def finite(item: Any) -> Any:
        if isinstance(item, float) and not math.isfinite(item):
            return None
        if isinstance(item, dict):
            return {k: finite(v) for k, v in item.items()}
        if isinstance(item, list):
            return [finite(v) for v in item]
        return item

    return json.dumps(finite(value), allow_nan=False)


def shown_name(text: str, cut: bool = False) -> str:
    """A name as printed; "…" after one ended by the length limit, not by the model."""
    return (visible(text) or "(empty)") + ("…" if cut else "")


def cell_width(text: str) -> int:
    """The terminal cells text takes: a wide character (CJK, kana, Hangul syllables) two,
    a mark that combines with the letter before it none."""
    width = 0
    for ch in text:
        if unicodedata.category(ch) in ("Mn", "Me", "Cf") or HANGUL_JOINING.match(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def ljust_cells(text: str, width: int) -> str:
    """text padded on the right to width terminal cells, as f"{text:<width}" pads ASCII."""
    return text + " " * max(0, width - cell_width(text))


class Progress:
    """One line on stderr, rewritten in place on a terminal, printed now and then otherwise."""

    def __init__(self, steps: int | None, seconds: float | None) -> None:
        self.steps, self.seconds = steps, seconds
        self.tty = sys.stderr.isatty()
        self.last = -math.inf

    def show(self, report: StepReport, elapsed: float) -> None:
        interval = 0.2 if self.tty else 5.0
        if elapsed - self.last < interval:
            return
        self.last = elapsed
        total = f"/{self.steps:,}" if self.steps else ""
        line = (
            f"step {report.step:,}{total}  loss {report.loss:.4f}  lr {report.learning_rate:.3g}  "
            f"{report.steps_per_second:,.0f} steps/s  {elapsed:.0f} s"
        )
        print(
            ("\r" + line + "\033[K") if self.tty else line,
            end="" if self.tty else "\n",
            file=sys.stderr,
            flush=True,
        )

    def done(self) -> None:
        if self.tty and self.last > -math.inf:
            print(file=sys.stderr)

    def working(self, what: str) -> None:
        """On a terminal, what the command is busy with after training, until `clear`: a large
        split's losses (long lines, a sequence model) can take longer than the training."""
        if self.tty:
            print(f"{what}…", end="", file=sys.stderr, flush=True)

    def clear(self) -> None:
        if self.tty:
            print("\r\033[K", end="", file=sys.stderr, flush=True)

"""Rich text as Textual strips, for the widgets drawn line by line."""

from __future__ import annotations

import unicodedata

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from engine.protocol import ESCAPE


def to_strip(line: Text, console: Console, width: int, style: Style) -> Strip:
    """One line of text as a strip of exactly `width` cells, over the widget's own style."""
    strip = Strip(line.render(console), line.cell_len)
    return strip.crop_extend(0, width, None).apply_style(style)


def fit(text: str, cells: int, align: str = "<") -> str:
    """Text in exactly `cells` terminal cells, measured as the terminal does: a CJK character
    or an emoji takes two, a combining mark none. Cut at the end, or padded by `align`."""
    if cell_len(text) >= cells:
        return set_cell_size(text, cells)
    room = cells - cell_len(text)
    left = {"<": 0, ">": room, "^": room // 2}[align]
    return " " * left + text + " " * (room - left)


def cut(text: str, cells: int, cut_already: bool = False) -> str:
    """The text in at most `cells` cells (CJK takes two), ending in "…" where it is cut here
    or was cut before (`cut_already`: a name ended by the length limit); never cut inside
    an escape (a "\\u20…" of "\\u200d")."""
    if cell_len(text) > cells:
        inside, width, end = _inside_escapes(text), 0, 0
        while end < len(text) and width + cell_len(text[end]) <= cells - 1:
            width += cell_len(text[end])
            end += 1
        while end in inside:
            end -= 1
        return text[:end] + "…"
    if cut_already:
        return cut(text + "…", cells)
    return text


def tail(text: str, cells: int) -> str:
    """The end of a text in at most `cells` cells, "…" first where it is cut: never in an
    escape (a "0d" left of "\\u200d") nor before a mark with no letter under it."""
    if cell_len(text) <= cells:
        return text
    inside, width, start = _inside_escapes(text), 0, len(text)
    while start > 0 and width + cell_len(text[start - 1]) <= cells - 1:
        start -= 1
        width += cell_len(text[start])
    while start < len(text) and (
        start in inside or unicodedata.category(text[start]).startswith("M")
    ):
        start += 1
    return "…" + text[start:]


def _inside_escapes(text: str) -> set[int]:
    """The positions strictly inside the escapes of the text: no cut may fall there."""
    return {i for m in ESCAPE.finditer(text) for i in range(m.start() + 1, m.end())}

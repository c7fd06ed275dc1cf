"""Rich text as Textual strips, for the widgets drawn line by line."""

from __future__ import annotations

from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.strip import Strip


def to_strip(line: Text, console: Console, width: int, style: Style) -> Strip:
    """One line of text as a strip of exactly `width` cells, over the widget's own style."""
    strip = Strip(line.render(console), line.cell_len)
    return strip.crop_extend(0, width, None).apply_style(style)

"""Text measured as the terminal draws it. A spacing combining mark (Unicode's Mc: most vowel
signs of Devanagari, Bengali, Tamil and the scripts near them) takes a cell of its own in wcwidth,
tmux and xterm.js, as in the CLI's `cell_width`; Rich's table gives it none, so every row
that held one ran a cell past its panel's border. `measure_as_terminals_do` mends Rich's
table, once, in the UI's process."""

from __future__ import annotations

import unicodedata
from functools import cache

import rich.cells
from rich.cells import CellTable

_rich_table = rich.cells.load_cell_table


@cache
def _table(unicode_version: str = "auto") -> CellTable:
    """Rich's table, its spacing combining marks one cell wide."""
    table = _rich_table(unicode_version)
    widths: list[tuple[int, int, int]] = []
    for start, end, width in table.widths:
        if width:
            widths.append((start, end, width))
            continue
        for code in range(start, end + 1):  # split the range where marks take a cell
            cells = 1 if unicodedata.category(chr(code)) == "Mc" else 0
            if widths and widths[-1][1] == code - 1 and widths[-1][2] == cells:
                widths[-1] = (widths[-1][0], code, cells)
            else:
                widths.append((code, code, cells))
    return table._replace(widths=widths)


def measure_as_terminals_do() -> None:
    """Rich (and so Textual) measures with `_table` from now on; what it cached is dropped."""
    if rich.cells.load_cell_table is _table:
        return
    rich.cells.load_cell_table = _table
    rich.cells.get_character_cell_size.cache_clear()
    rich.cells.cached_cell_len.cache_clear()

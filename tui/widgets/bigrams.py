"""A text heatmap of the bigrams: the whole |V|x|V| grid when it fits, else the top pairs."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from engine.protocol import BigramView
from tui.widgets.numbers import compact
from tui.widgets.panels import LOADING, retitle
from tui.widgets.strips import fit, to_strip

# From the background to a bright heat, readable in 256 colours.
SHADES = ["#1c1c2e", "#262a4e", "#2e3f7a", "#3f5fa8", "#4f86c6", "#6fb0d9", "#a7d7e8", "#f2f2b0"]
# In 16 colours those fall on grey, blue and silver, out of order; greys keep it in any palette.
SHADES_16 = ["color(0)", "color(8)", "color(7)", "color(15)"]


# Without a gap between cells, every other column's digits take these colours, so that two
# neighbours never read as one number: on the dark shades, and on the light ones.
ALTERNATE = ("#ffd75f", "#5f0000")


def shade(fraction: float, alternate: bool = False, shades: list[str] = SHADES) -> Style:
    index = min(len(shades) - 1, max(0, int(fraction**0.5 * (len(shades) - 1) + 0.5)))
    light = index >= len(shades) * 5 // 8
    if alternate:
        return Style(bgcolor=shades[index], color=ALTERNATE[light])
    return Style(bgcolor=shades[index], color="black" if light else "white")


class BigramHeatmap(Widget):
    """Drawn line by line from lines kept for each view (counts or probabilities, at a size),
    until the bigrams change: a toggle, or a repaint while a net trains, costs no redraw."""

    VIEW = BigramView
    can_focus = True  # Tab moves between the panels; z maximises the focused one
    ALLOW_MAXIMIZE = True

    COMPONENT_CLASSES = {"bigram-heatmap--hint"}
    DEFAULT_CSS = "BigramHeatmap > .bigram-heatmap--hint { color: $text-muted; }"

    BINDINGS = [
        Binding("up", "scroll_grid(-1, 0)", "Up", show=False),
        Binding("down", "scroll_grid(1, 0)", "Down", show=False),
        Binding("left", "scroll_grid(0, -1)", "Left", show=False),
        Binding("right", "scroll_grid(0, 1)", "Right", show=False),
        Binding("pageup", "scroll_grid(-10, 0)", "Page up", show=False),
        Binding("pagedown", "scroll_grid(10, 0)", "Page down", show=False),
    ]

    show_probabilities: reactive[bool] = reactive(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.view: BigramView | None = None
        self._lines: dict[tuple[object, ...], list[Strip]] = {}
        self.first_row = self.first_column = 0  # of a grid too large for the panel

    def on_mount(self) -> None:
        retitle(self, "Bigrams", LOADING)

    def show(self, view: BigramView) -> None:
        """The engine sends a view only when it changed: while a net trains, none comes."""
        self.view = view
        self._lines.clear()
        self.refresh()
        self._retitle()

    def watch_show_probabilities(self) -> None:
        self._retitle()

    def on_resize(self) -> None:  # the cells' width, and so the legend, follow the size
        self._retitle()

    def _retitle(self) -> None:
        view = self.view
        if view is None:
            return
        if not view.top:
            retitle(self, "Bigrams", "c toggles")
            return
        shown = "counts" if _counted(view) and not self.show_probabilities else "probabilities"
        notes = [note for note in (self._legend(view), view.counted) if note]
        retitle(self, f"Bigrams · {shown}", " · ".join([*notes, "c toggles"]))

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        key = (
            self.show_probabilities,
            width,
            height,
            self.is_maximized,
            self.first_row,
            self.first_column,
            self.rich_style,  # the theme's background, between the cells
        )
        if key not in self._lines:
            console, base = self.app.console, self.rich_style
            self._lines[key] = [
                to_strip(line, console, width, base) for line in self._text().wrap(console, width)
            ]
        lines = self._lines[key]
        return lines[y] if y < len(lines) else Strip.blank(width, self.rich_style)

    @property
    def _shades(self) -> list[str]:
        return SHADES_16 if self.app.console.color_system == "standard" else SHADES

    def _text(self) -> Text:
        view = self.view
        if view is None:
            return self._hint(LOADING)
        if not view.top:
            return self._hint(view.hint)
        if self.show_probabilities or view.counts is None:
            values = view.probabilities
        else:
            values = view.counts
        size = len(view.symbols)
        if values is None:
            return self._top(view)
        cells = self._cells(view)
        if cells is not None:
            return self._grid(view, values, *cells, range(size), range(size))
        if not self.is_maximized:
            return self._top(view)
        # Maximised, and too large for the panel: a window on the grid, moved by the arrows.
        exact = self._exact_width(view)
        rows, columns = self._window(size, self._label(view), exact + 1)
        return self._grid(view, values, exact, 1, rows, columns)

    def rows_needed(self) -> int | None:
        """The rows the whole grid takes (a header and a row a token), if there is one and
        the panel is wide enough for it."""
        view = self.view
        if view is None or not view.top or view.probabilities is None:
            return None
        size = len(view.symbols)
        if self.size.width < self._label(view) + 3 * size:  # the narrowest cells
            return None
        return size + 1

    def _label(self, view: BigramView) -> int:
        return max(cell_len(s) for s in view.symbols) + 1  # a wide character takes two cells

    def _cells(self, view: BigramView) -> tuple[int, int] | None:
        """The width of a value and the gap between cells at which the whole grid fits: the
        values in full with a gap if they fit, else without one; then shortened. None: it
        does not fit."""
        size, exact = len(view.symbols), self._exact_width(view)
        if not size or view.probabilities is None or self.size.height < size + 1:
            return None
        for width, gap in ((exact, 1), (exact, 0), (3, 1), (3, 0)):
            if self.size.width >= self._label(view) + (width + gap) * size:
                return width, gap
        return None

    def _legend(self, view: BigramView) -> str:
        """How the grid shortens its values, if it does."""
        cells = self._cells(view)
        if cells is None or cells[0] >= self._exact_width(view):
            return ""
        probabilities = self.show_probabilities or view.counts is None
        return "P to 2 decimals" if probabilities else "k: thousands"

    def _exact_width(self, view: BigramView) -> int:
        """Characters a value takes in full: the largest count's digits, or a probability to
        3 decimals as the post prints them (`<.001` for a smoothed pair)."""
        if self.show_probabilities or view.counts is None:
            return 5
        return max(3, len(str(max(max(row) for row in view.counts))))

    def _window(self, size: int, label: int, cell: int) -> tuple[range, range]:
        """The rows and columns of the grid in view, from the scroll offsets, kept in range."""
        height = max(1, self.size.height - 1)
        width = max(1, (self.size.width - label) // cell)
        self.first_row = max(0, min(self.first_row, size - height))
        self.first_column = max(0, min(self.first_column, size - width))
        return (
            range(self.first_row, min(size, self.first_row + height)),
            range(self.first_column, min(size, self.first_column + width)),
        )

    def action_scroll_grid(self, rows: int, columns: int) -> None:
        """Move the window on a grid too large for the maximised panel."""
        self.first_row += rows
        self.first_column += columns
        self.refresh()

    def _hint(self, hint: str) -> Text:
        text = Text(hint)
        text.stylize(self.get_component_rich_style("bigram-heatmap--hint"))  # wrap keeps spans
        return text

    def _cell(self, count: int | None, probability: float, width: int) -> str:
        """A value in `width` characters; the legend says how, when it is shortened."""
        if self.show_probabilities or count is None:
            return probability_text(probability, width)
        return compact(count, width)

    def _grid(
        self,
        view: BigramView,
        values: list[list[float]],
        width: int,
        gap: int,
        rows: range,
        columns: range,
    ) -> Text:
        """The matrix, as in the lecture's plot: row = first character, column = next. Each
        value takes `width` characters, and `gap` more between cells."""
        peak = max(max(row) for row in values) or 1
        symbols, space = view.symbols, " " * gap
        label = max(cell_len(symbols[i]) for i in rows)  # a wide character takes two cells
        header = " " * (label + 1) + "".join(fit(symbols[j], width, "^") + space for j in columns)
        text = Text(header + "\n", style="bold")
        for i in rows:
            text.append(fit(symbols[i], label) + " ", style="bold")
            for j in columns:
                count = view.counts[i][j] if view.counts is not None else None
                value = self._cell(count, view.probabilities[i][j], width)
                tight = not gap and j % 2 == 1
                style = shade(values[i][j] / peak, tight, self._shades)
                text.append(f"{value:>{width}}", style=style)
                text.append(space)
            text.append("\n")
        text.rstrip()
        return text

    def _top(self, view: BigramView) -> Text:
        """The most frequent pairs as cells 'ab 1234', most first, as many as fit; in P
        mode the likeliest first."""
        pair = max((cell_len(b.first + b.second) for b in view.top), default=2)
        width = pair + 7  # "ab 12.3k" plus a gap
        columns = max(1, self.size.width // width)
        rows = max(1, self.size.height)
        by_count = _counted(view) and not self.show_probabilities
        ranked = view.top if by_count else sorted(view.top, key=lambda b: -b.probability)
        pairs = ranked[: columns * rows]
        peak = max((b.count if by_count else b.probability) for b in pairs) or 1
        text = Text()
        for r in range(rows):
            line = pairs[r * columns : (r + 1) * columns]
            if not line:
                break
            for b in line:
                value = b.count if by_count else b.probability
                cell = self._cell(b.count if by_count else None, b.probability, 4)
                style = shade(value / peak, shades=self._shades)
                text.append(f"{fit(b.first + b.second, pair)} {cell:>4}", style=style)
                text.append(" " * (width - pair - 5))
            text.append("\n")
        text.rstrip()
        return text


def probability_text(probability: float, width: int) -> str:
    """P to 3 decimals as the post prints it, `<.001` where smoothing left a pair a little
    (in 5 characters); to 3 decimals in 4; to 2 in 3."""
    if probability >= 1:
        return "1.0" if width < 4 else "1.00" if width < 5 else "1.000"
    decimals = 2 if width < 4 else 3
    text = f"{probability:.{decimals}f}"[1:]
    if width >= 5 and 0 < probability < 0.0005:
        return "<.001"
    return text


def _counted(view: BigramView) -> bool:
    """A counting bigram's view: its grid has counts, or (beyond the grid's vocabulary sizes)
    its top pairs; the neural bigram's pairs count nothing."""
    return view.counts is not None or any(b.count for b in view.top)

"""Inside a sequence model, on one name, live: each layer's heads as a heatmap of attention
weights, letter by letter (a Transformer); or the state after each letter, and a GRU's gates,
as strips (makemore's RNN and GRU)."""

from __future__ import annotations

from collections.abc import Callable

from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Input, Static

from engine.protocol import InsideView
from tui.screens.dialog import ViewScreen
from tui.widgets.inputs import OrderedInput
from tui.widgets.strips import fit

COLD, HOT = (24, 28, 48), (255, 176, 48)  # the heatmap's ends: weight 0 and weight 1
NEGATIVE, POSITIVE = (70, 130, 255), (255, 90, 70)  # a state's unit below and above 0
LEVELS = "▁▂▃▄▅▆▇█"
MARGIN = 8  # the frame's border and padding, and the scrollbar


def _mix(low: tuple[int, int, int], high: tuple[int, int, int], share: float) -> Color:
    share = min(1.0, max(0.0, share))
    return Color.from_rgb(*(a + (b - a) * share for a, b in zip(low, high, strict=True)))


def weight_cell(weight: float) -> Text:
    """Two columns: the weight in tenths (9 for 0.9 and above), on a colour that warms with
    it; the digit keeps its meaning without colour."""
    digit = min(9, int(weight * 10 + 0.5))
    ink = "black" if weight > 0.5 else "white"
    return Text(f"{digit} ", style=Style(color=ink, bgcolor=_mix(COLD, HOT, weight)))


def letter_cell(letter: str) -> str:
    """A letter in the two columns of a cell: a wide one (CJK, emoji) fills them, a mark
    keeps its dotted circle, an escape is cut."""
    return fit(letter, 2)


def head_lines(letters: list[str], weights: list[list[float]], title: str) -> list[Text]:
    """One head as rows: the letter reading, then its weight on each letter so far."""
    width = max(2 + 2 * len(letters), len(title))  # a short name's heads stay under their titles
    lines = [Text(title.ljust(width), style="bold")]
    lines.append(Text("  " + "".join(letter_cell(letter) for letter in letters)))
    for reading, (letter, row) in enumerate(zip(letters, weights, strict=True)):
        line = Text(letter_cell(letter))
        for seen, weight in enumerate(row):  # nothing past the letter being read
            line += weight_cell(weight) if seen <= reading else Text("  ")
        lines.append(line)
    for line in lines:
        line.pad_right(width - line.cell_len)
    return lines


def attention_text(view: InsideView, width: int) -> Text:
    """Every layer, its heads side by side as many as fit in `width` columns. Of a name too
    long for one head to fit, the first letters: a letter looks back only, so their rows
    are whole."""
    shown = min(len(view.letters), max(1, (width - 2) // 2))
    text = Text()
    if shown < len(view.letters):
        text.append(
            f"Its first {shown} letters of {len(view.letters)}: a wider terminal shows more.\n\n",
            style="italic",
        )
    letters = view.letters[:shown]
    for number, layer in enumerate(view.attention or [], 1):
        blocks = [
            head_lines(letters, [row[:shown] for row in head[:shown]], f"layer {number} · head {h}")
            for h, head in enumerate(layer, 1)
        ]
        per_row = max(1, (width + 2) // (blocks[0][0].cell_len + 2))
        for first in range(0, len(blocks), per_row):
            row = blocks[first : first + per_row]
            for lines in zip(*row, strict=True):
                text += Text("  ").join(lines) + "\n"
            text += "\n"
    return text


def strip_lines(letters: list[str], rows: list[list[float]], title: str, signed: bool) -> Text:
    """A strip a letter: each unit one column, its height the value (-1 to 1 when `signed`,
    else 0 to 1), its colour the sign."""
    text = Text(f"{title}\n", style="bold")
    for letter, row in zip(letters, rows, strict=True):
        text += Text(letter_cell(letter))
        for value in row:
            share = (value + 1) / 2 if signed else value
            level = LEVELS[min(len(LEVELS) - 1, int(share * len(LEVELS)))]
            color = _mix(
                (90, 90, 90), POSITIVE if value >= 0 or not signed else NEGATIVE, abs(value)
            )
            text += Text(level, style=Style(color=color))
        text += "\n"
    return text


def states_text(view: InsideView, width: int) -> Text:
    """The state after each letter, and a GRU's gates, a column a unit: in bands as wide as
    the screen, each band's state and gates together, so that every unit is shown."""
    per_band = max(8, width - 2)
    letters, states = view.letters, view.states or []
    total = len(states[0]) if states else 0
    text = Text()
    for first in range(0, max(total, 1), per_band):
        last = min(total, first + per_band)
        which = f"units {first + 1} to {last} of {total}" if total > per_band else f"{total} units"
        if first:
            text += "\n"
        band = [row[first:last] for row in states]
        title = f"state after each letter ({which}): -1 ▁ to 1 █"
        if len(title) > width:  # wrapped, its legend's end alone on a line
            title = f"state ({which}): -1 ▁ to 1 █"
        text += strip_lines(letters, band, title, True)
        for name, rows in (view.gates or {}).items():
            meaning = "wipes the state where low" if name == "reset" else "takes the new where high"
            text += "\n"
            text += strip_lines(
                letters, [r[first:last] for r in rows], f"{name} gate: {meaning}, 0 ▁ to 1 █", False
            )
    return text


def reading(view: InsideView) -> str:
    """The name as the header quotes it: of a name cut to the context, only the part read
    (the rest of a long line would fill the screen), and how much is left out."""
    if not view.cut:
        return f"'{view.name}'"
    last = "letter" if view.cut == 1 else f"{view.cut:,} letters"
    return f"'{view.read}…' (its last {last} left out: past the context)"


class InsideScreen(ViewScreen[InsideView]):
    VIEW = InsideView
    AUTO_FOCUS = "#inside-name"
    BINDINGS = [Binding("escape", "dismiss", "Close")]

    def __init__(self, name: str, watch: Callable[[str], object]) -> None:
        super().__init__()
        self.watch = watch
        # Held, not queried: a view may come while the screen closes, its children gone
        self.name_box = OrderedInput(name, id="inside-name", compact=True)
        self.drawn_name: str | None = None
        self.header = Static("Waiting for the engine…", id="inside-header")
        self.body = Static(id="inside-body")

    def compose(self) -> ComposeResult:
        frame = self.frame(
            VerticalScroll,
            "inside",
            "Inside the net · one name as it reads it",
            "type a name, Enter shows it · live · Escape closes",
        )
        with frame:
            yield self.name_box
            yield self.header
            yield self.body

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.watch(event.value)

    def on_resize(self) -> None:
        if self.view is not None:
            self.draw(self.view)

    def draw(self, view: InsideView) -> None:
        if view.name != self.drawn_name:  # a new name: in the box; the user's typing stays
            self.name_box.value, self.drawn_name = view.name, view.name
            self.name_box.select_all()  # typing replaces it, as on the screen's first focus
        width = self.size.width - MARGIN
        read = reading(view)
        if view.attention is not None:
            self.header.update(
                Text(
                    f"The {view.model} at step {view.step:,} reads {read}. A row is "
                    "the letter being read; its cells, how much each head looks at each "
                    "letter so far (tenths: 9 is 0.9 or more; each row sums to 1)."
                )
            )
            self.body.update(attention_text(view, width))
        else:
            self.header.update(
                Text(
                    f"The {view.model} at step {view.step:,} reads {read}, one "
                    "letter at a time, carrying its state from each letter to the next."
                )
            )
            self.body.update(states_text(view, width))

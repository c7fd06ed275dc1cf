"""A name traced letter by letter: for each position, the probability each model gave the
character that came next and its -ln, then the sum and the mean (the name's loss); the
letter each model found most surprising marked."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from engine.protocol import NameTrace, TraceView
from tui.screens.dialog import ViewScreen
from tui.widgets.inputs import OrderedInput
from tui.widgets.strips import cut

NAME_PLACEHOLDER = "type a name (from the data or your own), then Enter"
SURPRISE = "▲"  # the letter a model gave the lowest probability
CONTEXT_SHOWN = 4  # tokens of context in a row's label, at most: 80 columns hold 5 models
QUOTED_CELLS = 60  # of a long name, the summary quotes this much: the table needs the room


def cell(trace: NameTrace, index: int) -> Text:
    """One letter under one model: p, -ln p, and the bigram's count of the pair."""
    letter = trace.letters[index]
    count = "" if letter.count is None else f" N {letter.count:,}"
    mark = SURPRISE if index == trace.surprise else ""
    text = Text(f"{letter.probability:.3f} {letter.nll:.2f}{count}{mark}")
    if index == trace.surprise:
        text.stylize("bold")
    return text


class TraceScreen(ViewScreen[TraceView]):
    VIEW = TraceView
    AUTO_FOCUS = "#trace-name"
    BINDINGS = [Binding("escape", "dismiss", "Close")]

    def __init__(self, name: str, trace_name: Callable[[str], object]) -> None:
        super().__init__()
        self.trace_name = trace_name
        # Held, not queried: a view may come while the screen closes, its children gone
        # Opened before any name was drawn, the box is empty: its placeholder says what it is for
        self.name_box = OrderedInput(
            name, placeholder=NAME_PLACEHOLDER, id="trace-name", compact=True
        )
        self.table: DataTable[Text] = DataTable(id="trace-table", cursor_type="row")
        self.summary = Static("", id="trace-summary")

    def compose(self) -> ComposeResult:
        frame = self.frame(
            Vertical,
            "trace",
            "Trace a name · where its loss comes from",
            "type a name, Enter traces it · Escape closes",
        )
        with frame:
            yield self.name_box
            yield self.table
            yield self.summary

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.trace_name(event.value)

    def draw(self, view: TraceView) -> None:
        self.name_box.value = view.name  # the name drawn
        self.name_box.select_all()  # typing replaces it, as on the screen's first focus
        self.table.clear(columns=True)
        if view.error or not view.traces:
            self.summary.update(Text(f"✗ {view.error}" if view.error else ""))
            return
        traces = view.traces
        self.table.add_columns("next", *(t.model for t in traces))
        widest = max(traces, key=lambda t: len(t.letters[-1].context))  # the most context
        for index, letter in enumerate(widest.letters):
            label = Text(f"{''.join(letter.context[-CONTEXT_SHOWN:])} → {letter.next}")
            self.table.add_row(label, *(cell(t, index) for t in traces))
        self.table.add_row(Text("sum"), *(Text(f"      {t.total:.2f}") for t in traces))
        self.table.add_row(
            Text("mean", style="bold"), *(Text(f"      {t.mean:.3f}", style="bold") for t in traces)
        )
        letters = len(traces[0].letters)
        counted = any(letter.count is not None for t in traces for letter in t.letters)
        if view.name:
            what = (
                f"'{cut(view.name, QUOTED_CELLS)}': {letters:,} characters to predict (its "
                "letters and the end). "
            )
            loss = f"the name's loss is their mean, the sum over {letters:,}"
        else:  # one row: a mean and a sum of one say nothing
            what, loss = "The empty name: only its end to predict. ", "that is its loss"
        self.summary.update(
            Text(
                f"{what}Each cell: the probability p the model gave the next character, and "
                f"-ln p; {loss}. {SURPRISE} the letter each model found least likely."
                + (" N: the bigram's count of the pair." if counted else "")
            )
        )

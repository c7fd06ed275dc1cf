"""Things to try on the post's net (its exercise 2): each a new run with one change, started
with Enter; the run it replaces is kept, and the runs table (t) sets them side by side."""

from __future__ import annotations

from collections.abc import Callable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from engine.protocol import TriesView
from tui.screens.dialog import Dialog


class TriesScreen(Dialog[None]):
    AUTO_FOCUS = "#tries-list"
    BINDINGS = [Binding("escape,T", "dismiss", "Close")]

    def __init__(self, view: TriesView, start: Callable[[int, bool], object]) -> None:
        super().__init__()
        self.view, self.start = view, start

    def compose(self) -> ComposeResult:
        frame = self.frame(
            Vertical,
            "tries",
            "Things to try · the post's exercise 2",
            "Enter starts it as a new run · Escape",
        )
        with frame:
            yield OptionList(*self._options(), id="tries-list")
            yield Static(
                Text(
                    "Each starts from the post's net (the mlp's seed preset) with one change, "
                    "and runs; the run it replaces is kept. Then t: the runs table, best val "
                    "first, their curves side by side. f finds a learning rate for the net "
                    "you have."
                ),
                id="tries-summary",
            )

    def _options(self) -> list[Option]:
        options = []
        width = len(f"{len(self.view.tries)}.")
        for index, entry in enumerate(self.view.tries):
            text = Text()
            text.append(entry.title, style="bold")
            text.append(f"  ({entry.change})\n", style="dim")
            text.append(entry.lesson)
            # A grid, so that every wrapped line stands under the title, not under the number.
            row = Table.grid(padding=(0, 1))
            row.add_column(no_wrap=True)
            row.add_column(ratio=1)
            row.add_row(Text(f"{index + 1}.".rjust(width), style="bold"), text)
            options.append(Option(row, id=str(index)))
        return options

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        index = int(event.option.id or 0)
        self.dismiss()
        self.start(index, self.view.tries[index].finds_rate)

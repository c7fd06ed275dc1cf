"""The runs table: every run so far, the best val loss first, for the seed post's exercise
"improve the neural network". Enter brings a run's settings back; x writes them to CSV."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from engine.protocol import RunRow, RunsView
from tui.screens.dialog import ViewScreen

COLUMNS = ("", "model", "preset", "changes", "steps", "time", "best val", "test", "params", "data")


def _loss(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 600 else f"{seconds / 60:.0f} min"


def cells(row: RunRow) -> tuple[Text, ...]:
    """The row's cells as Text: a dataset named like markup ([/]) is shown as it is."""
    changes = " ".join(f"{k}={v}" for k, v in row.changes.items()) or "–"
    values = (
        "●" if row.current else "",
        row.model,
        row.preset or "–",
        changes,
        f"{row.steps:,}",
        _duration(row.seconds),
        _loss(row.best_val),
        _loss(row.best_test),
        f"{row.parameters:,}",
        row.dataset,
    )
    return tuple(Text(value) for value in values)


class RunsScreen(ViewScreen[RunsView]):
    VIEW = RunsView
    AUTO_FOCUS = "*"  # the app focuses nothing at first; a dialog, its first field
    BINDINGS = [
        Binding("escape,t", "dismiss", "Close"),
        Binding("x", "export", "Export CSV"),
    ]

    def __init__(self, restore: Callable[[str], object], export: Callable[[], object]) -> None:
        super().__init__()
        self.restore, self.export = restore, export
        self.table: DataTable[str] = DataTable(
            id="runs-table", cursor_type="row", zebra_stripes=True
        )
        self.summary = Static("Loading…", id="runs-summary")

    def compose(self) -> ComposeResult:
        frame = self.frame(
            Vertical,
            "runs",
            "Runs · best val first",
            "Enter brings a run's settings back · x exports CSV · Escape",
        )
        with frame:
            yield self.table
            yield self.summary

    def on_mount(self) -> None:
        self.table.add_columns(*COLUMNS)  # before ViewScreen's on_mount draws (Textual calls both)

    def draw(self, view: RunsView) -> None:
        self.table.clear()
        for row in view.rows:
            self.table.add_row(*cells(row), key=row.id)
        skipped = (
            f" {view.skipped:,} lines of the file were skipped: damaged, or of another version."
            if view.skipped
            else ""
        )
        self.summary.update(
            Text(
                f"{len(view.rows)} runs, kept in {view.path}. ● marks this session's current "
                "ones; test is the loss of the weights with the best val loss." + skipped
                if view.rows
                else "No runs yet: train a model (space), then come back." + skipped
            )
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row: a new run with its settings."""
        if event.row_key.value is not None:
            self.restore(event.row_key.value)
            self.dismiss()

    def action_export(self) -> None:
        self.export()

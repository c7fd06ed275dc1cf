"""The runs table: every run so far, those on the data open first, each the best val loss
first, for the seed post's exercise "improve the neural network". Enter brings a run back
(itself, where its weights are kept, else a new run with its settings); x writes them to CSV;
Delete forgets runs."""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from engine.protocol import RunRow, RunsView
from engine.words import counted
from tui.screens.dialog import ViewScreen
from tui.widgets.strips import cut

CHOSEN = "✓"  # a row chosen to compare (space)
# The losses next to what made them: on the narrowest screen they are what must show
COLUMNS = (
    "",
    "",
    "model",
    "preset",
    "best val",
    "test",
    "changes",
    "steps",
    "time",
    "params",
    "data",
)


CHOSEN_COLUMN = 0
CHANGES = COLUMNS.index("changes")
CHANGES_LEAST = 12  # cells a row's changes keep however narrow the screen


def fit_changes(rows: list[tuple[Text, ...]], width: int) -> list[tuple[Text, ...]]:
    """The rows with their changes cut ("…") to the room the other columns leave in `width`
    cells (but the dataset's, last, which may scroll): a run of many changes pushed every
    row's losses off an 80-column screen. The CSV keeps them whole."""
    others = sum(
        max([cell_len(label), *(row[i].cell_len for row in rows)]) + 2  # a cell's padding
        for i, label in enumerate(COLUMNS[:-1])
        if i not in (CHOSEN_COLUMN, CHANGES)
    )
    others += len(CHOSEN) + 2  # its width, fixed
    room = max(CHANGES_LEAST, width - others - 2)
    return [
        (
            *row[:CHANGES],
            Text(cut(row[CHANGES].plain, room), row[CHANGES].style),
            *row[CHANGES + 1 :],
        )
        for row in rows
    ]


def _loss(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 600 else f"{seconds / 60:.0f} min"


def changes_of(row: RunRow, none: str = "–") -> str:
    return " ".join(f"{k}={v}" for k, v in row.changes.items()) or none


def cells(row: RunRow, chosen: bool = False) -> tuple[Text, ...]:
    """The row's cells as Text: a dataset named like markup ([/]) is shown as it is; a run
    on other data than the session's, dimmed."""
    changes = changes_of(row)
    values = (
        CHOSEN if chosen else "",
        "●" if row.current else "○" if row.kept else "",
        row.model,
        row.preset or "–",
        _loss(row.best_val),
        _loss(row.best_test),
        changes,
        f"{row.steps:,}",
        _duration(row.seconds),
        f"{row.parameters:,}",
        row.dataset,
    )
    return tuple(Text(value, style="" if row.same_data else "dim") for value in values)


class RunsScreen(ViewScreen[RunsView]):
    VIEW = RunsView
    AUTO_FOCUS = "*"  # the app focuses nothing at first; a dialog, its first field
    BINDINGS = [
        Binding("escape,t", "dismiss", "Close"),
        Binding("x", "export", "Export CSV"),
        Binding("space", "choose", "Choose to compare"),
        Binding("c", "compare", "Compare the chosen"),
        Binding("delete,backspace", "forget", "Forget the chosen, or this row"),
    ]

    def __init__(
        self,
        restore: Callable[[str], object],
        export: Callable[[], object],
        compare: Callable[[tuple[str, ...]], object],
        forget: Callable[[tuple[str, ...]], object] | None,
    ) -> None:
        super().__init__()
        self.restore, self.export, self.compare = restore, export, compare
        self.forget = forget
        self.chosen: list[str] = []  # run ids, in the order chosen
        self.table: DataTable[str] = DataTable(
            id="runs-table", cursor_type="row", zebra_stripes=True
        )
        self.summary = Static("Loading…", id="runs-summary")
        self.under_cursor = Static(id="runs-row")  # its changes whole: the column cuts them

    def compose(self) -> ComposeResult:
        frame = self.frame(
            Vertical,
            "runs",
            "Runs · on this data first, best val first",
            "Enter brings back · space chooses, c compares · Del forgets · x CSV · Esc",
        )
        with frame:
            yield self.table
            yield self.under_cursor
            yield self.summary

    def on_mount(self) -> None:
        # Before ViewScreen's on_mount draws (Textual calls both); the chosen column is empty
        # at first, so it is sized here
        self.table.add_column("", width=len(CHOSEN))
        self.table.add_columns(*COLUMNS[1:])

    def draw(self, view: RunsView) -> None:
        self.table.clear()
        self.chosen = [i for i in self.chosen if any(r.id == i for r in view.rows)]
        if not self.table.size.width:  # not laid out yet: the room is known once it is
            self.call_after_refresh(self.draw, view)
            return
        # The vertical scrollbar's room is kept whether or not there are rows enough for it
        width = self.table.size.width - self.table.styles.scrollbar_size_vertical
        rows = fit_changes([cells(r, r.id in self.chosen) for r in view.rows], width)
        if not view.rows:
            self.under_cursor.update("")
        for row, values in zip(view.rows, rows, strict=True):
            self.table.add_row(*values, key=row.id)
        skipped = (
            f" {counted(view.skipped, 'line')} of the file "
            f"{'were' if view.skipped > 1 else 'was'} skipped: damaged, or of another version."
            if view.skipped
            else ""
        )
        self.summary.update(
            Text(
                f"{counted(len(view.rows), 'run')}, in {view.path}. "
                "● current; ○ weights kept: Enter "
                "brings the run itself back, elsewhere a new run with its values. c draws the "
                "rows chosen (space) side by side in the loss panel; with none, each model's "
                "current run. Delete forgets the rows chosen, or the one under the cursor "
                "(it asks first). test: of the best val's weights. Dimmed: runs on other "
                "data, whose losses do not compare." + skipped
                if view.rows
                else "No runs yet: train a model (space), then come back." + skipped
            )
        )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value if event.row_key else None  # none: the table is empty
        rows = self.view.rows if self.view else []
        row = next((r for r in rows if r.id == key), None)
        if row is not None:
            what = f"{row.model} {row.preset or ''}, changes: {changes_of(row, 'none')}"
            self.under_cursor.update(Text(f"▸ {what} · {row.dataset}"))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row: the run itself, or a new one with its settings."""
        if event.row_key.value is not None:
            self.restore(event.row_key.value)
            self.dismiss()

    def action_export(self) -> None:
        self.export()

    def _cursor_run(self) -> str | None:
        if not self.table.row_count:
            return None
        row_key, _ = self.table.coordinate_to_cell_key(self.table.cursor_coordinate)
        return str(row_key.value)

    def action_choose(self) -> None:
        run_id = self._cursor_run()
        if run_id is None:
            return
        if run_id in self.chosen:
            self.chosen.remove(run_id)
        else:
            self.chosen.append(run_id)
        self.table.update_cell(
            run_id,
            self.table.ordered_columns[0].key,
            Text(CHOSEN if run_id in self.chosen else ""),
        )

    def action_forget(self) -> None:
        """The rows chosen, else the one under the cursor: the engine asks first."""
        if self.forget is None:
            self.notify(
                "In a browser the table is the whole class's: runs are forgotten in a terminal."
            )
            return
        under_cursor = self._cursor_run()
        run_ids = tuple(self.chosen) or ((under_cursor,) if under_cursor else ())
        if run_ids:
            self.forget(run_ids)

    def action_compare(self) -> None:
        self.compare(tuple(self.chosen))
        self.dismiss()

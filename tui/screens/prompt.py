"""Ask for one path: a dataset to open, a checkpoint to save or load, where to export."""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from tui.screens.dialog import RequestDialog
from tui.widgets.path_input import PathInput

MATCHES_LINES = 3  # the names that fit, listed when Tab can add nothing to them


def listing(names: list[str], width: int) -> str:
    """As many of the names as fit in MATCHES_LINES lines of `width` cells, and how many more."""
    reserve = cell_len(f"  … {len(names)} more")
    lines = [""]
    for index, name in enumerate(names):
        gap = "  " if lines[-1] else ""
        last = len(lines) == MATCHES_LINES and index < len(names) - 1
        if not lines[-1] or cell_len(lines[-1] + gap + name) <= width - (reserve if last else 0):
            lines[-1] += gap + name
        elif len(lines) < MATCHES_LINES:
            lines.append(name)
        else:
            lines[-1] += f"{gap}… {len(names) - index} more"
            break
    return "\n".join(lines)


class PromptScreen(RequestDialog):
    """Enter sends the path typed (`submit` returns the request's serial) and waits for the
    engine's answer: a path refused stays, with why, to be mended."""

    AUTO_FOCUS = "*"  # the app focuses nothing at first; a dialog, its first field
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, submit: Callable[[str], int], value: str = "", hint: str = ""
    ) -> None:
        super().__init__()
        self.title_text, self.submit, self.value, self.hint = title, submit, value, hint

    def compose(self) -> ComposeResult:
        with self.frame(Vertical, "prompt"):
            yield Static(self.title_text, classes="form-title")
            yield Static("", id="form-error")
            yield PathInput(self.value, id="prompt-input")
            yield Static(id="prompt-matches", classes="form-help")
            yield Static(
                self.hint + "Tab completes the path. Enter confirms, Escape cancels.",
                classes="form-help",
            )

    def on_path_input_listed(self, event: PathInput.Listed) -> None:
        listed = self.query_one("#prompt-matches", Static)
        width = self.query_one("#prompt-input").content_size.width
        listed.update(Text(listing(event.matches, width)))
        listed.set_class(bool(event.matches), "-listed")

    def on_input_changed(self) -> None:
        self.query_one("#prompt-matches", Static).set_class(False, "-listed")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        if path and self.waiting is None:  # Enter twice in one read sends it once
            self.waiting = self.submit(path)

    def action_cancel(self) -> None:
        self.dismiss()

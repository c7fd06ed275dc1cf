"""Ask for one path: a dataset to open, a checkpoint to save or load, where to export."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from tui.screens.dialog import Dialog
from tui.widgets.inputs import OrderedInput


class PromptScreen(Dialog[str | None]):
    AUTO_FOCUS = "*"  # the app focuses nothing at first; a dialog, its first field
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, value: str = "", hint: str = "") -> None:
        super().__init__()
        self.title_text, self.value, self.hint = title, value, hint

    def compose(self) -> ComposeResult:
        with self.frame(Vertical, "prompt"):
            yield Static(self.title_text, classes="form-title")
            yield OrderedInput(self.value, id="prompt-input")
            yield Static(self.hint + "Enter confirms, Escape cancels.", classes="form-help")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)

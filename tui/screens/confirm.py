"""A yes-or-no question before something that cannot be undone: replacing a file, quitting
with runs not saved."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from tui.screens.dialog import Dialog


class ConfirmScreen(Dialog[bool]):
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    keys = "y or Enter: yes · n or Escape: no"

    def compose(self) -> ComposeResult:
        with self.frame(Vertical, "prompt"):
            yield Static(self.question, classes="form-title", markup=False)
            yield Static(self.keys, classes="form-help")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class QuitScreen(ConfirmScreen):
    """Quit, losing runs not saved? The app's quit keys, pressed again, quit."""

    def __init__(self, unsaved: str, quit_keys: str) -> None:
        super().__init__(
            f"Quit? Not saved: {unsaved}. To keep the run on screen: n, then s saves it (the "
            "runs table, t, brings back another to save)."
        )
        self._bindings.bind(quit_keys, "answer(True)", show=False)
        self.keys = f"y, Enter or {quit_keys.split(',')[0]}: quit · n or Escape: stay"

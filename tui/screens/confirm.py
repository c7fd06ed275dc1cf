"""A yes-or-no question before something that cannot be undone: replacing a file."""

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

    def compose(self) -> ComposeResult:
        with self.frame(Vertical, "prompt"):
            yield Static(self.question, classes="form-title", markup=False)
            yield Static("y or Enter: yes · n or Escape: no", classes="form-help")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

"""A small form: one input per value; the validator's message shows and nothing changes."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

Validator = Callable[[dict[str, str]], str | None]


class FormScreen(ModalScreen[dict[str, str] | None]):
    """Enter applies (if the validator returns no message), Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, values: dict[str, str], validate: Validator, help_text: str = ""
    ) -> None:
        super().__init__()
        self.title_text, self.values, self.validate = title, values, validate
        self.help_text = help_text

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Static(self.title_text, classes="form-title")
            with Grid(id="fields"):
                for name, value in self.values.items():
                    yield Label(name)
                    field = Input(value, id=f"field-{name}", compact=True, select_on_focus=False)
                    field.cursor_blink = False  # a steady cursor: no redraws over SSH
                    yield field
            yield Static(self.help_text + "Enter applies, Escape cancels.", classes="form-help")
            yield Label("", id="form-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        values = {
            name: self.query_one(f"#field-{name}", Input).value.strip() for name in self.values
        }
        changed = {k: v for k, v in values.items() if v != self.values[k]}
        problem = self.validate(changed)
        if problem:
            self.query_one("#form-error", Label).update(f"✗ {problem}")
            return
        self.dismiss(changed)

    def action_cancel(self) -> None:
        self.dismiss(None)

"""A small form: one input per value. The engine checks what was typed: its answer either
closes the form or shows why nothing changed."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.widgets import Input, Label, Static

from engine.protocol import FormView
from tui.screens.dialog import Dialog
from tui.widgets.inputs import OrderedInput

Submit = Callable[[dict[str, str]], int]  # sends the changed values; returns the request's serial


class FormScreen(Dialog[None]):
    """Enter sends the changed values and waits for the answer; Escape cancels."""

    AUTO_FOCUS = "*"  # the app focuses nothing at first; a dialog, its first field

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, view: FormView, submit: Submit) -> None:
        super().__init__()
        self.view, self.submit = view, submit
        self.waiting: int | None = None  # the serial of the request sent, until answered

    def compose(self) -> ComposeResult:
        # The subtitle: in view, however long the help
        form = self.frame(Vertical, "form", subtitle="Enter applies · Escape cancels")
        with form:
            yield Static(self.view.title, classes="form-title")
            yield Label("", id="form-error")  # above the fields: in view however many there are
            scroll = VerticalScroll(id="fields-scroll")
            scroll.can_focus = False  # the first field has the focus, and Tab goes to the next
            with scroll, Grid(id="fields"):
                for name, value in self.view.values.items():
                    yield Label(name)
                    field = OrderedInput(
                        value, id=f"field-{name}", compact=True, select_on_focus=False
                    )
                    field.cursor_blink = False  # a steady cursor: no redraws over SSH
                    yield field
            yield Static(self.view.help, classes="form-help")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        values = {
            name: self.query_one(f"#field-{name}", Input).value.strip() for name in self.view.values
        }
        changed = {k: v for k, v in values.items() if v != self.view.values[k]}
        if not changed:
            self.dismiss()
            return
        self.waiting = self.submit(changed)

    def answer(self, error: str | None) -> None:
        """The engine's answer to what was sent: done, or why nothing changed."""
        self.waiting = None
        if error:
            self.query_one("#form-error", Label).update(Text(f"✗ {error}"))
        else:
            self.dismiss()

    def action_cancel(self) -> None:
        self.dismiss()

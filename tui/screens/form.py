"""A small form: one field per value, ↑/↓ (or Tab) from one to the next, a value of a few picked
with ←/→, a line on the field in focus. The engine checks what was sent: its answer either
closes the form or shows why nothing changed."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from engine.protocol import FormView, HyperparameterView
from tui.screens.dialog import RequestDialog
from tui.widgets.inputs import ChoiceField, OrderedInput

Submit = Callable[[dict[str, str]], int]  # sends the changed values; returns the request's serial
FOCUS_MARK = "▸ "  # the field in focus, for a terminal that shows no colours


class FormScreen(RequestDialog):
    """Enter sends the changed values and waits for the answer, or with none changed does
    `unchanged` (by default nothing) and closes; Escape cancels (twice, if values were
    changed)."""

    AUTO_FOCUS = "*"  # the app focuses nothing at first; a dialog, its first field

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("enter", "submit", "Apply", show=False),  # an Input sends its own Submitted
        # Before the fields' scroll, which would take them to scroll the form, not move on
        Binding("down", "app.focus_next", "Next field", show=False, priority=True),
        Binding("up", "app.focus_previous", "Previous field", show=False, priority=True),
    ]

    def __init__(
        self,
        view: FormView,
        submit: Submit,
        field: str = "",
        unchanged: Callable[[], object] | None = None,
    ) -> None:
        super().__init__()
        self.view, self.submit, self.unchanged = view, submit, unchanged
        if field in view.values:  # opened on this field (a finding of the diagnostics)
            self.AUTO_FOCUS = f"#field-{field}"
        self.warned = False  # that Escape drops the values changed

    def compose(self) -> ComposeResult:
        # The subtitle: in view, however long the help
        form = self.frame(Vertical, "form", subtitle="Enter applies · Escape cancels")
        with form:
            yield Static(self.view.title, classes="form-title")
            yield Static("", id="form-error")  # above the fields: in view however many there are
            scroll = VerticalScroll(id="fields-scroll")
            scroll.can_focus = False  # the first field has the focus, and Tab goes to the next
            with scroll, Grid(id="fields"):
                for name, value in self.view.values.items():
                    yield Label(self._label(name, False), id=f"label-{name}")
                    yield self._field(name, value)
            yield Static("", id="field-hint")
            yield Static(self.view.help, classes="form-help")

    def _field(self, name: str, value: str) -> Widget:
        if name in self.view.choices:
            return ChoiceField(self.view.choices[name], value, id=f"field-{name}")
        return OrderedInput(value, id=f"field-{name}", compact=True)

    def values(self) -> dict[str, str]:
        """What each field holds now."""
        return {name: self._value(name) for name in self.view.values}

    def _value(self, name: str) -> str:
        field = self.query_one(f"#field-{name}")
        return field.value.strip() if isinstance(field, Input) else str(field.value)

    def on_descendant_focus(self) -> None:
        self._mark_focus()

    def _mark_focus(self) -> None:
        focused = self.focused.id.removeprefix("field-") if self.focused and self.focused.id else ""
        for name in self.view.values:
            self.query_one(f"#label-{name}", Label).update(self._label(name, name == focused))
        self.query_one("#field-hint", Static).update(self._hint(focused))

    def _label(self, name: str, focused: bool) -> str:
        mark = f" {self.view.mark}" if name in self.view.renewing else ""
        return (FOCUS_MARK if focused else "") + name + mark

    def _hint(self, name: str) -> Text:
        hint = self.view.hints.get(name, "")
        if name in self.view.choices:
            hint = f"{hint} (←/→ picks)" if hint else "←/→ picks"
        view = self.view
        if name == "preset" and isinstance(view, HyperparameterView):
            lesson = view.lessons.get(f"{view.model} {self._value('preset')}")
            hint = f"{hint}. {self._value('preset')}: {lesson}" if lesson else hint
        return Text(hint)

    def on_choice_field_changed(self, event: ChoiceField.Changed) -> None:
        view = self.view
        if event.field.id == "field-preset" and isinstance(view, HyperparameterView):
            for name, value in view.presets.get(event.field.value, {}).items():
                field = self.query_one(f"#field-{name}")
                if isinstance(field, (Input, ChoiceField)):
                    field.value = value
        self._mark_focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def changed(self) -> dict[str, str]:
        return {k: v for k, v in self.values().items() if v != self.view.values[k]}

    def action_submit(self) -> None:
        changed = self.changed()
        if not changed:
            if self.unchanged is not None:
                self.unchanged()
            self.dismiss()
            return
        self.waiting = self.submit(changed)

    def action_cancel(self) -> None:
        """Values typed are not lost to a stray Escape: the first one with changes says so."""
        changed = self.changed()
        if changed and not self.warned:
            self.warned = True
            dropped = ", ".join(changed)
            self.query_one("#form-error", Static).update(
                Text(f"! Escape again drops what you changed ({dropped}); Enter applies it.")
            )
            return
        self.dismiss()

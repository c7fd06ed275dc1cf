"""The form's fields: a value picked from a few, and an Input that never loses a key
(Textual bug #6605, open): a backspace and a character in one read from the terminal
(ordinary typing over a slow SSH link) reached the Input out of order. The character was
inserted at once, while the backspace went the long way, through the bindings, and then
deleted it: "07", backspace, "1" stayed "07". Here the Input's own editing keys run their
action at once, in the order they came."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input, Static


class OrderedInput(Input):
    """An Input whose own editing keys run in the order they came; its cursor steady, as a
    blinking one redraws twice a second (over SSH too). Focused, its text is selected
    (Textual's default), as a browser's form field tabbed into: a value typed replaces it,
    and → or End leave it to be edited."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cursor_blink = False

    async def _on_key(self, event: events.Key) -> None:
        bindings = self._bindings.key_to_bindings.get(event.key)
        if bindings:
            event.stop()
            event.prevent_default()
            await self.run_action(bindings[0].action)
            return
        await super()._on_key(event)


class ChoiceField(Static, can_focus=True):
    """A value picked from a few with ←/→ (or space), each shown, the one chosen marked: a
    choice is never typed."""

    BINDINGS = [
        Binding("left", "move(-1)", "Previous", show=False),
        Binding("right,space", "move(1)", "Next", show=False),
    ]

    @dataclass
    class Changed(Message):
        field: ChoiceField

    def __init__(self, choices: tuple[str, ...], value: str, id: str) -> None:
        super().__init__(id=id, classes="choice")
        # A value the choices do not name (a run from an older version): kept, never lost
        self.choices = choices if value in choices else (value, *choices)
        self._value = value

    @property
    def value(self) -> str:
        return self._value

    @value.setter
    def value(self, value: str) -> None:
        if value in self.choices and value != self._value:
            self._value = value
            self.refresh()

    def render(self) -> Text:
        text = Text()
        for choice in self.choices:
            if text:
                text.append(" ")
            if choice == self._value:
                text.append(f"[{choice}]", style="bold reverse" if self.has_focus else "bold")
            else:
                text.append(f" {choice} ", style="dim")
        return text

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_move(self, step: int) -> None:
        index = (self.choices.index(self._value) + step) % len(self.choices)
        self.value = self.choices[index]
        self.post_message(self.Changed(self))

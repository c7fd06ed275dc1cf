"""A path typed in a dialog, completed from the files there as a shell does: Tab fills in what
every name that fits shares (a folder with its '/'), and lists them when that is all; as it is
typed, the rest of the one name that fits shows dimmed, and → takes it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from textual.binding import Binding
from textual.message import Message
from textual.suggester import Suggester

from tui.widgets.inputs import OrderedInput


def path_matches(typed: str) -> list[str]:
    """The names in the typed path's folder that start as its last part does, a folder's with
    '/' after it, sorted; hidden ones only when the last part starts with '.'."""
    if typed == "~":
        return ["~/"]
    folder, slash, start = typed.rpartition("/")
    directory = os.path.expanduser(folder + slash) if slash else "."
    try:
        with os.scandir(directory) as entries:
            return sorted(
                entry.name + ("/" if _is_folder(entry) else "")
                for entry in entries
                if entry.name.startswith(start) and (start[:1] == "." or entry.name[:1] != ".")
            )
    except OSError:  # no such folder, or not ours to read
        return []


def completed(typed: str, matches: list[str]) -> str:
    """The typed path with what all its matches share after it."""
    start = "" if typed == "~" else typed.rpartition("/")[2]
    return typed[: len(typed) - len(start)] + os.path.commonprefix(matches) if matches else typed


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


class PathSuggester(Suggester):
    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)  # the files change

    async def get_suggestion(self, value: str) -> str | None:
        suggestion = completed(value, path_matches(value))
        return suggestion if suggestion != value else None


class PathInput(OrderedInput):
    """An OrderedInput for a path: Tab completes it, and says which names fit (Listed) when it
    can add nothing to them."""

    BINDINGS = [Binding("tab", "complete", "Complete the path", show=False)]

    @dataclass
    class Listed(Message):
        matches: list[str]  # more than one; empty once the path is completed

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, suggester=PathSuggester(), **kwargs)

    def action_complete(self) -> None:
        whole = not self.selection.is_empty  # the value as the dialog opened: all of it
        typed = self.value if whole else self.value[: self.cursor_position]
        matches = path_matches(typed)
        longer = completed(typed, matches)
        if longer != typed:
            self.value = longer if whole else longer + self.value[len(typed) :]
            self.cursor_position = len(longer)
        elif len(matches) != 1:
            self.app.bell()
        self.post_message(self.Listed(matches if len(matches) > 1 and longer == typed else []))

"""Screens that are dismissed once. Textual's dismiss() pops whatever screen is on top: two
keys in one read from the terminal (Enter twice, over a slow link or a paste) dismissed the
dialog, then the screen below it, and with it the app (ScreenStackError)."""

from __future__ import annotations

from contextlib import suppress
from typing import Any, TypeVar

from textual.await_complete import AwaitComplete
from textual.command import CommandPalette
from textual.css.query import NoMatches
from textual.screen import ModalScreen

ResultType = TypeVar("ResultType")


async def _nothing() -> None:
    return None


def nothing_done() -> AwaitComplete:
    """What a dismiss or a pop that does nothing returns."""
    return AwaitComplete(_nothing())


class DismissedOnce:
    """A screen's dismiss() that does something only while the screen is on top (a key for
    it still queued when another screen, the palette say, went over it, would pop that one),
    and only once."""

    _dismissed = False

    def dismiss(self, result: Any = None) -> AwaitComplete:
        if self._dismissed or self.app.screen is not self:  # type: ignore[attr-defined]
            return nothing_done()
        self._dismissed = True
        return super().dismiss(result)  # type: ignore[misc]


class Dialog(DismissedOnce, ModalScreen[ResultType]):
    """The base of every dialog of the app."""


class Palette(DismissedOnce, CommandPalette):
    """Textual's command palette, dismissed once."""

    def _watch__list_visible(self) -> None:
        # Its worker still gathering commands after the palette was dismissed by a key of the
        # same read found its widgets gone (NoMatches, the app gone); nothing to show then.
        with suppress(NoMatches):
            super()._watch__list_visible()

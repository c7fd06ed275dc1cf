"""Screens that are dismissed once. Textual's dismiss() pops whatever screen is on top: two
keys in one read from the terminal (Enter twice, over a slow link or a paste) dismissed the
dialog, then the screen below it, and with it the app (ScreenStackError)."""

from __future__ import annotations

from contextlib import suppress
from typing import Any, ClassVar, Generic, TypeVar

from rich.text import Text
from textual.await_complete import AwaitComplete
from textual.command import CommandPalette
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

ResultType = TypeVar("ResultType")
ViewType = TypeVar("ViewType")


async def _nothing() -> None:
    return None


def nothing_done() -> AwaitComplete:
    """What a dismiss or a pop that does nothing returns."""
    return AwaitComplete(_nothing())


class DismissedOnce:
    """A screen's dismiss() that takes effect once, and only with the screen on top: one
    asked for while another screen is over it (a question the engine sent while the palette
    was closing, the palette over a prompt) would pop that one, so it waits until the screen
    is on top again."""

    _dismissed = False
    _waiting: tuple[Any] | None = None  # the result of a dismiss asked for while covered

    def dismiss(self, result: Any = None) -> AwaitComplete:
        if self._dismissed:
            return nothing_done()
        if self.app.screen is not self:  # type: ignore[attr-defined]
            self._waiting = (result,)
            return nothing_done()
        self._dismissed = True
        return super().dismiss(result)  # type: ignore[misc]

    def on_screen_resume(self) -> None:
        if self._waiting is not None:
            (result,), self._waiting = self._waiting, None
            self.call_later(self._dismiss_waiting, result)  # type: ignore[attr-defined]

    def _dismiss_waiting(self, result: Any) -> None:
        # Not awaited: call_later would await what dismiss() returns, which Textual refuses
        # from the screen's own message handler (ScreenError).
        self.dismiss(result)


class Dialog(DismissedOnce, ModalScreen[ResultType]):
    """The base of every dialog of the app: centred, in a frame (app.tcss: .frame)."""

    @staticmethod
    def frame(kind: type[Widget], id: str, title: str = "", subtitle: str = "") -> Widget:
        """The dialog's frame, titled; its size is its id's in app.tcss."""
        frame = kind(id=id, classes="frame")
        frame.border_title, frame.border_subtitle = title, subtitle
        return frame


class RequestDialog(Dialog[None]):
    """A dialog whose Enter sends a request to the engine and stays open until it is answered:
    done closes it; an error is shown in it (#form-error), what was typed still there to mend.
    The app hands each answer to the dialog waiting for it."""

    waiting: int | None = None  # the serial of the request sent, until answered

    def answer(self, error: str | None) -> None:
        self.waiting = None
        if error:
            self.query_one("#form-error", Static).update(Text(f"✗ {error}"))
        else:
            self.dismiss()


class ViewScreen(Dialog[None], Generic[ViewType]):
    """A dialog that draws one kind of the engine's views (VIEW), live, as a panel does: the
    app routes each to the screen open for it, and one that came before the screen was
    mounted is drawn once it is."""

    VIEW: ClassVar[type]

    def __init__(self) -> None:
        super().__init__()
        self.view: ViewType | None = None
        # The request for its views, if the engine may refuse it: refused, it has nothing to
        # show, and closes (the finder on a counting model).
        self.request: int | None = None

    def on_mount(self) -> None:  # Textual calls a subclass's own on_mount first
        if self.view is not None:
            self.draw(self.view)

    def show(self, view: ViewType) -> None:
        self.view = view
        if self.is_mounted:
            self.draw(view)

    def draw(self, view: ViewType) -> None:
        raise NotImplementedError


class Palette(DismissedOnce, CommandPalette):
    """Textual's command palette, dismissed once."""

    def _watch__list_visible(self) -> None:
        # Its worker still gathering commands after the palette was dismissed by a key of the
        # same read found its widgets gone (NoMatches, the app gone); nothing to show then.
        with suppress(NoMatches):
            super()._watch__list_visible()

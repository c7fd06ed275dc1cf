"""The makemore-tui app: keys, actions and the panels' layout. Each panel draws its own view;
the engine (a process of its own, started after the first frame) decides everything else.

It never imports torch. Screens and plots are imported where they are first used, so that the
first frame costs little more than Textual's own import.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.command import CommandPalette
from textual.containers import Grid
from textual.content import Content
from textual.events import DescendantBlur, DescendantFocus, Resize
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import ThemeProvider
from textual.widget import Widget
from textual.widgets import Footer

from engine import freeze_survivors
from engine.protocol import (
    Answer,
    BigramView,
    Capability,
    DiagnosticsView,
    FamiliesView,
    FamilyInfo,
    FormView,
    HyperparameterView,
    Idle,
    InsideView,
    LessonView,
    Names,
    Note,
    RateSweepView,
    RunsView,
    SamplingView,
    TraceView,
    TriesView,
)
from engine.words import listed
from tui.cells import measure_as_terminals_do
from tui.client import EngineClient
from tui.commands import CommandsByNameAndHelp
from tui.keys import BINDINGS, UNLISTED, keymap_path, load_keymap
from tui.messages import EngineEnded, EngineReported
from tui.preferences import load_theme, save_theme, settings_path
from tui.screens.confirm import ConfirmScreen, QuitScreen
from tui.screens.dialog import Palette, RequestDialog, ViewScreen, nothing_done
from tui.screens.prompt import PromptScreen
from tui.widgets.bigrams import BigramHeatmap
from tui.widgets.generator import NameList
from tui.widgets.lesson import LessonCaption
from tui.widgets.notes import NoteLines
from tui.widgets.panels import FOCUS_MARK, EmbeddingPanel, LossPanel
from tui.widgets.status import StatusLine
from tui.widgets.too_small import TooSmall

if TYPE_CHECKING:
    from tui.screens.form import FormScreen


RUN_STEPS = (100, 1_000, 10_000)  # the palette's "Run N steps"
# The top row of panels keeps at least this many rows when the bottom one grows for the grid
TOP_ROWS = 12
END_SECONDS = 5.0  # after SIGTERM or SIGHUP, longer than a normal quit ever takes
WORKING_AFTER_SECONDS = 0.5  # a request unanswered this long: the status line says so
WORKING_CHECK_SECONDS = 0.25


class MakemoreApp(App[int]):
    CSS_PATH = Path(__file__).resolve().with_name("app.tcss")
    TITLE = "makemore-tui"
    BINDINGS = BINDINGS
    COMMANDS = {CommandsByNameAndHelp}
    # a maximised panel keeps the status line and the lesson's caption
    ALLOW_IN_MAXIMIZED_VIEW = "Footer, #status, #lesson, #notes"
    AUTO_FOCUS = None  # no panel stands out until Tab picks one

    def __init__(self, engine: EngineClient, lesson: bool = False) -> None:
        measure_as_terminals_do()
        super().__init__()
        self.engine = engine
        self.start_in_lesson = lesson
        self.lesson = LessonCaption(id="lesson")
        self._lesson_step: int | None = None  # the step whose panels were set up
        self._grid_rows = "1fr 1fr"  # the panels' rows, as app.tcss has them
        self.loss, self.embedding = LossPanel(id="loss"), EmbeddingPanel(id="embedding")
        self.bigrams, self.names = BigramHeatmap(id="bigrams"), NameList(id="names")
        self.status = StatusLine(id="status")
        self.notes = NoteLines(id="notes")
        self.too_small = TooSmall(id="too-small")
        # Which panel draws which view. Held, not queried: a last report may arrive while the
        # app closes, and drawing on a panel that has gone is harmless.
        panels = (self.status, self.loss, self.embedding, self.bigrams, self.names, self.lesson)
        self.panels = {panel.VIEW: panel for panel in panels}
        self.forms: dict[type[FormView], FormView] = {}  # what each form offers now
        self.families: list[FamilyInfo] = []  # as the engine lists them, once
        self.tries: TriesView | None = None  # things to try, once
        self.form: FormScreen | None = None  # the form opened last
        self.screens: dict[type, ViewScreen[Any]] = {}  # which open screen draws which view
        # Requests the engine may answer with a question (a file to replace), by serial: what
        # to send again if the user says yes.
        self.on_yes: dict[int, Callable[[], int]] = {}
        self._frozen = False
        self._signalled = False  # ended by a kill or a dropped session, not by quitting
        # They take the terminal's own colours, which plotext cannot name: the plots lose
        # their axes.
        for theme in ("ansi-dark", "ansi-light"):
            self.unregister_theme(theme)

    def compose(self) -> ComposeResult:
        with Grid(id="main") as self.main:
            yield self.loss
            yield self.embedding
            yield self.bigrams
            yield self.names
        yield self.notes
        yield self.lesson
        yield self.status
        yield self.too_small
        yield Footer(compact=True)  # q and "? More keys" fit at 80 columns

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """On the main screen a note takes lines of its own; over a dialog it is a toast."""
        if self.screen is self.screen_stack[0] and self.notes.is_mounted:
            text = message if not markup else Content.from_markup(message).plain
            seconds = self.NOTIFICATION_TIMEOUT if timeout is None else timeout
            self.notes.add(f"{title}: {text}" if title else text, severity, seconds)
        else:
            super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def clear_notifications(self) -> None:
        super().clear_notifications()
        self.notes.clear()

    def on_mount(self) -> None:
        # Once the first frame is on the terminal: starting a process takes a few milliseconds.
        self.call_after_refresh(self.read_engine)
        if self.start_in_lesson:
            self.action_lesson()
        keymap, problem = load_keymap(keymap_path())
        if problem:
            self.notify(problem, severity="error", timeout=15, markup=False)
        self.set_keymap(keymap)
        # In a browser, not: a class's sessions run as one user, and one student's pick is not
        # the next one's.
        self._remembers_theme = not self.is_web
        self.call_after_refresh(self._tidy_leftovers)
        self.set_interval(WORKING_CHECK_SECONDS, self._show_working)
        if self._remembers_theme:
            theme, problem = load_theme(settings_path(), self.available_themes)
            if problem:
                self.notify(problem, severity="warning", timeout=15, markup=False)
            if theme:
                self.theme = theme
        self.theme_changed_signal.subscribe(self, self._retheme)
        # A kill or a dropped SSH session: leave as q does, so that the terminal is restored
        # (cooked mode, main screen, no mouse reporting) and the engine ends.
        self._loop_for_signals = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            with suppress(ValueError):  # not the main thread: a test's
                signal.signal(signum, self._on_signal)

    def _tidy_leftovers(self) -> None:
        """Once the first frame is up: what killed apps left is removed, and in a terminal
        (not a browser, whose class shares one data directory) their runs are kept, and this
        app's would be; the runs kept are said."""
        kept = self.engine.tidy_leftovers(keep=not self.is_web)
        if kept:
            self.notify(
                "An earlier session ended without quitting (a kill, a dropped connection): "
                f"its run, as last saved, is in {kept[-1]} (l loads it).",
                severity="warning",
                timeout=20,
                markup=False,
            )

    def _on_signal(self, signum: int, _frame: object) -> None:
        # A Python handler, not the loop's: it runs even while the app is blocked in a write to
        # an output nobody reads (a browser gone, a terminal stopped), which the loop never is.
        code = 128 + signum
        self._signalled = True  # no time to ask: the run as last saved is kept
        self._loop_for_signals.call_soon_threadsafe(partial(self.exit, return_code=code))
        threading.Thread(target=self._end_anyway, args=(code,), daemon=True).start()

    def _end_anyway(self, code: int) -> None:
        """If the app has not ended in END_SECONDS, end it and the engine without drawing."""
        time.sleep(END_SECONDS)
        self.engine.stop(keep_run=True)
        attrs = getattr(self._driver, "attrs_before", None)  # a terminal's cooked mode
        if attrs is not None:
            with suppress(termios.error, OSError):
                termios.tcsetattr(sys.__stdin__.fileno(), termios.TCSANOW, attrs)
        os._exit(code)

    def _retheme(self, _theme: object) -> None:
        """The texts coloured for the theme: the legend and the status line; and the theme
        remembered for the next start."""
        for panel in (self.status, self.loss):
            if panel.view is not None:
                panel.show(panel.view)
        if self._remembers_theme and (problem := save_theme(settings_path(), self.theme)):
            self.notify(problem, severity="warning", markup=False)

    def on_unmount(self) -> None:
        # However the app ends, the engine stops within one step.
        self.engine.stop(keep_run=self._signalled)

    @work(thread=True, exclusive=True, name="engine")
    def read_engine(self) -> None:
        for report in self.engine.reports():
            self.post_message(EngineReported(report))
        self.post_message(EngineEnded())

    def on_engine_ended(self) -> None:
        if self.engine.stopped:  # by our quitting
            return
        # It died, and said why in a note: offer to start another where the run was saved.
        self.status.engine_ended()
        age = self.engine.autosave_age()
        if age is not None:
            question = (
                "The engine has stopped. Start it again from the run as it was saved "
                f"{age:,.0f} s ago?"
            )
            self.push_screen(ConfirmScreen(question), lambda yes: yes and self._restart_engine())

    def _answered(self, serial: int) -> None:
        self.engine.answered(serial)
        self._show_working()

    def _show_working(self) -> None:
        """A key whose answer takes a while (a net counting its prior on a list of millions,
        a pause measuring val) is seen to be at work, not ignored."""
        self.status.working(self.engine.waited() > WORKING_AFTER_SECONDS)

    def _restart_engine(self) -> None:
        self.engine = self.engine.restarted()
        self.status.restarting()
        self.read_engine()

    def on_engine_reported(self, message: EngineReported) -> None:
        match message.report:
            case Names() as names:
                self.names.update_names(names)
            case Note(text, severity):
                self.notify(text, severity=severity, timeout=8, markup=False)
            case Answer(serial, _, question) if question:
                self._answered(serial)
                again = self.on_yes.pop(serial, None)
                if again is not None:
                    dialog = self._waiting_for(serial)
                    if dialog is not None:
                        dialog.waiting = None  # asked: it stays open, whatever the answer
                    self.push_screen(
                        ConfirmScreen(question), lambda yes: yes and self._yes(again, dialog)
                    )
            case Answer(serial, error):
                self._answered(serial)
                self.on_yes.pop(serial, None)
                dialog = self._waiting_for(serial)
                if dialog is not None:
                    dialog.answer(error)
                elif error:
                    for screen in list(self.screens.values()):
                        if screen.request == serial:
                            screen.dismiss()
                    self.notify(error, severity="error", timeout=8, markup=False)
            case Idle() as idle:
                self.engine.drawn(idle)
            case FamiliesView(families):
                self.families = families
            case TriesView() as tries:
                self.tries = tries
            case HyperparameterView() | SamplingView() as form:
                self.forms[type(form)] = form
                if isinstance(form, HyperparameterView):
                    self._follow_the_model(form)
            case LessonView() as view:
                self.lesson.show(view)
                self.loss.lesson_open(view.open)
                self._set_up_for(view)
                self.call_after_refresh(self._fit_the_grid)  # the caption takes rows
            case (
                DiagnosticsView() | InsideView() | RateSweepView() | RunsView() | TraceView()
            ) as view:
                if type(view) in self.screens:  # a screen open for it
                    self.screens[type(view)].show(view)
            case view:
                self.panels[type(view)].show(view)
                if isinstance(view, BigramView):
                    self._fit_the_grid()
                if not self._frozen:  # the app's long-lived objects exist by now
                    self._frozen = True
                    self.call_after_refresh(freeze_survivors)

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        self._mark_focus(event.widget, True)

    def on_descendant_blur(self, event: DescendantBlur) -> None:
        self._mark_focus(event.widget, False)

    def _mark_focus(self, widget: Widget, focused: bool) -> None:
        """The focused panel's title marked (FOCUS_MARK), as retitle() does when it draws."""
        title = str(widget.border_title or "")
        if widget in self.panels.values() and title:
            bare = title.removeprefix(FOCUS_MARK)
            widget.border_title = (FOCUS_MARK if focused else "") + bare

    def _set_up_for(self, view: LessonView) -> None:
        """A lesson step's panels, once when it is entered: the learner may change them."""
        step = view.step if view.open else None
        if step == self._lesson_step:
            return
        self._lesson_step = step
        if step is None:
            return
        self.bigrams.show_probabilities = view.probabilities
        panels = {"loss": self.loss, "embedding": self.embedding}
        panels |= {"bigrams": self.bigrams, "names": self.names}
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
        if view.panel is not None and not screen.is_modal:
            panels[view.panel].focus()
            screen.maximize(panels[view.panel], container=False)

    def action_lesson(self) -> None:
        if self.lesson.view is not None and self.lesson.view.open:
            self.engine.close_lesson()
        else:
            self._ask_first(self.engine.lesson, 0, confirmed=True)

    def action_lesson_move(self, move: int) -> None:
        self._ask_first(self.engine.lesson, move, confirmed=True)

    def on_resize(self, event: Resize) -> None:
        # The main screen's, which holds the panels: not a dialog's open over it
        self.screen_stack[0].set_class(not self.too_small.fits(event.size), "too-small")
        self.call_after_refresh(self._fit_the_grid)

    def _fit_the_grid(self) -> None:
        """The bottom row of panels a few rows taller where that holds the whole bigram grid
        (220x60 is one row short of 27 symbols), as long as the top row keeps TOP_ROWS."""
        needed, height = self.bigrams.rows_needed(), self.main.size.height
        rows = "1fr 1fr"
        if needed is not None and height // 2 < needed + 2 <= height - TOP_ROWS:
            rows = f"1fr {needed + 2}"  # its border's two rows
        if self._grid_rows != rows:
            self._grid_rows = rows
            self.main.styles.grid_rows = rows

    # Actions

    def action_toggle_run(self) -> None:
        self.engine.toggle_running()

    def action_step(self) -> None:
        self.engine.step()

    def action_switch_model(self) -> None:
        self.engine.next_model()

    def action_generate(self) -> None:
        self.engine.generate(self._names_to_draw())

    def _names_to_draw(self) -> int:
        """As many as the generator panel shows."""
        return max(4, self.names.size.height)

    def action_temperature(self, up: bool) -> None:
        self.engine.nudge_temperature(up)

    def action_reset(self) -> None:
        self._ask_first(self.engine.reset, confirmed=True)

    def action_toggle_counts(self) -> None:
        self.bigrams.show_probabilities = not self.bigrams.show_probabilities

    def action_toggle_log(self) -> None:
        self.loss.toggle_log_scale()

    def action_edit(self, field: str = "") -> None:
        self._open_form(HyperparameterView, self._reconfigure, field)

    def _reconfigure(self, values: dict[str, str]) -> int:
        """The form's values; should they replace a trained run, sent again once the user
        agrees."""
        return self._ask_first(self.engine.reconfigure, values, confirmed=True)

    def _follow_the_model(self, view: HyperparameterView) -> None:
        """A form opened while a switch of model was under way shows the new model's fields:
        the old model's would be sent to one that has none of them."""
        form = self.form
        if form is None or not form.is_current or not isinstance(form.view, HyperparameterView):
            return
        if form.view.model != view.model and form.waiting is None:
            self.pop_screen()
            self._open_form(HyperparameterView, form.submit)

    def action_sampling(self) -> None:
        # Enter draws with the values, changed or not, once the engine takes them (the form
        # says so)
        self._open_form(
            SamplingView,
            lambda values: self.engine.set_sampling(values, self._names_to_draw()),
            unchanged=self.action_generate,
        )

    def _open_form(
        self,
        kind: type[FormView],
        submit: Callable[[dict[str, str]], int],
        field: str = "",
        unchanged: Callable[[], object] | None = None,
    ) -> None:
        from tui.screens.form import FormScreen

        if kind not in self.forms:
            self.notify("Still loading.")
            return
        form = FormScreen(self.forms[kind], submit, field, unchanged)
        if self._push_once(form):
            self.form = form

    def _ask_path(self, title: str, value: str, send: Callable[[str], int], hint: str = "") -> None:
        self._push_once(PromptScreen(title, send, value, hint))

    def _push_once(self, screen: Screen[Any], done: Callable[[Any], object] | None = None) -> bool:
        """Push a dialog a key opens, unless one of its kind is open already (its command
        picked in the palette over it): False then."""
        if any(type(open_screen) is type(screen) for open_screen in self.screen_stack):
            return False
        self.push_screen(screen, done)
        return True

    def action_open(self) -> None:
        self._ask_path(
            "Open a dataset: a UTF-8 text file, one item per line",
            "",
            self.engine.open_dataset,
            "'names' fetches makemore's names.txt. ",
        )

    def action_save(self) -> None:
        model = self.status.view.model if self.status.view else "model"
        self._ask_path(
            "Save a checkpoint",
            f"{model}.pt",
            lambda path: self._ask_first(self.engine.save, path, replace=True),
        )

    def _ask_first(self, send: Callable[..., int], *args: object, **yes: bool) -> int:
        """Send a request that the engine may answer with a question; if the user says yes,
        it is sent again with the `yes` values. Returns the first request's serial."""
        serial = send(*args)
        self.on_yes[serial] = partial(send, *args, **yes)
        return serial

    def _yes(self, again: Callable[[], int], dialog: RequestDialog | None) -> None:
        """The request sent again once the user agreed; the dialog it came from waits for it."""
        serial = again()
        if dialog is not None:
            dialog.waiting = serial

    def _waiting_for(self, serial: int) -> RequestDialog | None:
        """The open dialog that sent this request, if any: the answer is for it to show."""
        waiting = (s for s in self.screen_stack if isinstance(s, RequestDialog))
        return next((s for s in waiting if s.waiting == serial), None)

    def action_load(self) -> None:
        self._ask_path("Load a checkpoint", "", self.engine.load)

    def action_export(self) -> None:
        self._ask_path(
            "Export the generated names and the loss history",
            "makemore",
            lambda stem: self._ask_first(self.engine.export, stem, replace=True),
            "Writes NAME-names.tsv and NAME-loss.csv. ",
        )

    def action_find_rate(self) -> None:
        from tui.screens.rate_finder import RateFinderScreen

        finder = RateFinderScreen(self._apply_rate)
        if self._open(finder, self.engine.end_learning_rate_search):
            finder.request = self.engine.find_learning_rate()

    def _apply_rate(self, rate: float) -> None:
        self.engine.reconfigure({"learning_rate": f"{rate:g}"})

    def _open(self, screen: ViewScreen[Any], closed: Callable[[], object] | None = None) -> bool:
        """Push a screen that draws one kind of view; `closed` once it is dismissed. Not if
        one of its kind is open already (its key pressed inside it): False then."""
        if screen.VIEW in self.screens:
            return False
        self.screens[screen.VIEW] = screen

        def close(_: object) -> None:
            if self.screens.get(screen.VIEW) is screen:
                del self.screens[screen.VIEW]
            if closed is not None:
                closed()

        self.push_screen(screen, close)
        return True

    def action_runs(self) -> None:
        from tui.screens.runs import RunsScreen

        runs = RunsScreen(
            self.engine.restore_run,
            self._export_runs,
            self.engine.compare_runs,
            # In a browser, not: a class's sessions share one table, and a student's Delete
            # would take the others' runs
            None
            if self.is_web
            else lambda run_ids: self._ask_first(self.engine.forget_runs, run_ids, confirmed=True),
        )
        if self._open(runs):
            self.engine.list_runs()

    def _export_runs(self) -> None:
        self._ask_path(
            "Export the runs table",
            "makemore-runs.csv",
            lambda path: self._ask_first(self.engine.export_runs, path, replace=True),
        )

    def action_tries(self) -> None:
        from tui.screens.tries import TriesScreen

        if self.tries is None:
            self.notify("Still loading.")
            return
        self._push_once(TriesScreen(self.tries, self._start_try))

    def _start_try(self, index: int, finds_rate: bool) -> None:
        """A new run of the post's net; the finder opened on it, for the entry that wants it."""
        self.engine.try_change(index)
        if finds_rate:
            self.action_find_rate()

    def action_trace(self) -> None:
        from tui.screens.trace import TraceScreen

        name = self.names.chosen()
        if self._open(TraceScreen(name, self.engine.trace_name)) and name:
            self.engine.trace_name(name)

    def action_diagnostics(self) -> None:
        from tui.screens.diagnostics import DiagnosticsScreen
        from tui.screens.inside import InsideScreen

        kinds = {Capability.DIAGNOSTICS, Capability.ATTENTION, Capability.STATES}
        inside = {f.name: kinds & set(f.capabilities) for f in self.families}
        status = self.status.view
        if status is not None and inside and not inside.get(status.model, True):
            having = listed([name for name, found in inside.items() if found])
            self.notify(
                f"The {status.model} has nothing inside to look at; the {having} have: "
                "press m to reach one."
            )
            return
        if status is not None and Capability.DIAGNOSTICS not in inside.get(status.model, kinds):
            name = self.names.chosen()
            screen = InsideScreen(name, partial(self.engine.watch_inside, True))
            if self._open(screen, partial(self.engine.watch_inside, False)):
                self.engine.watch_inside(True, name)
            return
        diagnostics = DiagnosticsScreen(lambda field: self.action_edit(field))
        if self._open(diagnostics, partial(self.engine.watch_diagnostics, False)):
            self.engine.watch_diagnostics(True)

    def action_maximize(self) -> None:
        """The focused panel (else the loss) fills the screen; again, or Escape, restores."""
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
            return
        panels = list(self.panels.values())
        target = self.focused if self.focused in panels else self.loss
        target.focus()  # its keys (the bigram grid's arrows) work at once
        screen.maximize(target, container=False)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        form = self.forms.get(HyperparameterView)
        lessons = form.lessons if isinstance(form, HyperparameterView) else {}
        listed = [b for b in self._bound_keys() if b.key not in UNLISTED]
        self._push_once(HelpScreen(listed, lessons, self.families))

    def action_quit(self) -> None:
        """Quit, asking first when runs that trained a while are not saved (the engine says
        which); the quit keys pressed again while it asks quit."""
        unsaved = self.status.view.unsaved if self.status.view else None
        if unsaved and not any(isinstance(s, QuitScreen) for s in self.screen_stack):
            quit_keys = next(b.key for b in self._bound_keys() if b.action == "quit")
            self.push_screen(QuitScreen(unsaved, quit_keys), lambda yes: yes and self._quit())
        else:
            self._quit()

    def _quit(self) -> None:
        self.engine.stop()  # the engine stops within one training step
        self.exit(0)

    def action_command_palette(self) -> None:
        # One at a time, even under another screen. No id: a palette just dismissed by a key of
        # the same read is still being removed, and would hold it (DuplicateIds).
        if self.use_command_palette and not any(
            isinstance(screen, CommandPalette) for screen in self.screen_stack
        ):
            self.push_screen(Palette())

    def search_themes(self) -> None:
        self.push_screen(Palette(providers=[ThemeProvider], placeholder="Search for themes…"))

    def pop_screen(self) -> AwaitComplete:
        # Never the last screen: a key for a screen already gone (two in one read) would
        # take the app with it (ScreenStackError).
        if len(self.screen_stack) <= 1:
            return nothing_done()
        return super().pop_screen()

    def _bound_keys(self) -> list[Binding]:
        """The app's keys, as remapped by keys.toml."""
        return [
            replace(b, key=self._keymap[b.id], key_display=None) if b.id in self._keymap else b
            for b in self.BINDINGS
        ]

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self._bound_keys():
            if binding.key not in (*UNLISTED, "q"):  # Textual's palette has its own Quit
                key = self.get_key_display(binding)
                yield SystemCommand(
                    binding.description,
                    f"{key} · {binding.tooltip}",
                    partial(self.run_action, binding.action),
                )
        for steps in RUN_STEPS:
            yield SystemCommand(
                f"Run {steps:,} steps",
                f"train {steps:,} steps more, then pause (the run's steps budget)",
                partial(self.engine.run_steps, steps),
            )
        for family in self.families:  # as the engine names them
            yield SystemCommand(
                f"Model: {family.name}",
                f"{family.summary}; each model keeps its own run",
                partial(self.engine.select_model, family.name),
            )


def create_app(
    data: str | None = None,
    checkpoint: str | None = None,
    engine: EngineClient | None = None,
    lesson: bool = False,
) -> MakemoreApp:
    """The app, as the CLI and the tests build it; tests may give it an engine of their own;
    `lesson`: it opens in the lesson."""
    return MakemoreApp(engine or EngineClient(data, checkpoint), lesson)

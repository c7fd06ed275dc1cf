"""Pilot tests of the app over a fake engine that replays the real one's records (no torch, no
process): every key sends its command, the forms show the engine's answers, the panels draw
their views. tests/test_end_to_end.py drives the real engine."""

from __future__ import annotations

import io
import math
import re
from dataclasses import replace

import pytest
from fake_engine import THREE_RUNS
from recording import load
from rich.console import Console
from textual.command import CommandList, CommandPalette
from textual.widgets import Input
from tui_helpers import drive, press, settle, show_runs, toast, until

from engine.commands import (
    CloseLesson,
    EndLearningRateSearch,
    Export,
    FindLearningRate,
    ForgetRuns,
    Generate,
    Lesson,
    ListRuns,
    Load,
    NextModel,
    NudgeTemperature,
    OpenDataset,
    Reconfigure,
    Reset,
    RestoreRun,
    Save,
    SelectModel,
    SetSampling,
    Step,
    ToggleRunning,
    TraceName,
    TryChange,
    WatchDiagnostics,
)
from engine.protocol import DiagnosticsView, EmbeddingView, Names, Note, RateSweepView, Sample
from tui.keys import BINDINGS, UNLISTED
from tui.preferences import save_theme
from tui.screens.form import FOCUS_MARK
from tui.screens.help import shown_key

RECORDED = load()


@pytest.mark.parametrize(
    ("key", "command"),
    [
        ("space", ToggleRunning()),
        ("n", Step(1)),
        ("m", NextModel()),
        ("g", Generate(12)),  # as many as the generator panel has rows at 100x30
        ("plus", NudgeTemperature(up=True)),
        ("equals_sign", NudgeTemperature(up=True)),
        ("minus", NudgeTemperature(up=False)),
        ("r", Reset()),
    ],
)
def test_each_key_sends_its_command(key, command):
    async def scenario(app, pilot):
        await press(pilot, key)
        assert app.engine.sent == [command]

    drive(scenario, RECORDED["start"])


def test_the_panels_draw_their_views():
    async def scenario(app, pilot):
        assert app.status.view.model == "mlp" and app.status.view.step == 600
        assert "step 600" in str(app.status.render())
        # each curve named in its colour, after its marker
        assert app.loss.border_title.startswith(
            "Loss [bold #5fd7ff]▀ mlp[/bold #5fd7ff] [bold #ffaf5f]• bigram"
        )
        # Its figures, in words where the panel has room, else in short (t, v, bi...)
        subtitle = app.loss.border_subtitle
        assert re.match(r"t(rain)? \d\.\d{3} ", subtitle) and re.search(
            r" bi(gram)? 2\.5", subtitle
        )
        assert app.embedding.border_subtitle == "14-D, PCA to 2-D"  # sized for the data
        assert app.bigrams.border_title == "Bigrams · counts"
        assert app.names.border_title == "Generator · mlp"
        assert app.names.border_subtitle == "T 1.0 top-k all"

    drive(scenario, RECORDED["mlp 600 steps"])


def test_texts_take_colours_that_read_on_the_theme_and_only_working_themes_are_offered():
    def colours(app):
        return app.loss.border_title, [text.style for _, text in app.status.parts]

    async def scenario(app, pilot):
        dark, screen = colours(app), app.export_screenshot()
        app.theme = "solarized-light"
        await settle(pilot)
        light = colours(app)
        assert "#005f87" in light[0] and "#005f87" in light[1] and "#5fd7ff" in dark[0]
        app.theme = "textual-dark"
        await settle(pilot)
        assert colours(app) == dark
        assert app.export_screenshot() == screen  # nothing left of the light theme
        assert not {"ansi-dark", "ansi-light"} & set(app.available_themes)

    drive(scenario, RECORDED["mlp 600 steps"])


def test_every_model_has_a_marker_of_its_own_and_none_is_vals():
    """Runs compared in the loss panel (c) never look alike, even without colour: the
    Transformer's curve was drawn in val's x, and the MLP's and the GRU's were one style."""
    from engine.families import FAMILIES
    from tui.widgets.styles import style

    models = [family.name for family in FAMILIES]
    markers = [style(model, models)[1] for model in models]
    assert len(set(markers)) == len(models) and "x" not in markers


def test_names_are_listed_with_their_tags():
    async def scenario(app, pilot):
        lines = [app.names.render_line(y).text for y in range(app.names.size.height)]
        names = [line.rstrip() for line in lines if line.strip()]
        assert len(names) == 9
        assert all(line.endswith(("new", "train", "val", "test")) for line in names)

    drive(scenario, RECORDED["mlp 1500 steps, 9 names"])


def test_counts_and_log_scale_toggle_in_the_app_alone():
    async def scenario(app, pilot):
        assert app.bigrams.border_title == "Bigrams · counts"
        await press(pilot, "c")
        assert app.bigrams.border_title == "Bigrams · probabilities"
        await press(pilot, "y")
        assert "· log" in app.loss.border_title
        assert app.engine.sent == []  # nothing for the engine to do

    drive(scenario, RECORDED["bigram 120 steps"])


def test_plots_built_in_a_thread_match_those_built_in_place():
    async def scenario(app, pilot):
        for plot, args in [(app.loss.plot, (app.loss.view, False))]:
            plot.show(*args)
            await pilot.pause()  # the repaint builds the lines in place
            in_place = plot.lines
            plot.show(*args, background=True)  # as while training
            await until(pilot, lambda plot=plot, lines=in_place: plot.lines is not lines)
            assert plot.lines == in_place
            text = "".join(line.text for line in in_place)
            assert "x" in text or "a" in text  # a figure, not an empty panel

    drive(scenario, RECORDED["mlp 600 steps"])


RECORDED_EMBEDDING = next(
    r for r in reversed(RECORDED["mlp 600 steps"]) if type(r).__name__ == "EmbeddingView"
)


def test_the_hyperparameter_form_shows_the_engines_answer():
    error = "block_size must be a whole number, not 'x'"

    async def scenario(app, pilot):
        await press(pilot, "e")
        await pilot.press("tab", "backspace", "x", "enter")  # block_size "6" -> "x"
        await settle(pilot)
        assert app.engine.sent == [Reconfigure({"block_size": "x"})]
        assert str(app.screen.query_one("#form-error").render()) == f"✗ {error}"
        await pilot.press("escape")  # what was typed is not dropped at once
        assert app.screen.is_modal and "Escape again drops what you changed (block_size)" in str(
            app.screen.query_one("#form-error").render()
        )
        await pilot.press("escape")
        assert not app.screen.is_modal
        app.engine.errors.clear()
        await press(pilot, "e")
        app.screen.query_one("#field-learning_rate").focus()  # Tab walks the fields: above
        await pilot.press(*"0.01", "enter")
        await settle(pilot)
        assert app.engine.sent[-1] == Reconfigure({"learning_rate": "0.01"})
        assert not app.screen.is_modal  # accepted: the form has closed

    drive(scenario, RECORDED["mlp"], errors={Reconfigure: error})


def test_a_form_opened_during_a_switch_of_model_shows_the_new_models_fields():
    async def scenario(app, pilot):
        await press(pilot, "e")
        assert app.screen.view.model == "bigram"
        app.engine.play(RECORDED["mlp"])  # the switch's answer comes after the form opened
        await settle(pilot)
        assert app.screen.view.model == "mlp" and app.screen is app.form
        assert "block_size" in app.screen.values()
        await pilot.press("escape")
        assert not app.screen.is_modal

    drive(scenario, RECORDED["start"])


def test_a_preset_picked_fills_the_form_and_a_choice_is_never_typed():
    async def scenario(app, pilot):
        await press(pilot, "e")
        form = app.screen
        view = form.view
        assert view.values["preset"] == "default"
        await pilot.press("left", "left")  # two presets before default
        assert form.values() == view.presets["lecture"]  # every field at once, before Enter
        assert "lecture:" in str(form.query_one("#field-hint").render())
        await pilot.press(*["tab"] * 5, "right")  # activation: tanh -> relu
        assert form.values()["activation"] == "relu"
        await pilot.press("enter")
        await settle(pilot)
        sent = app.engine.sent[-1].values
        assert sent["preset"] == "lecture" and sent["activation"] == "relu"

    drive(scenario, RECORDED["mlp"])


@pytest.mark.parametrize("recorded", ["mlp", "diagnostics, wavenet", "inside, transformer"])
def test_every_presets_line_of_help_is_whole_in_the_form_at_80x24(recorded):
    """The preset's hint says what the chosen preset teaches, in the hint's three lines: a
    fourth was cut off (microgpt's temperature)."""

    async def scenario(app, pilot):
        await press(pilot, "e")
        form = app.screen
        hint = form.query_one("#field-hint")
        for _ in form.view.presets:
            await pilot.press("right")
            await pilot.pause()
            lines = hint.get_content_height(hint.size, app.size, hint.content_size.width)
            assert lines <= hint.content_size.height, form.values()["preset"]

    drive(scenario, RECORDED[recorded], size=(80, 24))


def test_the_arrows_walk_the_forms_fields_as_tab_does():
    """Down and Up move between the fields, never scroll the form away from the one in focus."""

    async def scenario(app, pilot):
        await press(pilot, "e")
        form = app.screen
        names = list(form.view.values)
        await pilot.press(*["down"] * 4, *"30")
        assert form.focused.id == f"field-{names[4]}"
        assert form.query_one(f"#label-{names[4]}").content.startswith(FOCUS_MARK)
        assert form.focused.value == "30"  # a value typed in a field replaces it, not "6430"
        await pilot.press("up")
        assert form.focused.id == f"field-{names[3]}"
        await pilot.press("up", "up", "up", "up")  # past the first: the last, as shift+tab
        assert form.focused.id == f"field-{names[-1]}"

    drive(scenario, RECORDED["mlp"])


def test_the_sampling_form_sends_what_was_typed_and_enter_draws():
    """The form says "Enter draws with these values": it drew nothing before."""

    async def scenario(app, pilot):
        shown = max(4, app.names.size.height)
        await press(pilot, "p")
        await pilot.press("tab", "3", "tab", *"ma", "enter")
        await settle(pilot)
        assert app.engine.sent == [SetSampling({"top_k": "3", "prefix": "ma"}, draw=shown)]
        assert not app.screen.is_modal
        await press(pilot, "p")
        await pilot.press("enter")  # nothing changed: no values to send, names to draw
        await settle(pilot)
        assert not app.screen.is_modal and app.engine.sent[1:] == [Generate(shown)]

    drive(scenario, RECORDED["start"])


@pytest.mark.parametrize(
    ("key", "typed", "command"),
    [
        ("o", "cities.txt", OpenDataset("cities.txt")),
        ("s", "run.pt", Save("run.pt")),
        ("l", "run.pt", Load("run.pt")),
        ("x", "out/run", Export("out/run")),
    ],
)
def test_each_path_prompt_sends_its_command(key, typed, command):
    async def scenario(app, pilot):
        await press(pilot, key)
        await pilot.press(*typed, "enter")  # in place of a default name, not after it
        await settle(pilot)
        assert app.engine.sent == [command]
        assert not app.screen.is_modal  # done: the dialog has closed

    drive(scenario, RECORDED["start"])


def test_an_error_answer_and_a_note_are_shown():
    """A path refused is said in its dialog, which stays open with the path to mend; an
    error of a request no dialog waits for is a toast."""

    async def scenario(app, pilot):
        await press(pilot, "l")
        await pilot.press(*"missing.pt", "enter")
        await settle(pilot)
        dialog = app.screen
        assert "✗ missing.pt: no such checkpoint" in str(dialog.query_one("#form-error").render())
        assert dialog.query_one("#prompt-input").value == "missing.pt"
        await pilot.press("escape")
        await settle(pilot)
        assert not app.screen.is_modal
        app.engine.load("missing.pt")  # a request no dialog waits for
        await toast(pilot, "no such checkpoint")
        app.engine.play([Note("Saved mlp at step 20 to run.pt.")])
        await toast(pilot, "Saved mlp at step 20")

    drive(scenario, RECORDED["start"], errors={Load: "missing.pt: no such checkpoint file"})


def test_a_note_said_again_is_shown_once():
    """Space twice on a counting model counted all again: the same note stood twice."""

    async def scenario(app, pilot):
        counted = "counted all 2,572 pairs of the 240 training items"
        app.engine.play([Note("Saved."), Note(counted), Note(counted)])
        await until(pilot, lambda: app.notes.shown() == ["Saved.", counted])

    drive(scenario, RECORDED["start"])


def test_the_newest_note_is_shown_whole_where_two_do_not_fit():
    """At 80x24 a note of three lines and a newer one filled the four rows notes may take:
    the newer was cut to its first line ("the mlp, wavenet, rnn, gru," and no more)."""
    converged = (
        "Converged at step 2,100: val has not improved since step 1,050 (2.4850), 1,050 steps "
        "at the schedule's last rate. Paused; the best weights are kept. Space goes on."
    )
    nothing = (
        "The bow has nothing inside to look at; the mlp, wavenet, rnn, gru and transformer "
        "have: switch with m."
    )

    async def scenario(app, pilot):
        app.engine.play([Note(converged), Note(nothing)])
        await until(pilot, lambda: app.notes.shown() == [converged, nothing])
        await settle(pilot)
        rows = app.notes.size.height
        on_screen = " ".join(app.notes.render_line(y).text.strip() for y in range(rows))
        assert on_screen.endswith("switch with m.") and rows <= 4

    drive(scenario, RECORDED["start"], size=(80, 24))


def test_d_on_a_model_with_nothing_inside_names_those_that_have():
    async def scenario(app, pilot):
        await press(pilot, "d")
        await toast(pilot, "the mlp, wavenet, rnn, gru and transformer have: press m")
        assert not app.screen.is_modal

    drive(scenario, RECORDED["start"])


def test_help_screen_and_escape():
    async def scenario(app, pilot):
        await pilot.press("question_mark")
        await until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        await pilot.press("escape")
        await until(pilot, lambda: type(app.screen).__name__ == "Screen")

    drive(scenario, RECORDED["start"])


@pytest.mark.parametrize(
    ("key", "command", "dialog"),
    [
        ("question_mark", "More keys", "HelpScreen"),
        ("e", "Params", "FormScreen"),
        ("o", "Open", "PromptScreen"),
        ("T", "Things to try", "TriesScreen"),
    ],
)
def test_a_dialog_asked_for_from_the_palette_over_it_is_not_opened_twice(key, command, dialog):
    async def scenario(app, pilot):
        await pilot.press(key)
        await until(pilot, lambda: type(app.screen).__name__ == dialog)
        await pilot.press("ctrl+p", *command)
        await until(
            pilot,
            lambda: (
                command in str(app.screen.query("CommandList").last().get_option_at_index(0).prompt)
            ),
        )
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == dialog)
        assert [type(screen).__name__ for screen in app.screen_stack] == ["Screen", dialog]

    drive(scenario, RECORDED["start"])


def test_the_help_lists_every_key_the_app_binds():
    async def scenario(app, pilot):
        await pilot.press("question_mark")
        await until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        console = Console(width=80, file=io.StringIO(), record=True)
        console.print(app.screen.query(".help-table").last().content)
        rows = [line.split(maxsplit=1) for line in console.export_text().splitlines()[2:]]
        shown = {row[0] for row in rows if row}
        for binding in BINDINGS:
            if binding.key not in UNLISTED:
                assert shown_key(binding) in shown, binding

    drive(scenario, RECORDED["start"])


def test_quit_stops_the_engine():
    async def scenario(app, pilot):
        await pilot.press("q")

    app = drive(scenario, RECORDED["start"])
    assert app.return_code == 0 and app.engine.stopped


def test_quit_asks_first_about_runs_not_saved_and_the_quit_key_again_quits():
    """The engine says what would be lost; n stays, q twice quits."""
    from dataclasses import replace

    from engine.protocol import StatusView
    from tui.screens.confirm import QuitScreen

    status = next(r for r in RECORDED["start"] if isinstance(r, StatusView))
    unsaved = replace(status, unsaved="the mlp's 3,000 steps (1 min 4 s of training)")

    async def scenario(app, pilot):
        app.engine.play([unsaved])
        await settle(pilot)
        await press(pilot, "q")
        assert isinstance(app.screen, QuitScreen)
        assert "Not saved: the mlp's 3,000 steps (1 min 4 s" in app.screen.question
        await press(pilot, "n")
        assert app.is_running and not app.engine.stopped
        await press(pilot, "q")
        await pilot.press("q")

    app = drive(scenario, RECORDED["start"])
    assert app.return_code == 0 and app.engine.stopped


def test_ctrl_c_quits():
    async def scenario(app, pilot):
        await pilot.press("ctrl+c")

    assert drive(scenario, RECORDED["start"]).return_code == 0


def test_every_binding_is_in_the_command_palette():
    async def scenario(app, pilot):
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for binding in app.BINDINGS:
            if binding.key not in ("ctrl+c", "q"):
                assert binding.description in titles

    drive(scenario, RECORDED["start"])


def test_the_palette_switches_to_a_model_by_name():
    """The models are the engine's to name: the palette lists those the status gave."""

    async def scenario(app, pilot):
        await press(pilot, "ctrl+p")
        await pilot.press(*"Model: ngram")
        commands = app.screen.query_one(CommandList)
        await until(pilot, lambda: commands.option_count and commands.highlighted is not None)
        assert "Model: ngram" in str(commands.get_option_at_index(commands.highlighted).prompt)
        await press(pilot, "enter")
        await until(pilot, lambda: app.engine.sent[-1:] == [SelectModel("ngram")])

    drive(scenario, RECORDED["start"])


def test_the_palette_finds_a_command_by_the_words_of_its_help():
    """'checkpoint' is in the help of Save and Load, not in their names; names come first."""

    async def scenario(app, pilot):
        await press(pilot, "ctrl+p")
        commands = app.screen.query_one(CommandList)

        async def found(query: str) -> list[str]:
            app.screen.query_one(Input).value = query
            await until(pilot, lambda: commands.option_count)
            await settle(pilot)
            options = (commands.get_option_at_index(i) for i in range(commands.option_count))
            return [str(option.prompt).split("\n")[0] for option in options]

        assert sorted(await found("checkpoint")) == ["Load", "Save"]
        assert (await found("save check")) == ["Save"]
        assert (await found("lesson"))[0] == "Lesson"

    drive(scenario, RECORDED["start"])


def test_the_palette_opens_again_while_the_one_just_dismissed_is_being_removed():
    """Escape then ctrl+p in one read: the first palette's removal is still under way."""

    async def scenario(app, pilot):
        await press(pilot, "ctrl+p")
        app.pop_screen()
        app.action_command_palette()
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)

    drive(scenario, RECORDED["start"])


def test_too_small_says_the_size_it_needs_and_recovers():
    async def scenario(app, pilot):
        await pilot.resize_terminal(50, 14)
        await until(pilot, lambda: app.screen.has_class("too-small"))
        assert "needs at least 64x20" in str(app.query_one("#too-small").render())
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: not app.screen.has_class("too-small"))

    drive(scenario, RECORDED["start"])


def test_a_terminal_made_too_small_under_a_dialog_says_so_once_it_is_closed():
    """The size was judged on the screen on top: made small with a dialog open, the main
    screen kept its panels, crammed, after the dialog closed; made large again there, the
    message stayed on it."""

    async def scenario(app, pilot):
        main = app.screen
        await press(pilot, "s")
        await pilot.resize_terminal(50, 14)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is main and main.has_class("too-small"))
        await press(pilot, "s")
        await pilot.resize_terminal(80, 24)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is main and not main.has_class("too-small"))

    drive(scenario, RECORDED["start"])


def test_the_suggested_rate_is_applied_with_one_key():
    async def scenario(app, pilot):
        await press(pilot, "f")
        assert app.engine.sent[-1] == FindLearningRate()
        app.engine.play(RECORDED["small preset, lr finder"])
        await settle(pilot)
        sweep = app.screens[RateSweepView].view
        assert sweep.done and sweep.suggested is not None
        await press(pilot, "a")
        assert Reconfigure({"learning_rate": f"{sweep.suggested:g}"}) in app.engine.sent
        assert app.engine.sent[-1] == EndLearningRateSearch()  # the sweep is let go
        assert RateSweepView not in app.screens and not app.screen.is_modal

    drive(scenario, RECORDED["mlp"])


def test_a_sweep_the_engine_refuses_closes_its_screen():
    """f on a counting model: the engine says it has no learning rate. The screen stayed open
    over it, "Sweeping…" for ever."""
    refusal = "the ngram takes no gradient steps: it has no learning rate"

    async def scenario(app, pilot):
        await press(pilot, "f")
        await toast(pilot, refusal)
        assert RateSweepView not in app.screens and not app.screen.is_modal
        assert app.engine.sent[-2:] == [FindLearningRate(), EndLearningRateSearch()]

    drive(scenario, RECORDED["start"], errors={FindLearningRate: refusal})


def test_a_sweep_without_a_suggestion_says_why_a_applies_nothing():
    async def scenario(app, pilot):
        await press(pilot, "f")
        sweeping = [v for v in RECORDED["small preset, lr finder"] if isinstance(v, RateSweepView)]
        app.engine.play([replace(sweeping[0], done=False, suggested=None)])
        await settle(pilot)
        await press(pilot, "a")
        await toast(pilot, "No rate to apply: the sweep has not ended.")
        app.engine.play([replace(sweeping[-1], suggested=None)])
        await settle(pilot)
        assert app.screen.box.border_subtitle == "Escape closes"  # offers no a
        await press(pilot, "a")
        await toast(pilot, "No rate to apply: the sweep suggested none.")
        assert not any(isinstance(c, Reconfigure) for c in app.engine.sent)

    drive(scenario, RECORDED["mlp"])


def test_a_maximised_panel_is_restored_by_escape_or_z():
    async def scenario(app, pilot):
        await press(pilot, "z")
        assert app.screen.maximized is app.loss
        await press(pilot, "escape")
        assert app.screen.maximized is None
        assert app.focused is app.loss  # z gave it the focus
        await press(pilot, "tab", "z")  # the focused panel: the embedding
        assert app.screen.maximized is app.embedding
        await press(pilot, "z")
        assert app.screen.maximized is None

    drive(scenario, RECORDED["mlp"])


def test_a_runs_settings_are_brought_back():
    async def scenario(app, pilot):
        await press(pilot, "t")
        assert app.engine.sent[-1] == ListRuns()
        await show_runs(pilot, THREE_RUNS)
        await press(pilot, "down", "enter")  # the second row: the lecture run
        assert app.engine.sent[-1] == RestoreRun("2026-11-25T10:01")
        assert not app.screen.is_modal

    drive(scenario, RECORDED["start"])


@pytest.mark.parametrize("choose", [False, True])
def test_runs_are_forgotten_once_the_user_agrees(choose):
    """Delete forgets the rows chosen, else the one under the cursor; the engine asks first."""
    first, second, third = THREE_RUNS.rows
    forgotten = (second.id, third.id) if choose else (second.id,)

    async def scenario(app, pilot):
        await press(pilot, "t")
        await show_runs(pilot, THREE_RUNS)
        await press(pilot, "down", *(["space", "down", "space"] if choose else []), "delete")
        assert app.engine.sent[-1] == ForgetRuns(forgotten)
        assert "for good?" in str(app.screen.query_one(".form-title").render())
        await press(pilot, "y")
        assert app.engine.sent[-1] == ForgetRuns(forgotten, confirmed=True)
        app.engine.play([replace(THREE_RUNS, rows=[first])])
        await settle(pilot)
        assert app.screen.table.row_count == 1 and app.screen.chosen == []
        assert str(app.screen.summary.render()).startswith("1 run, in ")

    drive(scenario, RECORDED["start"], questions={ForgetRuns: "Forget 1 run for good? ..."})


def test_in_a_browser_runs_are_not_forgotten(monkeypatch):
    """A class's sessions share one runs table: a student's Delete would take the others'."""
    from textual.app import App

    monkeypatch.setattr(App, "is_web", property(lambda app: True))

    async def scenario(app, pilot):
        await press(pilot, "t")
        await show_runs(pilot, THREE_RUNS)
        await press(pilot, "delete")
        await toast(pilot, "forgotten in a terminal")
        assert not any(isinstance(c, ForgetRuns) for c in app.engine.sent)

    drive(scenario, RECORDED["start"])


@pytest.mark.parametrize("size", [(64, 20), (80, 24), (160, 48)])  # at 160, a 120-wide frame
def test_a_run_of_many_changes_leaves_every_runs_losses_on_the_screen(size):
    """On the smallest screen the app allows too, with the longest model and preset names."""
    from dataclasses import replace

    many = {"n_embd": "24", "n_hidden": "300", "learning_rate": "0.05", "dropout": "0.2"}
    many |= {"weight_decay": "0.1", "batch_size": "64", "epochs": "40", "prior_order": "6"}
    first, second, third = THREE_RUNS.rows
    longest = replace(second, model="bigram-neural", preset="bigram-neural")
    runs = replace(THREE_RUNS, rows=[replace(first, changes=many), longest, third])

    async def scenario(app, pilot):
        await press(pilot, "t")
        await show_runs(pilot, runs)
        shown = app.export_screenshot()
        assert all(loss in shown for loss in ("2.0213", "2.1744", "2.5097", "2.0275", "2.5188"))
        if size[0] >= 80:  # at 64 the changes start at the edge, one scroll away
            assert "n_embd=24" in shown and "…" in shown  # its changes, cut
        if size[0] >= 160:  # where there is room, past them the parameters whole
            assert "23,253" in shown
        # the row under the cursor says its changes whole, below the table
        under_cursor = app.screen.query_one("#runs-row")
        await until(pilot, lambda: str(under_cursor.render()))
        whole = str(under_cursor.render())
        assert all(f"{k}={v}" in whole for k, v in many.items()), whole
        app.engine.play([replace(runs, rows=[])])  # every run forgotten: no row, no line
        await settle(pilot)
        assert app.is_running and not str(under_cursor.render()).strip()

    drive(scenario, RECORDED["start"], size=size)


def test_a_runs_table_longer_than_the_screen_keeps_every_column_but_the_datas_whole():
    """Its scrollbar takes its room from the changes, not from the parameters."""
    from dataclasses import replace

    many = {"n_embd": "24", "n_hidden": "300", "learning_rate": "0.05", "dropout": "0.2"}
    first, second, third = THREE_RUNS.rows
    rows = [replace(first, changes=many), second, *(replace(third, id=str(i)) for i in range(60))]

    async def scenario(app, pilot):
        await press(pilot, "t")
        await show_runs(pilot, replace(THREE_RUNS, rows=rows))
        assert app.screen.table.scrollable_content_region.height < len(rows)  # it scrolls
        assert "23,253" in app.export_screenshot()

    drive(scenario, RECORDED["start"], size=(100, 30))


@pytest.mark.parametrize("answer", ["y", "n"])
def test_saving_over_a_checkpoint_asks_first(answer):
    async def scenario(app, pilot):
        await press(pilot, "s")
        await pilot.press("ctrl+u", *"run.pt", "enter")
        await settle(pilot)
        assert app.engine.sent == [Save("run.pt")]
        assert "run.pt exists. Replace it?" in str(app.screen.query_one(".form-title").render())
        await press(pilot, answer)
        replaced = [Save("run.pt"), Save("run.pt", replace=True)]
        assert app.engine.sent == (replaced if answer == "y" else replaced[:1])
        if answer == "y":
            assert not app.screen.is_modal
        else:  # the prompt again, the name typed still there, for another one
            assert app.screen.query_one("#prompt-input").value == "run.pt"
            await pilot.press("ctrl+u", *"other.pt", "enter")
            await settle(pilot)
            assert app.engine.sent[-1] == Save("other.pt")

    drive(scenario, RECORDED["start"], questions={Save: "run.pt exists. Replace it?"})


def test_reset_asks_first_when_the_engine_does():
    async def scenario(app, pilot):
        await press(pilot, "r")
        assert "Reset the mlp?" in str(app.screen.query_one(".form-title").render())
        await press(pilot, "y")
        assert app.engine.sent == [Reset(), Reset(confirmed=True)]

    drive(scenario, RECORDED["start"], questions={Reset: "Reset the mlp? Its 600 steps..."})


def test_a_form_change_that_would_replace_a_trained_run_asks_first():
    async def scenario(app, pilot):
        await press(pilot, "e")
        form = app.screen
        form.query_one("#field-seed").focus()
        await pilot.press("ctrl+u", "3", "enter")
        await settle(pilot)
        assert "starts a new mlp" in str(app.screen.query_one(".form-title").render())
        await press(pilot, "n")  # no: the form stays, nothing sent again
        assert app.screen is form and app.engine.sent == [Reconfigure({"seed": "3"})]
        await pilot.press("enter")
        await settle(pilot)
        await press(pilot, "y")
        assert app.engine.sent[-1] == Reconfigure({"seed": "3"}, confirmed=True)
        await settle(pilot)
        assert not app.screen.is_modal  # answered: the form has closed

    question = "seed 3 starts a new mlp: its 600 steps start over (not saved); ... Go on?"
    drive(scenario, RECORDED["mlp"], questions={Reconfigure: question})


def test_things_to_try_start_a_new_run_with_one_key():
    from tui.screens.rate_finder import RateFinderScreen

    async def scenario(app, pilot):
        await press(pilot, "T")
        listed = app.screen.query_one("#tries-list")
        assert listed.option_count == len(app.tries.tries)
        console = Console(width=40, file=io.StringIO(), record=True)
        console.print(listed.get_option_at_index(0).prompt)
        first, *wrapped = console.export_text().splitlines()
        assert first.startswith(" 1. minibatches of 32")
        assert wrapped and all(line.startswith("    ") for line in wrapped)  # under the title
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.engine.sent[-1] == TryChange(1) and not app.screen.is_modal
        finder = next(i for i, t in enumerate(app.tries.tries) if t.finds_rate)
        await press(pilot, "T")
        await pilot.press(*["down"] * finder, "enter")
        await settle(pilot)
        assert app.engine.sent[-2:] == [TryChange(finder), FindLearningRate()]
        assert isinstance(app.screen, RateFinderScreen)

    drive(scenario, RECORDED["start"])


def test_runs_compared_beside_a_counting_models_bar_are_drawn(embedded):
    """The bars are named by model, the compared curves by run: both have a style."""
    from engine.session import Session

    session = Session(embedded)
    session.train(10_000)  # the bigram counts: its val loss is a bar
    session.trainer.evaluate(("val",))
    session.select_model("mlp", "lecture")
    session.train(30)
    session.trainer.evaluate(("val",))
    session.compare_runs((session.trainer.started,))

    async def scenario(app, pilot):
        await settle(pilot)
        assert app.loss.border_title.startswith("Loss · runs")
        assert "bigram 2." in app.loss.border_subtitle

    drive(scenario, session.views(False, None))


def test_w_before_any_name_is_drawn_says_what_its_box_is_for():
    """It opened as a blank screen: an empty box, no text, the hint only in the border."""

    async def scenario(app, pilot):
        await press(pilot, "w")
        box = app.screen.query_one("#trace-name")
        assert box.value == "" and "type a name" in box.placeholder

    drive(scenario, RECORDED["start"])


def test_w_traces_the_name_picked_in_the_generator(embedded):
    from engine.session import Session

    session = Session(embedded)
    session.train(10_000)  # the bigram counts
    traced = session.trace("emma")

    async def scenario(app, pilot):
        app.names.update_names(Names(finished=[Sample("emma", -9.0, "train")]))
        await press(pilot, "w")
        assert app.engine.sent[-1] == TraceName("emma")
        app.engine.play([traced])
        await settle(pilot)
        table = app.screen.query_one("#trace-table")
        assert table.row_count == 5 + 2  # e, m, m, a, the end; the sum and the mean
        bigram = next(t for t in traced.traces if t.model == "bigram")
        row = [str(c) for c in table.get_row_at(1)]  # e -> m
        assert row[0].endswith("→ m") and f"{bigram.letters[1].probability:.3f}" in row[2]
        assert f"N {bigram.letters[1].count:,}" in row[2]
        sums = [str(c) for c in table.get_row_at(5)]
        assert f"{bigram.total:5.2f}" in sums[2]
        summary = app.screen.query_one("#trace-summary")
        assert "N: the bigram's count" in str(summary.render())
        await pilot.press(*"zoë", "enter")  # the name drawn is selected: typing replaces it
        assert app.engine.sent[-1] == TraceName("zoë")
        app.engine.play([replace(traced, name="zoë")])  # as the engine draws it
        await settle(pilot)
        await pilot.press(*"ava", "enter")  # and the next replaces the one drawn
        assert app.engine.sent[-1] == TraceName("ava")
        # no model that counts pairs: the note on N goes with its column
        uncounted = [t for t in traced.traces if t.model not in ("bigram", "ngram")]
        app.engine.play([replace(traced, traces=uncounted)])
        await settle(pilot)
        assert len(table.columns) == 1 + len(uncounted)
        assert "N: the" not in str(summary.render())
        long = "emma" * 400  # a long line: quoted in part, or the table had no room left
        app.engine.play([session.trace(long)])
        await settle(pilot)
        quoted = str(summary.render())
        assert quoted.startswith(f"'{long[:59]}…': 1,601 characters") and long not in quoted
        app.engine.play([session.trace("")])  # Enter on an empty box: the empty name
        await settle(pilot)
        assert str(summary.render()).startswith("The empty name: only its end to predict.")

    drive(scenario, RECORDED["start"])


def test_inside_the_net_a_name_typed_replaces_the_one_drawn():
    """The box holds the name drawn; typing went on after it ('emmaava'), not in its place."""
    from engine.commands import WatchInside
    from engine.protocol import InsideView

    (drawn,) = [v for v in RECORDED["inside, transformer"] if isinstance(v, InsideView)][-1:]

    async def scenario(app, pilot):
        await press(pilot, "d")
        app.engine.play([drawn])
        await settle(pilot)
        assert app.screen.name_box.value == "emma"
        await pilot.press(*"ava", "enter")
        assert app.engine.sent[-1] == WatchInside(True, "ava")

    drive(scenario, RECORDED["inside, transformer"])


@pytest.mark.parametrize("key", ["w", "d"])
def test_a_view_that_comes_as_its_screen_closes_is_no_crash(key):
    """Random keys found it: the engine's answer to a name came while the trace's screen was
    closing, its children gone, and the app died of NoMatches looking for the name's box."""
    from engine.protocol import InsideView, TraceView

    async def scenario(app, pilot):
        await press(pilot, key)
        screen = app.screen
        await screen.query_one(Input).remove()  # as in a dismissal under way
        error = "characters not in the vocabulary: '+'"
        screen.show(
            TraceView("a+", [], error) if key == "w" else InsideView("transformer", 1, "a", [])
        )
        await settle(pilot)
        assert app.is_running and screen.name_box.value in ("a+", "a")

    drive(scenario, RECORDED["mlp" if key == "w" else "inside, transformer"])  # one with heads


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
def test_the_status_line_keeps_what_matters_when_narrow(size):
    async def scenario(app, pilot):
        line = app.status.render()
        assert line.cell_len <= size[0]
        for field in ("paused", "mlp", "step 600", "train", "val", "best"):
            assert field in line.plain

    drive(scenario, RECORDED["mlp 600 steps"], size=size)


def test_the_status_line_says_how_long_ago_val_was_measured():
    async def scenario(app, pilot):
        view = app.status.view
        for ago, said in ((1, "(1 step ago)"), (20, "(20 steps ago)")):
            app.status.show(replace(view, val_step=view.step - ago))
            assert said in app.status.render().plain

    drive(scenario, RECORDED["mlp 600 steps"], size=(160, 40))


def test_the_loss_plot_has_room_for_a_short_run_beside_a_long_one():
    """Runs compared in the table, 32,000 steps of one and 1,000 of the other: the short one
    lay wholly in the long one's first 5%, left out of the plot's height, and was not drawn."""
    from engine.protocol import LossView
    from tui.widgets.plots import settled_range

    long = ([float(s) for s in range(50, 32_000, 100)], [2.1] * 320)
    short = ([float(s) for s in range(5, 1_000, 10)], [3.3 - 0.008 * i for i in range(100)])
    curves = {"1:long": long, "2:short": short}
    view = LossView("1:long", [*curves], None, curves, {}, {}, None, False, compared=True)
    low, high = settled_range(view, curves)
    assert low == 2.1 and high == pytest.approx(3.3 - 0.008 * 5)  # from its own 5%


def test_the_diagnostics_screen_watches_while_open():
    async def scenario(app, pilot):
        await press(pilot, "d")
        assert app.engine.sent[-1] == WatchDiagnostics(True)
        app.engine.play(RECORDED["diagnostics, lecture"])
        await settle(pilot)
        assert app.screens[DiagnosticsView].view.layers[0].units == 200
        await press(pilot, "escape")
        assert app.engine.sent[-1] == WatchDiagnostics(False) and not app.screen.is_modal

    drive(scenario, RECORDED["mlp"])


def test_a_diagnostics_finding_opens_the_form_on_its_setting():
    async def scenario(app, pilot):
        app.engine.play(RECORDED["diagnostics, randn init and tanh"])
        await settle(pilot)
        await press(pilot, "d")
        app.engine.play(RECORDED["diagnostics, randn init and tanh"])
        await settle(pilot)
        shown = str(app.screen.query_one("#diagnostics-findings").render())
        assert "saturated" in shown and "1 opens the form on init" in shown
        await press(pilot, "1")
        assert app.screen is app.form and app.focused.id == "field-init"
        assert "Kaiming" in str(app.screen.query_one("#field-hint").render())

    drive(scenario, RECORDED["mlp"])


def test_a_relu_layers_zeros_are_no_saturation_warning():
    """Half a ReLU layer's outputs at 0 is healthy: its line and caption say what is, and the
    warning meant for tanh (above 5%: a smaller init gain) is not shown."""
    (tanh,) = [
        v for v in RECORDED["diagnostics, randn init and tanh"] if isinstance(v, DiagnosticsView)
    ]
    layer = replace(tanh.layers[0], saturation=0.664)
    relu = replace(tanh, activation="relu", layers=[layer])

    async def scenario(app, pilot):
        await press(pilot, "d")
        for view, shown, hidden in ((tanh, "saturated", "ReLU"), (relu, "at 0: 66.4%", "above 5%")):
            app.engine.play([view])
            await settle(pilot)
            screen = app.screens[DiagnosticsView]
            text = " ".join(str(w.render()) for w in screen.query("Static"))
            assert shown in text and hidden not in text
        assert "a ReLU passes nothing back where it is 0" in text

    drive(scenario, RECORDED["mlp"])


def test_a_finding_offers_a_cure_the_net_has_not_already():
    """The default MLP at step 0 was told "saturated 23%: scaled init", its init scaled
    already, and "update:data below -4: a higher learning_rate" before any update (AdamW's
    had no state, and the SGD rule stood in for it)."""
    from engine.protocol import NormStats
    from tui.screens.diagnostics import _layer_line, findings

    (seed,) = [
        v for v in RECORDED["diagnostics, randn init and tanh"] if isinstance(v, DiagnosticsView)
    ]
    saturated = replace(seed.layers[0], saturation=0.23, dead_units=[])
    seed = replace(seed, layers=[saturated])
    assert findings(seed)[0] == ("hidden 1 saturated 23%: scaled init", "init")
    scaled = replace(seed, init="scaled")
    assert findings(scaled)[0] == ("hidden 1 saturated 23%: BatchNorm", "norm")
    norm = NormStats([0.0], [1.0], [0.0], [1.0])
    assert findings(replace(seed, layers=[replace(saturated, norm=norm)])) == []  # BatchNorm's
    assert "above 5%" not in str(_layer_line(replace(saturated, norm=norm), "tanh"))
    assert "above 5%" in str(_layer_line(saturated, "tanh"))
    slow = [replace(w, update_to_data_log10=-6.0) for w in seed.weights]
    assert ("update:data below -4: a higher learning_rate", "learning_rate") in findings(
        replace(scaled, weights=slow)
    )
    assert findings(replace(scaled, weights=slow, step=0)) == [
        ("hidden 1 saturated 23%: BatchNorm", "norm")
    ]


def test_before_its_first_step_adamws_update_is_the_gradients_sign_times_the_rate(embedded):
    from engine.diagnostics import diagnose
    from engine.families import preset
    from engine.trainer import Trainer

    trainer = Trainer(embedded, preset("default", "mlp"))
    view = diagnose(trainer, {})
    lr = trainer.learning_rate()
    matrices = [p for p in trainer.model.parameters() if p.ndim == 2]
    assert len(view.weights) == len(matrices)
    for weight, p in zip(view.weights, matrices, strict=True):
        # each weight moves by about the rate, whatever its gradient's size (std of signs ~1)
        expected = math.log10(lr / p.detach().std().item())
        assert weight.update_to_data_log10 == pytest.approx(expected, abs=0.2)


def write_keys_toml(home, text: str) -> None:
    keys = home / "config" / "makemore-tui" / "keys.toml"
    keys.parent.mkdir(parents=True)
    keys.write_text(text)


def test_keys_are_remapped_from_keys_toml(runs_home):
    write_keys_toml(runs_home, 'step = "j"\ntemperature_up = "u"\n')

    async def scenario(app, pilot):
        await press(pilot, "j", "u", "n")  # n no longer steps
        assert app.engine.sent == [Step(1), NudgeTemperature(up=True)]

    drive(scenario, RECORDED["start"])


def test_ctrl_z_suspends_to_the_shell_where_a_terminal_can(runs_home, monkeypatch):
    """ctrl+z suspends, as a terminal program does (Textual's action: a no-op where the
    driver cannot, as in a browser); keys.toml remaps it by its id, suspend."""
    suspended = []
    monkeypatch.setattr("textual.app.App.action_suspend_process", lambda app: suspended.append(1))
    write_keys_toml(runs_home, 'suspend = "ctrl+b"\n')

    async def scenario(app, pilot):
        await press(pilot, "ctrl+b", "ctrl+z")
        assert suspended == [1] and app.engine.sent == [] and app.is_running

    drive(scenario, RECORDED["start"])


def test_a_keys_toml_with_a_mistake_changes_nothing_and_says_why(runs_home):
    write_keys_toml(runs_home, 'stpe = "j"\n')

    async def scenario(app, pilot):
        await toast(pilot, "no key named stpe")
        await press(pilot, "n")
        assert app.engine.sent == [Step(1)]

    drive(scenario, RECORDED["start"])


def test_a_keys_toml_cannot_take_the_way_out(runs_home):
    write_keys_toml(runs_home, 'step = "ctrl+c"\n')  # Textual would take ctrl+c from quit

    async def scenario(app, pilot):
        await toast(pilot, "ctrl+c always quits")
        await pilot.press("ctrl+c")

    app = drive(scenario, RECORDED["start"])
    assert app.return_code == 0 and app.engine.sent == []


def test_the_theme_picked_is_the_one_the_next_start_has(runs_home):
    async def pick(app, pilot):
        assert app.theme == "textual-dark"
        app.theme = "nord"
        await settle(pilot)

    async def start(app, pilot):
        assert app.theme == "nord"

    drive(pick, RECORDED["start"])
    assert (runs_home / "config" / "makemore-tui" / "settings.toml").read_text() == (
        'theme = "nord"\n'
    )
    drive(start, RECORDED["start"])


def test_in_a_browser_the_theme_is_neither_read_nor_written(runs_home, monkeypatch):
    from textual.app import App

    path = runs_home / "config" / "makemore-tui" / "settings.toml"
    path.parent.mkdir(parents=True)
    path.write_text('theme = "nord"\n')
    monkeypatch.setattr(App, "is_web", property(lambda app: True))

    async def scenario(app, pilot):
        assert app.theme == "textual-dark"
        app.theme = "gruvbox"
        await settle(pilot)

    drive(scenario, RECORDED["start"])
    assert path.read_text() == 'theme = "nord"\n'


@pytest.mark.parametrize(
    ("text", "problem"),
    [('theme = "no-such-theme"', "no theme named 'no-such-theme'"), ("theme = [", "Invalid")],
)
def test_a_settings_file_with_a_mistake_keeps_the_default_theme_and_says_why(
    runs_home, text, problem
):
    path = runs_home / "config" / "makemore-tui" / "settings.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text)

    async def scenario(app, pilot):
        await toast(pilot, problem)
        assert app.theme == "textual-dark"

    drive(scenario, RECORDED["start"])


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ('# mine\ntheme = "nord"\n[later]\nx = 1\n', '# mine\ntheme = "gruvbox"\n[later]\nx = 1\n'),
        ("theme = [\n", 'theme = "gruvbox"\n'),  # the mistake was the theme's own line
        ("# mine\n", 'theme = "gruvbox"\n# mine\n'),
        ("x = [\n", None),  # a mistake elsewhere: the file stays as the user left it
    ],
)
def test_remembering_the_theme_keeps_the_rest_of_the_settings_file(tmp_path, before, after):
    path = tmp_path / "settings.toml"
    path.write_text(before)
    problem = save_theme(path, "gruvbox")
    assert path.read_text() == (after or before)
    assert (problem is None) == (after is not None)
    if after is None:
        assert "not written over" in problem


def test_a_theme_that_cannot_be_remembered_is_said(runs_home):
    (runs_home / "config").write_text("a file where the directory would be")

    async def scenario(app, pilot):
        app.theme = "nord"
        await toast(pilot, "the theme is not remembered")

    drive(scenario, RECORDED["start"])


def test_a_name_is_picked_and_copied_to_the_clipboard():
    async def scenario(app, pilot):
        copied = []
        app.copy_to_clipboard = copied.append  # OSC 52 goes to the terminal: seen here
        await press(pilot, "tab", "tab", "tab", "tab")  # the generator panel
        assert app.focused is app.names
        await press(pilot, "down", "down", "enter")
        assert copied == [app.names.finished[1].text]
        await toast(pilot, "Copied")

    drive(scenario, RECORDED["mlp 1500 steps, 21 names"])


def test_a_name_shown_with_escapes_is_copied_as_itself():
    shown = Sample("👍\\U0001f3fd", -3.2, "new", copy="👍🏽")

    async def scenario(app, pilot):
        copied = []
        app.copy_to_clipboard = copied.append
        app.engine.play([Names(finished=[shown])])
        await settle(pilot)
        await press(pilot, "tab", "tab", "tab", "tab", "down", "enter")
        assert copied == ["👍🏽"]
        await toast(pilot, "Copied '👍\\U0001f3fd'")  # the toast shows it as the panel does

    drive(scenario, RECORDED["start"])


def test_a_backspace_and_a_character_in_one_read_are_both_typed():
    """Textual bug #6605: both keys from one read of the terminal, as over a slow SSH link."""
    from textual import events

    async def scenario(app, pilot):
        await press(pilot, "o")
        await pilot.press(*"07")
        field = app.screen.query_one("#prompt-input")
        app._driver.process_message(events.Key("backspace", "\x7f"))  # one read: no wait
        app._driver.process_message(events.Key("1", "1"))
        await until(pilot, lambda: field.value != "07" and field.value != "071")
        assert field.value == "01"

    drive(scenario, RECORDED["start"])


def test_the_status_line_says_the_engine_is_at_work_while_a_request_waits():
    """Switching to a net on a list of millions counts its prior for seconds: the key was
    seen to do nothing."""
    from tui.app import WORKING_AFTER_SECONDS

    async def scenario(app, pilot):
        shown = lambda: app.status.render().plain  # noqa: E731
        await until(pilot, lambda: "step" in shown())
        assert "working" not in shown()
        app.engine.waited = lambda: WORKING_AFTER_SECONDS + 1  # a request still unanswered
        await until(pilot, lambda: " working… " in shown())
        app.engine.waited = lambda: 0.0
        await until(pilot, lambda: "working" not in shown())

    drive(scenario, RECORDED["start"])


def test_the_loss_panel_points_to_the_lesson_only_while_it_is_closed():
    from engine.protocol import LessonView

    opened = next(v for v in RECORDED["lesson, counting"] if isinstance(v, LessonView))

    async def scenario(app, pilot):
        hint = app.loss._hint
        assert "New here? L follows the post" in str(hint.render())
        app.engine.play([replace(opened, open=True)])
        await settle(pilot)
        assert "New here" not in str(hint.render()) and "No training yet" in str(hint.render())
        app.engine.play([replace(opened, open=False)])
        await settle(pilot)
        assert "New here? L follows the post" in str(hint.render())

    drive(scenario, RECORDED["start"])


def test_tab_completes_a_path_as_a_shell_does(tmp_path):
    for name in ("names-300.txt", "names-3000.txt", "notes.txt", ".hidden.txt"):
        (tmp_path / name).write_text("anna\n")
    (tmp_path / "runs").mkdir()

    async def scenario(app, pilot):
        await press(pilot, "o")
        field = app.screen.query_one("#prompt-input")
        listed = app.screen.query_one("#prompt-matches")
        await pilot.press(*f"{tmp_path}/na", "tab")
        assert field.value == f"{tmp_path}/names-300"  # what both names share
        await pilot.press("tab")  # nothing more to add: the names that fit are listed
        await until(pilot, lambda: listed.has_class("-listed"))
        assert str(listed.render()) == "names-300.txt  names-3000.txt"
        await pilot.press(".", "tab")
        assert field.value == f"{tmp_path}/names-300.txt" and not listed.has_class("-listed")
        await pilot.press(*["backspace"] * len("names-300.txt"), "r", "tab")
        assert field.value == f"{tmp_path}/runs/"  # a folder, with its slash
        await pilot.press(*["backspace"] * len("runs/"), "tab")
        await until(pilot, lambda: listed.has_class("-listed"))
        assert ".hidden.txt" not in str(listed.render())  # as ls: hidden unless asked for

    drive(scenario, RECORDED["start"])


def test_the_names_that_fit_are_listed_in_three_lines_at_most():
    from tui.screens.prompt import listing

    names = [f"name-{i:02}.txt" for i in range(30)]
    lines = listing(names, 40).splitlines()
    assert len(lines) == 3 and all(len(line) <= 40 for line in lines)
    assert lines[-1].endswith("more") and lines[0].startswith("name-00.txt  name-01.txt")
    shown = sum(line.count(".txt") for line in lines)
    assert lines[-1].endswith(f"… {30 - shown} more")
    assert listing(["a" * 50, "b"], 40) == "a" * 50 + "\nb"  # too long: on a line of its own


@pytest.mark.parametrize("size", [(80, 24), (100, 32), (160, 48)])
def test_the_scatter_draws_every_letter_of_a_trained_embedding(size):
    async def scenario(app, pilot):
        await until(pilot, lambda: app.embedding.plot is not None and app.embedding.plot.lines)
        drawn = "".join(line.text for line in app.embedding.plot.lines)
        symbols = [s for s, _, _ in app.embedding.view.points]
        assert len(symbols) == 27
        assert all(s in drawn for s in symbols), [s for s in symbols if s not in drawn]

    drive(scenario, RECORDED["lesson, scatter"], size=size)


def test_the_scatter_sets_apart_the_vowels_the_engine_names():
    """Greek vowels in orange, as Latin ones: the panel drew only a e i o u y so."""
    points = [("α", 0.0, 0.0), ("κ", 1.0, 1.0), ("ω", 1.0, 0.0)]

    async def scenario(app, pilot):
        app.engine.play([EmbeddingView(points, 8, 4, training=False, vowels=("α", "ω"))])
        await until(pilot, lambda: app.embedding.plot is not None and app.embedding.plot.lines)
        styles = {
            segment.text: bool(segment.style.underline)
            for line in app.embedding.plot.lines
            for segment in line
            if segment.text in ("α", "κ", "ω")
        }
        assert styles == {"α": True, "κ": False, "ω": True}

    drive(scenario, RECORDED["start"])


def test_a_label_drawn_in_no_cell_never_stalls_the_scatter():
    """A bare combining mark takes no cell: the map drew it forever, and the app froze,
    its memory growing (a list of 150,000 names holds 98 such marks)."""
    points = [("a", 0.0, 0.0), ("\u0301", 0.5, 0.5), ("b", 1.0, 1.0), ("\u25cc\u0301", 1.0, 0.0)]

    async def scenario(app, pilot):
        app.engine.play([EmbeddingView(points, 8, 4, training=False)])
        await until(pilot, lambda: app.embedding.plot is not None and app.embedding.plot.lines)
        drawn = "".join(line.text for line in app.embedding.plot.lines)
        assert all(label in drawn for label in ("a", "b", "\u25cc\u0301"))

    drive(scenario, RECORDED["start"])


def test_the_lesson_opens_moves_and_leaves_with_its_keys():
    async def scenario(app, pilot):
        await press(pilot, "L", "right_square_bracket", "left_square_bracket")
        assert app.engine.sent[-3:] == [Lesson(0), Lesson(1), Lesson(-1)]
        app.engine.play(RECORDED["lesson, N"])
        await settle(pilot)
        assert app.lesson.display and "Lesson 4/23" in str(app.lesson.render())
        assert app.screen.maximized is app.bigrams  # the step's panel, set up once
        await press(pilot, "L")
        assert app.engine.sent[-1] == CloseLesson()

    drive(scenario, RECORDED["start"])


def test_a_script_with_spacing_marks_stays_inside_its_panels(tmp_path):
    """Devanagari's vowel signs (Unicode Mc) take a cell in a terminal (wcwidth, tmux,
    xterm.js), where Rich gave them none: rows holding one ran past their panel's border.
    Every line drawn is the terminal's width, measured as the terminal measures it."""
    from engine.cli_output import cell_width
    from engine.dataset import load_dataset
    from engine.session import Session

    data = tmp_path / "hindi.txt"
    data.write_text("राम\nसीता\nगीता\nकमला\nअनिल\nसुनीता\nविनोद\n" * 3, encoding="utf-8")
    session = Session(load_dataset(str(data)))
    session.train(10_000)  # the bigram counts: its grid
    session.select_model("mlp", "lecture")
    session.train(30)  # the embedding's scatter
    names = Names(finished=[Sample("सुनीता", -9.0, "train"), Sample("कोमिला", -12.0, "new")])

    async def scenario(app, pilot):
        app.names.update_names(names)
        await settle(pilot)
        strips = app.screen._compositor.render_strips()
        lines = ["".join(segment.text for segment in strip) for strip in strips]
        assert sum(line.count("ी") for line in lines) >= 3  # the grid, the scatter, a name
        assert {cell_width(line) for line in lines} == {80}

    drive(scenario, session.views(False, None), size=(80, 24))


@pytest.mark.parametrize("scenario_name", [k for k in RECORDED if k.startswith("lesson, ")])
def test_at_the_smallest_size_the_lesson_keeps_its_figures_whole(scenario_name):
    """At 64x20 a step's text and the two figures took more than the caption's lines, and
    the last cut was ours, the learner's own result. Now the keys go first, then the end of
    the step's text, cut with "…" (BatchNorm's)."""

    async def scenario(app, pilot):
        await settle(pilot)
        strips = app.screen._compositor.render_strips()
        shown = " ".join(" ".join(segment.text for segment in strip) for strip in strips).split()
        view = app.lesson.view
        for figure in (view.post, view.ours):
            assert " ".join(figure.split()) in " ".join(shown)
        if scenario_name == "lesson, BatchNorm":
            assert any(word.endswith("…") for word in shown)

    drive(scenario, RECORDED[scenario_name], size=(64, 20))


def test_a_name_too_long_for_its_row_is_cut_cleanly_at_either_end():
    """The Generator shows a growing name's last letters: cut from the left a character at a
    time, it began with the end of an escape ("0d" of \\u200d, the joiner in Hindi names) or
    a vowel sign with no letter under it, and nothing said it was cut; a name of 20,000
    letters took a second a row to cut. A finished name is cut at its end, not inside an
    escape either."""
    from tui.widgets.strips import cut, tail

    assert tail("short", 8) == "short"
    assert tail("abcdefghij", 5) == "…ghij"
    assert tail("ab\\u200dcdef", 9) == "…cdef"  # not "…0dcdef"
    assert tail("ae\u0301cd", 3) == "…cd"  # not an accent over nothing
    assert cut("ab\\u200dcdef", 6) == "ab…"  # a finished name's end: not "ab\\u20…"
    assert cut("短い名前です", 5) == "短い…" and cut("abcde", 5, cut_already=True) == "abcd…"


def test_the_recurrent_state_shows_every_unit_in_bands_as_wide_as_the_screen():
    """A GRU of 249 units at 160 columns showed units 1 to 150, the rest nowhere. Now every
    unit is drawn, in bands of the screen's width, each with its gates under it."""
    from engine.protocol import InsideView
    from tui.screens.inside import states_text

    rows = [[0.5] * 100] * 3
    view = InsideView("gru", 1, "ab", [".", "a", "b"], states=rows, gates={"reset": rows})
    text = states_text(view, 40).plain
    for band in ("units 1 to 38 of 100", "units 39 to 76 of 100", "units 77 to 100 of 100"):
        assert band in text
    assert text.count("reset gate") == 3
    strips = [line for line in text.splitlines() if line[:1] in (".", "a", "b")]
    assert sum(len(line) - 2 for line in strips) == 100 * 3 * 2  # every unit, state and gate
    # At 64x20 the second band's title ran past the screen: its legend's █ wrapped alone
    rows = [[0.5] * 87] * 3
    view = InsideView("rnn", 1, "ab", [".", "a", "b"], states=rows)
    lines = states_text(view, 56).plain.splitlines()
    assert "state (units 55 to 87 of 87): -1 ▁ to 1 █" in lines
    assert all(len(line) <= 56 for line in lines)

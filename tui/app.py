"""The makemore-tui app. It never imports torch: the engine runs in a process of its own
(engine/process.py), started after the first frame, and a worker thread reads its reports.

Screens and plots are imported where they are first used, so that the first frame costs little
more than Textual's own import.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from contextlib import suppress
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container, Grid
from textual.css.query import NoMatches
from textual.events import Resize
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from engine.process import EngineProcess
from engine.records import Names, Note, Update
from tui.messages import EngineReported
from tui.screens.prompt import PromptScreen
from tui.widgets.bigrams import BigramHeatmap
from tui.widgets.generator import NameList
from tui.widgets.status import StatusLine

if TYPE_CHECKING:
    from engine.records import Snapshot
    from tui.widgets.embedding import EmbeddingPlot
    from tui.widgets.loss import LossPlot

MIN_WIDTH, MIN_HEIGHT = 64, 20
# What an empty plot says would fill it.
HINTS = {
    "#loss": "No training yet: space runs, n takes one step, m switches model, ? explains "
    "every panel.",
    "#embedding": "The MLP gives each character a vector; they appear here as it learns. "
    "Press m to reach the MLP.",
}
# What the form offers for each model; the rest of the config does not apply to it.
_GRADIENT = (
    "batch_size",
    "learning_rate",
    "lr_schedule",
    "lr_min",
    "decay_steps",
    "optimizer",
    "weight_decay",
    "seed",
)
EDITABLE = {
    "bigram": ("batch_size", "smoothing"),
    "bigram-neural": _GRADIENT,
    "mlp": ("block_size", "n_embd", "n_hidden", "n_layers", *_GRADIENT),
}


class MakemoreApp(App[int]):
    CSS_PATH = Path(__file__).resolve().with_name("app.tcss")
    TITLE = "makemore-tui"
    BINDINGS = [
        Binding("space", "toggle_run", "Run/pause", tooltip="start or pause training"),
        Binding("n", "step", "Step", tooltip="one training step"),
        Binding("m", "switch_model", "Model", tooltip="switch model: bigram, bigram-neural, mlp"),
        Binding("g", "generate", "Generate", tooltip="generate names from the current model"),
        Binding(
            "plus,equals_sign",
            "temperature(0.1)",
            "Temp+",
            key_display="+",
            tooltip="temperature up: wilder names",
        ),
        Binding(
            "minus",
            "temperature(-0.1)",
            "Temp-",
            key_display="-",
            tooltip="temperature down: safer names",
        ),
        Binding("e", "edit", "Hyperparams", tooltip="edit hyperparameters"),
        Binding("r", "reset", "Reset", show=False, tooltip="reset the model to its seed"),
        Binding(
            "p",
            "sampling",
            "Sampling",
            show=False,
            tooltip="sampling options: temperature, top-k, prefix",
        ),
        Binding(
            "c",
            "toggle_counts",
            "Counts/probs",
            show=False,
            tooltip="bigrams: show counts or probabilities",
        ),
        Binding("y", "toggle_log", "Log scale", show=False, tooltip="loss: log scale on or off"),
        Binding("o", "open", "Open", show=False, tooltip="open a dataset file"),
        Binding("s", "save", "Save", show=False, tooltip="save a checkpoint"),
        Binding("l", "load", "Load", show=False, tooltip="load a checkpoint"),
        Binding(
            "x",
            "export",
            "Export",
            show=False,
            tooltip="export the generated names and the loss history",
        ),
        Binding("question_mark", "help", "Help", key_display="?", tooltip="this help"),
        Binding("q", "quit", "Quit", tooltip="quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, tooltip="quit"),
    ]

    def __init__(self, data: str | None = None, checkpoint: str | None = None) -> None:
        super().__init__()
        self.engine = EngineProcess(data, checkpoint)
        self.snapshot: Snapshot | None = None
        self.running = False
        self.log_scale = False
        # The plots come with the engine: plotext is no part of the first frame.
        self.plots: tuple[LossPlot, EmbeddingPlot] | None = None

    def compose(self) -> ComposeResult:
        with Grid(id="main"):
            yield Container(Static("loading torch…", classes="loading"), id="loss")
            yield Container(Static("loading torch…", classes="loading"), id="embedding")
            yield BigramHeatmap(id="bigrams")
            yield NameList(id="names")
        yield StatusLine(id="status")
        yield Static(id="too-small")
        yield Footer()

    def on_mount(self) -> None:
        titles = {
            "loss": "Loss",
            "embedding": "Embedding",
            "bigrams": "Bigrams",
            "names": "Generator",
        }
        for widget_id, title in titles.items():
            widget = self.query_one(f"#{widget_id}")
            widget.border_title = title
            widget.border_subtitle = "loading torch…"
        # Once the first frame is on the terminal: starting a process takes a few milliseconds.
        self.call_after_refresh(self.read_engine)

    def on_unmount(self) -> None:
        self.engine.stop()  # however the app ends, the engine stops within one step

    @work(thread=True, exclusive=True, name="engine")
    def read_engine(self) -> None:
        for report in self.engine.reports():
            self.post_message(EngineReported(report))

    # What the engine reports

    def on_engine_reported(self, message: EngineReported) -> None:
        # A last report may arrive while the app closes and its panels are gone: there is
        # nothing left to draw then.
        with suppress(NoMatches):
            match message.report:
                case Update() as update:
                    self._draw(update)
                case Names(growing, finished):
                    self.query_one(NameList).update_names(growing, finished)
                case Note(text, severity):
                    self.notify(text, severity=severity, timeout=8)

    def _draw(self, update: Update) -> None:
        snap = self.snapshot = update.snapshot
        self.running = update.running
        loss, embedding = self.plots or self._mount_plots()
        # An empty plot is hidden behind its hint, and not drawn.
        # While training, the plots are built in threads: a key press should not wait.
        if self._show_plot(loss, bool(snap.train_curves)):
            loss.show(snap, self.log_scale, background=update.running)
        if self._show_plot(embedding, snap.embedding is not None):
            embedding.show(snap, background=update.running)
        self.query_one(BigramHeatmap).show(snap)
        self.query_one(StatusLine).show(snap, update.running, update.steps_per_second)
        self._update_titles()

    def _mount_plots(self) -> tuple[LossPlot, EmbeddingPlot]:
        from tui.widgets.embedding import EmbeddingPlot
        from tui.widgets.loss import LossPlot

        self.plots = (LossPlot(), EmbeddingPlot())
        # By now the app's long-lived objects exist. Freezing them keeps them out of the cyclic
        # collector's full passes, which otherwise scan them all: 30-60 ms stalls, a few times
        # a minute, that a key press would wait for.
        gc.collect()
        gc.freeze()
        for panel, plot in zip(("#loss", "#embedding"), self.plots, strict=True):
            plot.display = False
            self.query_one(f"{panel} .loading", Static).update(HINTS[panel])
            self.query_one(panel).mount(plot)
        return self.plots

    @staticmethod
    def _show_plot(plot: Widget, has_data: bool) -> bool:
        """Show the plot when it has data, else the hint in its place; only on a change,
        as a change of display costs a layout."""
        if plot.display != has_data:
            plot.parent.query_one(".loading", Static).display = not has_data
            plot.display = has_data
        return has_data

    def _update_titles(self) -> None:
        """Set the titles that changed, only: setting one repaints its panel, and a plot's
        repaint is a plotext build that a key press should not wait for."""
        from tui.widgets.loss import legend

        snap = self.snapshot
        if snap is None:
            return
        loss, embedding = self.query_one("#loss"), self.query_one("#embedding")
        bigrams, names = self.query_one(BigramHeatmap), self.query_one(NameList)
        names.ready = True
        parts = [f"train {snap.loss:.3f}" if snap.train_curves else "no steps yet"]
        if snap.val_loss is not None:
            parts.append(f"val {snap.val_loss:.3f}")
        if snap.bigram_floor is not None:
            parts.append(f"floor {snap.bigram_floor:.3f}")
        if snap.embedding_size is None:
            embedding_note = "MLP only: press m"
        else:
            size = snap.embedding_size
            embedding_note = f"{size}-D" + (" as is" if size <= 2 else ", PCA to 2-D")
        kind = "probabilities" if bigrams.show_probabilities or snap.counts is None else "counts"
        kind = f" · {kind}" if snap.top_bigrams else ""
        top_k = snap.top_k or "all"
        prefix = f" prefix {snap.prefix!r}" if snap.prefix else ""
        titles = {
            (loss, "title"): f"Loss {legend(snap) or snap.model}"
            + (" · log" if self.log_scale else ""),
            (loss, "subtitle"): " ".join(parts),
            (embedding, "subtitle"): embedding_note,
            (bigrams, "title"): f"Bigrams{kind}",
            (bigrams, "subtitle"): "c toggles",
            (names, "title"): f"Generator · {snap.model}",
            (names, "subtitle"): f"T {snap.temperature:.1f} top-k {top_k}{prefix}",
        }
        for (widget, which), text in titles.items():
            if getattr(widget, f"border_{which}") != text:
                setattr(widget, f"border_{which}", text)

    # Layout

    def on_resize(self, event: Resize) -> None:
        self._check_size(event.size.width, event.size.height)

    def _check_size(self, width: int, height: int) -> None:
        too_small = width < MIN_WIDTH or height < MIN_HEIGHT
        self.screen.set_class(too_small, "too-small")
        if too_small:
            self.query_one("#too-small", Static).update(
                f"This terminal is {width}x{height}.\n"
                f"makemore-tui needs at least {MIN_WIDTH}x{MIN_HEIGHT}; 80x24 or more is best.\n"
                "Make the window larger, or press q to quit."
            )

    # Actions

    def action_toggle_run(self) -> None:
        self.engine.send("set_running", not self.running)

    def action_step(self) -> None:
        self.engine.send("step", 1)

    def train_steps(self, steps: int) -> None:
        """Train a number of steps (scripts and tests drive training by steps, not by time)."""
        self.engine.send("step", steps)

    def action_switch_model(self) -> None:
        self.engine.send("switch_model")

    def action_generate(self) -> None:
        self.engine.send("generate", max(4, self.query_one(NameList).size.height))

    def action_temperature(self, delta: float) -> None:
        self.engine.send("change_temperature", delta)

    def action_reset(self) -> None:
        self.engine.send("reset")
        self.notify("Reset: the model starts over from its seed.")

    def action_toggle_counts(self) -> None:
        heatmap = self.query_one(BigramHeatmap)
        heatmap.show_probabilities = not heatmap.show_probabilities
        self._update_titles()

    def action_toggle_log(self) -> None:
        self.log_scale = not self.log_scale
        if self.plots and self.snapshot:
            self.plots[0].show(self.snapshot, self.log_scale)
        self._update_titles()

    def action_edit(self) -> None:
        from engine.config import Config
        from tui.screens.form import FormScreen

        if self.snapshot is None:
            self.notify("Still loading.")
            return
        config = Config(**self.snapshot.config)
        values = {name: str(getattr(config, name)) for name in EDITABLE[config.model]}

        def validate(changed: dict[str, str]) -> str | None:
            try:
                config.with_values(**changed)
            except ValueError as error:
                return str(error)
            return None

        def apply(changed: dict[str, str] | None) -> None:
            if changed:
                self.engine.send("reconfigure", changed)

        self.push_screen(
            FormScreen(
                f"Hyperparameters of the {config.model}",
                values,
                validate,
                "Shape, optimizer and seed changes start a new model; the others apply "
                "at the next step. ",
            ),
            apply,
        )

    def action_sampling(self) -> None:
        from tui.screens.form import FormScreen

        if self.snapshot is None:
            self.notify("Still loading.")
            return
        snap = self.snapshot
        values = {
            "temperature": f"{snap.temperature:g}",
            "top_k": str(snap.top_k or ""),
            "prefix": snap.prefix,
        }

        def parse(changed: dict[str, str]) -> dict[str, Any]:
            merged = {**values, **changed}
            return {
                "temperature": float(merged["temperature"]),
                "top_k": int(merged["top_k"]) if merged["top_k"] else None,
                "prefix": merged["prefix"],
            }

        def validate(changed: dict[str, str]) -> str | None:
            from engine.records import SampleOptions

            try:
                options = parse(changed)
                SampleOptions(**options)
            except ValueError as error:
                return str(error) if "must" in str(error) else "temperature and top-k are numbers"
            unknown = set(options["prefix"]) - set(snap.symbols[1:])
            return f"not in the vocabulary: {''.join(sorted(unknown))}" if unknown else None

        def apply(changed: dict[str, str] | None) -> None:
            if changed:
                self.engine.send("set_options", parse(changed))

        self.push_screen(
            FormScreen("Sampling", values, validate, "top_k empty means all characters. "),
            apply,
        )

    def _ask_path(self, title: str, value: str, command: str, hint: str = "", *args: Any) -> None:
        """Ask for a path, then send the engine `command` with it (and `args`)."""

        def done(path: str | None) -> None:
            if path:
                self.engine.send(command, path, *args)

        self.push_screen(PromptScreen(title, value, hint), done)

    def action_open(self) -> None:
        self._ask_path(
            "Open a dataset: a UTF-8 text file, one item per line",
            "",
            "open_dataset",
            "'names' fetches makemore's names.txt. ",
        )

    def action_save(self) -> None:
        model = self.snapshot.model if self.snapshot else "model"
        self._ask_path("Save a checkpoint", f"{model}.pt", "save_checkpoint")

    def action_load(self) -> None:
        self._ask_path("Load a checkpoint", "", "load_checkpoint")

    def action_export(self) -> None:
        self._ask_path(
            "Export the generated names and the loss history",
            "makemore",
            "export",
            "Writes NAME-names.tsv and NAME-loss.csv. ",
            list(self.query_one(NameList).finished),
        )

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        self.push_screen(HelpScreen([b for b in self.BINDINGS if b.key != "ctrl+c"]))

    async def action_quit(self) -> None:
        self.engine.stop()  # the engine stops within one training step
        self.exit(0)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            if binding.key not in ("ctrl+c", "q"):
                yield SystemCommand(
                    binding.description, binding.tooltip, partial(self.run_action, binding.action)
                )


def create_app(data: str | None = None, checkpoint: str | None = None) -> MakemoreApp:
    """The app, as the CLI and the tests build it."""
    return MakemoreApp(data=data, checkpoint=checkpoint)

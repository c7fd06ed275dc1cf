"""The Loss and Embedding panels: each draws its own view, with its title, subtitle and hint.

Their plots come with the first view: plotext is no part of the first frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.widget import Widget
from textual.widgets import Static

from engine.protocol import EmbeddingView, LossView
from tui.widgets.scatter import EmbeddingMap, bounds
from tui.widgets.styles import LEGEND, legible, style

if TYPE_CHECKING:
    from tui.widgets.plot import Plot

LOADING = "loading torch…"


FOCUS_MARK = "▸ "  # before the focused panel's title: focus is shown by more than a colour


def retitle(widget: Widget, title: str, subtitle: str) -> None:
    """Set the border's texts that changed, only: setting one repaints the whole panel."""
    title = (FOCUS_MARK if widget.has_focus else "") + title
    if widget.border_title != title:
        widget.border_title = title
    if widget.border_subtitle != subtitle:
        widget.border_subtitle = subtitle


PlotView = TypeVar("PlotView", LossView, EmbeddingView)


class PlotPanel(Container, Generic[PlotView]):
    """A plot, or a hint in its place while there is nothing to draw."""

    can_focus = True  # Tab moves between the panels; z maximises the focused one
    ALLOW_MAXIMIZE = True

    TITLE = ""
    HINT = ""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plot: Plot | None = None
        self._hint = Static(LOADING, classes="loading")
        self._hint_text = LOADING

    def compose(self) -> ComposeResult:
        yield self._hint

    def on_mount(self) -> None:
        retitle(self, self.TITLE, LOADING)

    def make_plot(self) -> Plot:
        raise NotImplementedError

    def show(self, view: PlotView) -> None:
        if not self.is_attached:  # a first report as the app closes: nothing to draw it in
            return
        has_data = self.has_data(view)
        if not has_data and self._hint_text != self.hint(view):
            self._hint_text = self.hint(view)
            self._hint.update(self._hint_text)
        if self.plot is None:
            self.plot = self.make_plot()
            self.plot.display = False
            self.mount(self.plot)
        if self.plot.display != has_data:  # a change of display costs a layout: only on change
            self._hint.display = not has_data
            self.plot.display = has_data
        if has_data:
            # While training, the plot is built in a thread: a key press should not wait.
            self.plot.show(*self.plot_args(view), background=view.training)
        retitle(self, *self.titles(view))

    def has_data(self, view: PlotView) -> bool:
        raise NotImplementedError

    def hint(self, view: PlotView) -> str:
        """What the panel says while it has nothing to draw."""
        return self.HINT

    def plot_args(self, view: PlotView) -> tuple[object, ...]:
        return (view,)

    def titles(self, view: PlotView) -> tuple[str, str]:
        raise NotImplementedError


class LossPanel(PlotPanel[LossView]):
    VIEW = LossView
    TITLE = "Loss"
    HINT = (
        "No training yet: space runs, n takes one step, m switches model, ? explains every panel."
    )
    NEW_HERE = "New here? L follows the post step by step.\n"  # said while the lesson is closed

    # Log scale by itself when the curves span more than this factor: the seed post's net
    # starts at 26 and ends at 2.5, and on a linear axis its learning would be a flat line.
    WIDE_RANGE = 4.0

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.chosen_scale: bool | None = None  # log or not, as the user chose with y; None: auto
        self.in_lesson = False
        self.view: LossView | None = None

    @property
    def log_scale(self) -> bool:
        """As the user chose (y), else log when the curves start far above where they are."""
        if self.chosen_scale is not None or self.view is None:
            return bool(self.chosen_scale)
        now = self.view.loss
        values = [v for _, losses in self.view.train_curves.values() for v in losses[:50]]
        return bool(now and values) and max(values) > self.WIDE_RANGE * now

    def hint(self, view: LossView) -> str:
        return self.HINT if self.in_lesson else self.NEW_HERE + self.HINT

    def lesson_open(self, is_open: bool) -> None:
        """The hint names the lesson only while it is closed."""
        if self.in_lesson != is_open:
            self.in_lesson = is_open
            if self.view is not None and not self.has_data(self.view):
                self.show(self.view)

    def make_plot(self) -> Plot:
        from tui.widgets.plots import LossPlot

        return LossPlot()

    def show(self, view: LossView) -> None:
        self.view = view
        super().show(view)

    def toggle_log_scale(self) -> None:
        self.chosen_scale = not self.log_scale
        if self.view is not None:
            self.show(self.view)

    def has_data(self, view: LossView) -> bool:
        return bool(view.train_curves)

    def plot_args(self, view: LossView) -> tuple[object, ...]:
        return view, self.log_scale

    def titles(self, view: LossView) -> tuple[str, str]:
        if view.compared:
            return self._compared_titles(view)
        # The legend: each curve's name in its colour, the active model first.
        names = sorted(view.train_curves, key=lambda n: n != view.model)
        legend = " ".join(self._legend(n, view.models) for n in names) or view.model
        legend += " · x val" if view.val_curves else ""
        legend += " · ◆ best" if view.best else ""
        # "log" before the legend: a narrow panel cuts the end of its title
        title = "Loss" + (" · log" if self.log_scale else "") + f" {legend}"
        # Each figure in words, in short, and to 2 decimals, the first that fits: a narrow
        # panel loses the words, never the figures
        parts = [("no steps yet",) * 3 if view.loss is None else _worded("train", view.loss)]
        if view.val_curves.get(view.model):
            parts.append(_worded("val", view.val_curves[view.model][1][-1]))
        if view.first_loss is not None:
            first = f"{view.first_loss:.1f}"
            parts.append((f"● first loss {first}", f"● {first}", f"● {first}"))
        # The bars to clear: the counting models' val losses, drawn as lines in their colour.
        parts += [_worded(name, loss) for name, loss in view.references.items()]
        room = self.size.width - 6  # the corners, a rule and a space each side
        forms = [" ".join(part[level] for part in parts) for level in range(3)]
        fits = next((f for f in forms if len(f) <= room), None)
        shortest = [part[2] for part in parts]
        while fits is None and len(shortest) > 1:  # whole figures go, last first: never half
            shortest.pop()
            fits = " ".join(shortest) + " …" if len(" ".join(shortest)) + 2 <= room else None
        return title, fits or forms[-1]

    def _compared_titles(self, view: LossView) -> tuple[str, str]:
        """Runs side by side: each numbered in its colour; the subtitle names them, with the
        last val loss of each."""
        runs = [label for label in view.models if label not in view.references]
        numbers = {label: label.split(":")[0] for label in runs}
        legend = " ".join(self._legend(label, view.models, numbers[label]) for label in runs)
        title = "Loss" + (" · log" if self.log_scale else "") + f" · runs {legend} · x val"
        # Each val loss first: a narrow panel cuts the names, never them
        figures = [
            f"{numbers[label]} {view.val_curves[label][1][-1]:.3f}"
            for label in runs
            if label in view.val_curves
        ]
        figures += [f"{name} {loss:.3f}" for name, loss in view.references.items()]
        names = [label.replace(":", " ", 1) for label in runs]
        return title, " · ".join(figures + names)

    def _legend(self, model: str, models: list[str], shown: str | None = None) -> str:
        color, marker = style(model, models)
        text = escape(model if shown is None else shown)
        return f"[bold {legible(color, self.app)}]{LEGEND.get(marker, marker)} {text}[/]"


def _worded(name: str, loss: float) -> tuple[str, str, str]:
    """A loss named in full, by its name's first letters (t, v, bi, ng...), and so to 2
    decimals."""
    short = name[0] if name in ("train", "val") else name[:2]
    return f"{name} {loss:.3f}", f"{short} {loss:.3f}", f"{short} {loss:.2f}"


class EmbeddingPanel(PlotPanel[EmbeddingView]):
    VIEW = EmbeddingView
    TITLE = "Embedding"
    # While the panel has the focus (Tab): leave out the points far from the rest, or not
    BINDINGS = [Binding("enter", "zoom", "Zoom on the crowd", show=False)]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.zoomed = False
        self.view: EmbeddingView | None = None

    def make_plot(self) -> EmbeddingMap:  # type: ignore[override]
        return EmbeddingMap()

    def show(self, view: EmbeddingView) -> None:
        self.view = view
        super().show(view)

    def action_zoom(self) -> None:
        self.zoomed = not self.zoomed
        if self.view is not None:
            self.show(self.view)

    def plot_args(self, view: EmbeddingView) -> tuple[object, ...]:
        return view, self.zoomed

    def has_data(self, view: EmbeddingView) -> bool:
        return view.points is not None

    def hint(self, view: EmbeddingView) -> str:
        return view.hint

    def titles(self, view: EmbeddingView) -> tuple[str, str]:
        if view.size is None:
            return self.TITLE, "none here: press m"
        shown = len(view.points or ())
        some = f"{shown} of {view.vocab_size:,} · " if shown < view.vocab_size else ""
        subtitle = some + f"{view.size}-D" + (" as is" if view.size <= 2 else ", PCA to 2-D")
        if view.points:
            far = bounds(view.points, self.zoomed)[1]
            subtitle += f" · zoomed, left out: {' '.join(far)}" if far else ""
        return self.TITLE, subtitle

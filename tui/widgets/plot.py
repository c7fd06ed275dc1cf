"""A plotext plot whose figure can be built in a thread, off the UI thread."""

from __future__ import annotations

import threading
from typing import Any

from rich.text import Text
from textual import work
from textual.app import RenderResult
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot as Figure

from tui.messages import FigureBuilt


class Plot(PlotextPlot):
    """plotext builds a figure in pure Python: about 7 ms here for one panel, more on a busy
    machine. While the model trains, a thread builds it, so the UI thread only lays out the
    finished text, and a key press waits for the GIL (a 5 ms switch), not for the build.
    Subclasses draw their data in draw()."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._args: tuple[Any, ...] = ()  # what draw() shows
        self._figure: tuple[tuple[Any, ...], Text] | None = None  # (size, theme), the text
        self._building = threading.Lock()  # one build at a time on the one plotext figure

    def on_mount(self) -> None:
        self.plt.frame(False)  # the panel's border is the frame

    def draw(self, plt: Figure, *args: Any) -> None:
        raise NotImplementedError

    def show(self, *args: Any, background: bool = False) -> None:
        """Draw these data: now (the next repaint builds the figure), or built in a thread."""
        self._args, self._figure = args, None
        if background and self.size.area:
            self._build_in_thread(self._key(), args)
        else:
            self.refresh()

    def render(self) -> RenderResult:
        key = self._key()
        if self._figure is None or self._figure[0] != key:  # new data, size or theme
            self._figure = (key, self._build(key, self._args))
        return self._figure[1]

    def on_figure_built(self, message: FigureBuilt) -> None:
        if message.args is self._args:  # not overtaken by newer data
            self._figure = (message.key, message.figure)
            self.refresh()

    @work(thread=True, group="figure")
    def _build_in_thread(self, key: tuple[Any, ...], args: tuple[Any, ...]) -> None:
        self.post_message(FigureBuilt(key, args, self._build(key, args)))

    def _key(self) -> tuple[Any, ...]:
        return self.size, self._get_plotext_theme_name(self.app.theme)

    def _build(self, key: tuple[Any, ...], args: tuple[Any, ...]) -> Text:
        (size, theme), plt = key, self.plt
        with self._building:
            plt.clear_data()
            self.draw(plt, *args)
            # As textual-plotext's own render(): both size calls are needed.
            plt.plotsize(size.width, size.height)
            plt._set_size(size.width, size.height)
            plt.theme(theme)
            return Text.from_ansi(plt.build())

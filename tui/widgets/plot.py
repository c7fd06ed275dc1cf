"""A plotext plot whose lines can be built in a thread, off the UI thread."""

from __future__ import annotations

import threading
from typing import Any

from rich.text import Text
from textual import work
from textual.color import Color
from textual.strip import Strip
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot as Figure

from tui.messages import FigureBuilt
from tui.widgets.strips import to_strip

# What a plot's lines depend on besides its data: its size, plotext theme and base style.
Key = tuple[Any, ...]


class Plot(PlotextPlot):
    """plotext builds a figure in pure Python, and Textual then turns its text into lines:
    milliseconds a panel, more on a busy machine. While the model trains, a thread
    builds the lines and the panel shows the last ones until then, so the UI thread only
    copies finished lines to the screen and a key press does not wait for a build. Drawn
    line by line; subclasses draw their data in draw()."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._args: tuple[Any, ...] = ()  # what draw() shows
        self._lines: tuple[Key, list[Strip]] | None = None  # the last built, and for what
        self._building = threading.Lock()  # one build at a time on the one plotext figure

    def on_mount(self) -> None:
        self.plt.frame(False)  # the panel's border is the frame

    def draw(self, plt: Figure, *args: Any) -> None:
        raise NotImplementedError

    @property
    def ink(self) -> tuple[int, int, int]:
        """The theme's text colour, for marks that must stand out on a light theme too."""
        return Color.parse(self.app.theme_variables["foreground"]).rgb

    def show(self, *args: Any, background: bool = False) -> None:
        """Draw these data: now (the next repaint builds them), or built in a thread."""
        self._args = args
        if background and self.size.area:
            self._build_in_thread(self._key(), args)
        else:
            self._lines = None
            self.refresh()

    @property
    def lines(self) -> list[Strip] | None:
        """The lines built last (in a thread, or in place)."""
        return self._lines[1] if self._lines else None

    def render_line(self, y: int) -> Strip:
        key = self._key()
        if self._lines is None or self._lines[0] != key:  # new data, size or theme
            self._lines = (key, self._build(key, self._args))
        lines = self._lines[1]
        return lines[y] if y < len(lines) else Strip.blank(self.size.width, self.rich_style)

    def on_figure_built(self, message: FigureBuilt) -> None:
        if message.args is self._args:  # not overtaken by newer data
            self._lines = (message.key, message.lines)
            self.refresh()

    # Without a description, Textual would describe each worker by the repr of its arguments:
    # a whole snapshot, on the UI thread.
    @work(thread=True, group="figure", description="build a plot")
    def _build_in_thread(self, key: Key, args: tuple[Any, ...]) -> None:
        self.post_message(FigureBuilt(key, args, self._build(key, args)))

    def _key(self) -> Key:
        return self.size, self._get_plotext_theme_name(self.app.theme), self.rich_style

    def _build(self, key: Key, args: tuple[Any, ...]) -> list[Strip]:
        (size, theme, style), plt = key, self.plt
        with self._building:
            plt.clear_data()
            plt.theme(theme)  # first: plotext gives text the background of the theme in force
            if args:  # none before the first show(): an empty figure
                self.draw(plt, *args)
            # As textual-plotext's own render(): both size calls are needed.
            plt.plotsize(size.width, size.height)
            plt._set_size(size.width, size.height)
            text = Text.from_ansi(plt.build())
        console = self.app.console
        return [to_strip(line, console, size.width, style) for line in text.split()]

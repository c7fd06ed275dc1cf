"""How each model is drawn, in the loss plot and in texts; the plots and the panels share it.
A model's style is its place in the engine's list of models: the app names none itself."""

from __future__ import annotations

from textual.app import App

# Colour and marker by place: a marker of its own for each of the engine's ten models, so
# that two runs compared never look alike, without colour too; none is val's "x". The legend
# in the panel's title shows each ("hd" half-blocks: a smooth line, cheap to build).
COLOURS = ["orange", "magenta", "cyan", "green", "yellow"]
MARKERS = ["•", "+", "hd", "*", "-", "o", "~", "=", "^", "#"]
STYLES = [(COLOURS[i % len(COLOURS)], marker) for i, marker in enumerate(MARKERS)]
LEGEND = {"hd": "▀"}  # how a plotext marker name looks
# The colours as hex values for texts (the legend, the status line): the ANSI ones turn dark
# grey when NO_COLOR makes the app monochrome. Light on a dark theme, deep on a light one.
ON_DARK = {
    "orange": "#ffaf5f",
    "magenta": "#ff87ff",
    "cyan": "#5fd7ff",
    "green": "#87ff87",
    "yellow": "#ffff87",
}
ON_LIGHT = {
    "orange": "#af5f00",
    "magenta": "#af00af",
    "cyan": "#005f87",
    "green": "#005f00",
    "yellow": "#878700",
}


def style(model: str, models: list[str]) -> tuple[str, str]:
    """The (colour, marker) of this model, one of `models`."""
    return STYLES[models.index(model) % len(STYLES)]


def legible(color: str, app: App) -> str:
    """A STYLES colour as text that reads on the app's theme."""
    return (ON_DARK if app.current_theme.dark else ON_LIGHT)[color]

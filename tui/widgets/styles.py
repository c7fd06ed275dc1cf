"""How each model is drawn, in the loss plot and in texts; the plots and the panels share it."""

from __future__ import annotations

from textual.app import App

COLORS = {"bigram": "orange", "bigram-neural": "magenta", "mlp": "cyan", "ngram": "green"}
# Each model's curve has a marker of its own too, so that they differ without colour; the
# legend in the panel's title shows it.
MARKERS = {"bigram": "•", "bigram-neural": "+", "mlp": "hd", "ngram": "*"}
LEGEND = {"hd": "▀"}  # how a plotext marker name looks
# The colours as hex values for texts (the legend, the status line): the ANSI ones turn dark
# grey when NO_COLOR makes the app monochrome. Light on a dark theme, deep on a light one.
ON_DARK = {"orange": "#ffaf5f", "magenta": "#ff87ff", "cyan": "#5fd7ff", "green": "#87ff87"}
ON_LIGHT = {"orange": "#af5f00", "magenta": "#af00af", "cyan": "#005f87", "green": "#005f00"}


def legible(color: str, app: App) -> str:
    """A COLORS colour as text that reads on the app's theme."""
    return (ON_DARK if app.current_theme.dark else ON_LIGHT)[color]

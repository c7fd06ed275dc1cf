"""The start-up reference: a minimal Textual app (one line of text and a footer)."""

from textual.app import App, ComposeResult
from textual.widgets import Footer, Static


class MinimalApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("minimal")
        yield Footer()


if __name__ == "__main__":
    MinimalApp().run()

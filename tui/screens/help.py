"""The help screen: what each panel shows, and every key (read from the app's bindings)."""

from __future__ import annotations

from rich import box
from rich.markdown import Markdown
from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from engine.protocol import FamilyInfo
from tui.screens.dialog import Dialog

PANELS = """\
# makemore-tui

Character-level language models learn to make up **names**, one character at a time.
Escape closes this help.

- **Loss**: how surprised the model is by the next character (nats, lower is better). Curves are
  the smoothed training loss; x marks the validation loss on names it never trains on, ◆ the
  best one, whose weights are kept. A flat line in a model's colour is the validation loss of a
  counting model once it has counted: the bar a neural net has to clear. When
  val stops improving while train keeps falling, the net is **overfitting**: learning the
  training names by heart. The run pauses and says so; space goes on. A preset that averages
  its weights (`average` in e: the default and makemore ones) measures val on that average.
  A default one starts from the counts, and its average keeps some of that start for a
  thousand steps or so: val sits above train there without any overfitting.
- **Bigrams**: how often each character follows another (. starts and ends a name). A model
  that counts pairs is exactly this table; watch it fill up as it counts.
- **Embedding**: a net gives each character a vector; here in 2-D (PCA above size 2). Similar
  characters drift together as it learns (vowels in orange).
- **Generator**: names drawn from the current model, letter by letter. **new** names are not in
  the dataset; *train* / *val* / *test* ones are, in that split. The number is the name's
  log-probability.
- **Status**: model, step, losses (with how many steps ago val was measured, and the best),
  hyperparameters, dataset.
"""
MODELS = """
## Models

m cycles through them, in this order; each keeps its own run.

"""
TOOLS = """
## Tools

- **Learning-rate finder** (f): one step at each of 300 rates from 1e-4 to 10, on a copy of the
  model. It suggests a third of the rate where the smoothed loss is lowest (there it still falls
  fast, safely away from where it blows up), or nothing when the loss hardly falls at any rate;
  a applies it.
- **Inside the net** (d), live: for the MLP and the WaveNet, activations, saturation and dead
  units per layer, the gradients, and update:data per weight (healthy near -3); for the
  Transformer, each head's attention over a name you type; for the RNN and the GRU, the state
  (and the GRU's gates) after each letter.
- **Runs** (t): every run so far, this data's first, the best val first; Enter brings one back,
  space chooses rows and c draws their curves side by side, Delete forgets runs (it asks).
- **Zoom** (z): the focused panel (Tab moves the focus) fills the screen; at 100x32 the Bigrams
  panel then shows the whole grid.
- **Command palette** (ctrl+p): every command by its name or by the words of what it does
  ("checkpoint", "attention"), and each model by its name.
"""
PRESETS = """
## Presets

Each model starts from a preset; e opens its values, where a model with several can change it.
"""


class HelpScreen(Dialog[None]):
    AUTO_FOCUS = "*"  # the app focuses nothing at first; a dialog, its first field
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(
        self, bindings: list[Binding], lessons: dict[str, str], families: list[FamilyInfo]
    ) -> None:
        super().__init__()
        self.keys = bindings
        self.lessons = lessons  # "model preset" → what it teaches, from the engine
        self.families = families  # as the engine lists them

    def compose(self) -> ComposeResult:
        keys = [(shown_key(b), b.tooltip or b.description) for b in self.keys]
        models = "".join(f"- **{f.name}**: {f.summary}\n" for f in self.families)
        with self.frame(VerticalScroll, "help"):
            yield _text(PANELS + (MODELS + models if models else "") + TOOLS)
            if self.lessons:
                yield _text(PRESETS)
                yield _table(("model preset", "teaches"), list(self.lessons.items()))
            yield _text("## Keys")
            yield _table(("key", "does"), keys)


def shown_key(binding: Binding) -> str:
    """The key as the help lists it: its display name, or the first of its keys."""
    return binding.key_display or binding.key.split(",")[0]


def _text(markdown: str) -> Static:
    """Markdown as one widget: Textual's Markdown widget makes one of every paragraph and
    list item (about ninety here), slow to compose each time the help opens."""
    return Static(Markdown(markdown), classes="help-text")


def _table(header: tuple[str, str], rows: list[tuple[str, str]]) -> Static:
    """A two-column table as one widget: Markdown's makes a widget of every cell, and the
    help has a hundred of them."""
    table = Table(*header, box=box.SIMPLE_HEAD, expand=True, show_edge=False, pad_edge=False)
    for row in rows:
        table.add_row(*row)
    return Static(table, classes="help-table")

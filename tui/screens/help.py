"""The help screen: what each panel shows, and every key (read from the app's bindings)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll

from tui.screens.dialog import Dialog

PANELS = """\
# makemore-tui

Character-level language models learn to make up **names**, one character at a time.
Escape closes this help.

- **Loss**: how surprised the model is by the next character (nats, lower is better). Curves are
  the smoothed training loss; x marks the validation loss on names it never trains on, ◆ the
  best one, whose weights are kept. A flat line in a model's colour is the validation loss of a
  counting model (bigram, ngram) once it has counted: the bar a neural net has to clear. When
  val stops improving while train keeps falling, the net is **overfitting**: learning the
  training names by heart. The run pauses and says so; space goes on.
- **Bigrams**: how often each character follows another (. starts and ends a name). The bigram
  model is exactly this table; watch it fill up as it counts.
- **Embedding**: the MLP gives each character a vector; here in 2-D (PCA above size 2). Similar
  characters drift together as it learns (vowels in orange).
- **Generator**: names drawn from the current model, letter by letter. **new** names are not in
  the dataset; *train* / *val* / *test* ones are, in that split. The number is the name's
  log-probability.
- **Status**: model, step, losses (with how many steps ago val was measured, and the best),
  hyperparameters, dataset.

Models (m cycles through them): **bigram** (counts), **bigram-neural** (the same table, learnt
by gradient descent), **mlp** (Bengio et al. 2003: a context of characters, embeddings, a tanh
layer; by default it starts from the ngram's counts and learns what they miss, sized to the
data) and **ngram** (counts of contexts up to 4 characters, mixed with weights fit on val).
"""
TOOLS = """
## Tools

- **Learning-rate finder** (f): one step at each of 300 rates from 1e-4 to 10, on a copy of the
  model. It suggests a third of the rate where the smoothed loss is lowest (there it still falls
  fast, safely away from where it blows up), or nothing when the loss hardly falls at any rate;
  a applies it.
- **Inside the MLP** (d): activations, saturation and dead units per layer, the gradients, and
  update:data per weight (healthy near -3), live.
- **Runs** (t): every run so far, the best val first; Enter brings one back.
- **Zoom** (z): the focused panel (Tab moves the focus) fills the screen; at 100x32 the Bigrams
  panel then shows the whole grid.
"""
PRESETS = """
## Presets

Each model starts from a preset; e opens its values, where the MLP's preset can be changed.

| model preset | teaches |
|---|---|
"""


class HelpScreen(Dialog[None]):
    AUTO_FOCUS = "*"  # the app focuses nothing at first; a dialog, its first field
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, bindings: list[Binding], lessons: dict[str, str]) -> None:
        super().__init__()
        self.keys = bindings
        self.lessons = lessons  # "model preset" → what it teaches, from the engine

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown  # here, not at the top: it is slow to import

        rows = "\n".join(
            f"| {b.key_display or b.key.split(',')[0]} | {b.tooltip or b.description} |"
            for b in self.keys
        )
        presets = "".join(f"| {name} | {lesson} |\n" for name, lesson in self.lessons.items())
        with VerticalScroll(id="help"):
            yield Markdown(
                PANELS
                + TOOLS
                + (PRESETS + presets if presets else "")
                + "\n## Keys\n\n| key | does |\n|---|---|\n"
                + rows
            )

"""The lesson: the post "Building an Autoregressive Neural Network, Part 1" step by step, each
step setting the session up for it and setting the post's figure beside ours, measured now.
The captions are in our own words; the post's figures are as it prints them."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from engine.dataset import Dataset, visible
from engine.errors import AskFirst
from engine.families import switch_preset
from engine.inside import inside_view
from engine.protocol import LessonView
from engine.sources import DEFAULT_DATASET, NAMES_SHA256, cached_names

if TYPE_CHECKING:  # the session imports no lesson
    from engine.session import Session
    from engine.trainer import Trainer

LESSON_SEED = 2147483647  # the lectures' torch.Generator().manual_seed(...)
Measure = Callable[["Session"], str]


@dataclass(frozen=True)
class Setup:
    """What a step sets up: a model and its values (changed only where they differ), whether
    a counting model counts its data now, names to draw, and what the app shows."""

    model: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    count: bool = False
    names: int = 0  # drawn from LESSON_SEED each time the step is entered
    panel: str | None = None  # the panel to maximise: loss, embedding, bigrams, names
    probabilities: bool = False  # the bigram panel shows P, not N


@dataclass(frozen=True)
class Step:
    title: str
    text: str  # what it does and what to look at, in a line or two; {vocab}: its size
    post: str  # the post's figure (past the post, the lecture's)
    ours: Measure  # ours, measured now
    keys: str | Measure  # what to press next, or a measure of it where that depends on the run
    setup: Setup = field(default_factory=Setup)
    source: str = "the post"  # whose figure `post` is


def _items(session: Session) -> str:
    dataset = session.dataset
    first = ", ".join(dataset.items[:5])
    return f"{first} ({len(dataset.items):,} items)"


def _symbols(session: Session) -> str:
    vocab = session.dataset.vocab
    return f"{vocab.size} symbols: " + " ".join(vocab.symbol(i) for i in range(vocab.size))


def _bigram_counts(session: Session) -> torch.Tensor | None:
    trainer = session.trainers.get("bigram")
    if trainer is None or not trainer.step:
        return None
    tables = trainer.model.bigram_tables()
    return None if tables is None else tables[0]


def _largest(session: Session) -> str:
    counts = _bigram_counts(session)
    if counts is None:
        return "not counted yet"
    vocab, size = session.dataset.vocab, counts.shape[0]
    key = int(counts.argmax())
    trainer = session.trainers["bigram"]
    what = session.dataset.describe_items(trainer.counted_split)
    return (
        f"{vocab.symbol(key // size)}→{vocab.symbol(key % size)} {int(counts.max()):,}, "
        f"counting {what}"
    )


def _first_letter(counts: torch.Tensor, session: Session) -> tuple[int, str]:
    """The letter most items start with, its index and how it is drawn: the post's 'a' on
    names.txt, whatever the alphabet."""
    index = int(counts[0].argmax())
    return index, session.dataset.vocab.symbol(index)


def _zeros(session: Session) -> str:
    counts = _bigram_counts(session)
    if counts is None:
        return "not counted yet"
    j, letter = _first_letter(counts, session)
    return f".{letter} {int(counts[0, j]):,}; {int((counts == 0).sum()):,} pairs are 0"


def _smoothed(session: Session) -> str:
    trainer = session.trainers.get("bigram")
    if trainer is None or not trainer.step:
        return "not counted yet"
    probabilities = trainer.model.bigram_tables()[1]
    smallest = float(probabilities.min())
    return f"add-{trainer.config.shape.smoothing:g}: the smallest P is {smallest:.5f}, not 0"


def _probabilities(session: Session) -> str:
    trainer = session.trainers.get("bigram")
    if trainer is None or not trainer.step:
        return "not counted yet"
    counts, probabilities = trainer.model.bigram_tables()
    tiny = int((probabilities < 0.0005).sum())
    j, letter = _first_letter(counts, session)
    return f"P(.{letter}) {float(probabilities[0, j]):.3f}; {tiny} cells below .001, shown <.001"


def _names_of(model: str, shown: int = 10, learns: bool = False) -> Measure:
    """The names drawn last, `shown` of them (the mean length is of ten); a model that
    `learns` and has not yet trained says so, as its names are its random weights'."""

    def names(session: Session) -> str:
        last = [m for m in session.names if m.model == model][:10]
        if not last:
            return "press g for names"
        made = [m.sample.text for m in last]
        mean = sum(len(n) for n in made) / len(made)
        more = ", …" if len(made) > shown else ""
        untrained = learns and not last[0].step
        shown_names = ", ".join(list(reversed(made))[:shown])
        before = "untrained, so random: " if untrained else ""
        return f"{before}{shown_names}{more} (mean length {mean:.1f})"

    return names


def _uniform(session: Session) -> str:
    trainer = session.trainers.get("uniform")
    size = session.dataset.vocab.size
    loss = trainer.best_val if trainer is not None and trainer.step else math.nan
    measured = f"{loss:.3f}" if math.isfinite(loss) else "not run yet"
    # three of its long names: ten would push the lesson's keys off an 80x24 screen
    names = _names_of("uniform", shown=3)(session)
    return f"loss {measured} = ln {size} = {math.log(size):.3f}; {names}"


def _examples(session: Session) -> str:
    dataset = session.dataset
    block = _block_size(session)
    every = len(dataset.examples("all"))
    trained = int(dataset.item_offsets("train")[-1])
    return f"X {every:,}x{block} over all items; the net trains on {trained:,} (80%)"


def _block_size(session: Session) -> int:
    trainer = session.trainers.get("mlp")
    return trainer.config.shape.block_size if trainer else 3


def _embedding(session: Session) -> str:
    trainer = session.trainers.get("mlp")
    if trainer is None:
        return "no mlp yet"
    table = trainer.model.embedding_table()
    block = trainer.config.shape.block_size
    every = len(session.dataset.examples("all"))
    return f"C {table.shape[0]}x{table.shape[1]}; emb {every:,}x{block}x{table.shape[1]}"


def _view(session: Session) -> str:
    trainer = session.trainers.get("mlp")
    if trainer is None:
        return "no mlp yet"
    shape = trainer.config.shape
    return f"{shape.block_size}x{shape.n_embd} → {shape.block_size * shape.n_embd} inputs a row"


def _parameters(session: Session) -> str:
    trainer = session.trainers.get("mlp")
    if trainer is None:
        return "no mlp yet"
    return f"{trainer.model.parameter_count():,} parameters"


def _first_loss(session: Session) -> str:
    trainer = session.trainers.get("mlp")
    if trainer is None or trainer.initial_loss is None:
        return "press n for the first step: its loss is the first loss"
    return f"{trainer.initial_loss:.2f}: the random draw differs"


def _trained(session: Session) -> str:
    trainer = session.trainers.get("mlp")
    if trainer is None or not trainer.step:
        return "press space"
    budget = trainer.config.run.budget
    of = f"/{budget:,}" if budget else ""
    return f"step {trainer.step:,}{of}: train loss {trainer.last_loss:.4f} (full batch)"


def _training_keys(session: Session) -> str:
    trainer, steps = session.trainers.get("mlp"), int(POST_NET["steps"])
    if trainer is not None and trainer.step >= steps:
        return f"space trains on past the post's {steps:,} steps"
    return f"space runs to step {steps:,} and pauses"


def _against(session: Session) -> str:
    """The net's loss beside the counts', and which is lower: on other data the net may win."""
    net, counted = session.trainers.get("mlp"), _pairs_loss(session)
    if net is None or not net.step or counted is None:
        return "train both first"
    (loss, pairs), ours = counted, net.last_loss
    verdict = "worse, as in the post" if ours > loss else "better here"
    return f"mlp {ours:.3f} against the bigram's {loss:.6f} over {pairs:,} pairs: {verdict}"


def _pairs_loss(session: Session) -> tuple[float, int] | None:
    """The bigram's loss over every pair of the items it counted, as the post's exercise,
    and how many pairs; None until it has counted them."""
    trainer = session.trainers.get("bigram")
    if trainer is None or trainer.stopped is None:
        return None
    x, y = session.dataset.examples(trainer.counted_split).batch(slice(None), 1)
    return trainer.model.loss_sum(x, y) / len(y), len(y)


def _bigram_loss(session: Session) -> str:
    counted = _pairs_loss(session)
    return "not counted yet" if counted is None else f"{counted[0]:.6f} over {counted[1]:,} pairs"


def _exercise(session: Session) -> str:
    trainer = session.trainers.get("mlp")
    if trainer is None or trainer.best_val == math.inf:
        return "no mlp run yet"
    return f"{trainer.config.preset}: val {trainer.best_val:.3f} ({trainer.config.describe()})"


def _scatter(session: Session) -> str:
    trainer = session.trainers.get("mlp")
    table = None if trainer is None else trainer.model.embedding_table()
    vocab = session.dataset.vocab
    if table is None:
        return "no embedding yet"
    vowels = list(vocab.vowels)
    if len(vowels) < 2:
        return f"{vocab.size} letters drawn"
    points = table.double()
    among = torch.pdist(points[vowels]).mean()
    every = torch.pdist(points).mean()
    return f"{vocab.size} letters drawn; vowels {among / every:.2f}x as far apart as the average"


def _saturation(session: Session) -> str:
    """How much of the first hidden layer sits on tanh's flat ends, on the same 256 training
    examples each time (the lecture's |h| > 0.97), and the val loss."""
    trainer = session.trainers.get("mlp")
    if trainer is None or not trainer.step:
        return "press space, then d to look inside"
    model = trainer.model
    x, _ = session.dataset.examples("train").batch(slice(256), model.block_size)
    with torch.no_grad():
        h = model.walk(x).activations[0]
    saturated = float((h.abs() > SATURATED).float().mean())
    val = f"; val {trainer.best_val:.3f}" if math.isfinite(trainer.best_val) else ""
    return f"step {trainer.step:,}: {saturated:.0%} of tanh outputs beyond ±{SATURATED}{val}"


def _wavenet(session: Session) -> str:
    trainer = session.trainers.get("wavenet")
    if trainer is None:
        return "no wavenet yet"
    parameters = f"{trainer.model.parameter_count():,} parameters"
    if not math.isfinite(trainer.best_val):
        return f"{parameters}; space trains it"
    return f"{parameters}; step {trainer.step:,}: val {trainer.best_val:.3f}"


def _attention(session: Session) -> str:
    trainer = session.trainers.get("transformer")
    if trainer is None or not trainer.step:
        return "space trains it; then d shows its heads"
    return _heads_on(trainer, trainer.step, trainer.best_val)


@lru_cache(maxsize=1)
def _heads_on(trainer: Trainer, step: int, best_val: float) -> str:
    """Where layer 1's heads look from the last letter of 'emma' (else of the first
    training item), at this step: made once a step and val, not at every caption."""
    items = trainer.dataset.items_of("train")
    name = "emma" if "emma" in trainer.dataset.items else items[0]
    view = inside_view(trainer, name)
    last = [head[-1] for head in view.attention[0]]
    looked = [view.letters[row.index(max(row))] for row in last]
    val = f", val {best_val:.3f}" if math.isfinite(best_val) else ""
    return f"step {step:,}{val}: from the end of {name!r}, layer 1's heads look at " + (
        " ".join(repr(letter) for letter in looked)
    )


BIGRAM_ALL = {"count_on": "all", "batch_size": "0", "smoothing": "1"}
# The post's net, whatever was changed past it: going back to its steps brings it back
POST_NET = {
    "preset": "seed",
    "activation": "relu",
    "norm": "none",
    "batch_size": "0",
    "steps": "1000",
}
# Past the post, the lecture's part 3: tanh on the post's randn weights, with minibatches,
# then the same net with BatchNorm
SATURATING = {**POST_NET, "activation": "tanh", "batch_size": "32", "steps": "5000"}
SATURATED = 0.97  # |tanh| beyond this: on its flat ends

STEPS = (
    Step(
        "the data",
        "Every line of the file is one item, here one name. The models learn what comes next.",
        "emma, olivia, ava, isabella, sophia (32,033 names)",
        _items,
        "",
    ),
    Step(
        "the vocabulary",
        "Each character gets a number, sorted; '.' (0) marks where a name starts and ends.",
        "27 symbols: . a b … z",
        _symbols,
        "",
    ),
    Step(
        "counting pairs, N",
        "The bigram counts, over all names with no split as the post does, how often each "
        "character follows another ('.' + name + '.').",
        "all 32,033 names; the largest is n→. 6,763",
        _largest,
        "",
        Setup("bigram", BIGRAM_ALL, count=True),
    ),
    Step(
        "the N table",
        "Row: the first character, column: the next. Bright cells are common pairs; many are "
        "0, pairs never seen.",
        ".a 4,410; many 0 (bk, gc…)",
        _zeros,
        "arrows scroll a grid larger than the panel",
        Setup("bigram", BIGRAM_ALL, count=True, panel="bigrams"),
    ),
    Step(
        "smoothing",
        "Adding 1 to every count makes no pair impossible: a name with an unseen pair no "
        "longer has probability 0.",
        "N = N + 1",
        _smoothed,
        "",
        Setup("bigram", BIGRAM_ALL, count=True, panel="bigrams"),
    ),
    Step(
        "P, each row summing to 1",
        "Divide each row by its sum: P[first, next] is the chance of next after first. "
        "Smoothed pairs show as <.001, where the post's 3 decimals print 0.000.",
        "every cell to 3 decimals; many 0.000",
        _probabilities,
        "c toggles N and P",
        Setup("bigram", BIGRAM_ALL, count=True, panel="bigrams", probabilities=True),
    ),
    Step(
        "sampling the bigram",
        "From '.', draw the next character from its row of P, then from that one's row, "
        "until '.' comes again. The lectures' seed, but another way to draw: other names.",
        "eimonil, veasha, sanowan, hkema, …",
        _names_of("bigram"),
        "g draws more names",
        Setup("bigram", BIGRAM_ALL, count=True, names=10, panel="names"),
    ),
    Step(
        "the uniform model",
        "Every character equally likely (N = ones): what a model knows before any data. Its "
        "names are gibberish, and long; its loss is ln {vocab}.",
        "mhdlyhjiavmueetruizvnp, … ; loss ln 27 = 3.296",
        _uniform,
        "",
        Setup("uniform", count=True, names=10, panel="names"),
    ),
    Step(
        "the examples",
        "The net sees a context of 3 characters, starting from '...', and predicts the next: "
        "one example for every character of every name, and its end.",
        "X 228,146x3, Y 228,146",
        _examples,
        "",
        Setup("mlp", POST_NET),
    ),
    Step(
        "the embedding C",
        "Each character is a row of C, 2 numbers here: picking row i is what a one-hot "
        "vector times C gives.",
        "C 27x2; emb 228,146x3x2",
        _embedding,
        "",
        Setup("mlp", POST_NET),
    ),
    Step(
        "the view",
        "A context's 3 rows of C, side by side, are one input row of 6 numbers.",
        "emb.view(-1, 6)",
        _view,
        "",
        Setup("mlp", POST_NET),
    ),
    Step(
        "the layers",
        "A hidden layer of 100 ReLU units, then {vocab} logits, one per next character; all "
        "weights drawn from randn.",
        "3,481 parameters with C",
        _parameters,
        "",
        Setup("mlp", POST_NET),
    ),
    Step(
        "softmax and the first loss",
        "Softmax turns the logits into probabilities; the loss is the mean -log P of the "
        "right next character. Random weights make it far above ln {vocab}.",
        "26.47 (it depends on the random draw)",
        _first_loss,
        "n takes one step; another seed (e, seed) draws other weights",
        Setup("mlp", POST_NET, panel="loss"),
    ),
    Step(
        "training",
        "Each step uses all examples, and moves every weight against its gradient times "
        "0.1. The run pauses by itself at its 1,000 steps.",
        "after 1,000 steps: 2.5312",
        _trained,
        _training_keys,
        Setup("mlp", POST_NET, panel="loss"),
    ),
    Step(
        "sampling the net",
        "The same loop as the bigram's, the context moving on by one character each time.",
        "dal, masty, hmit, nakeyuru, …",
        _names_of("mlp", learns=True),
        "g draws more names",
        Setup("mlp", POST_NET, names=10, panel="names"),
    ),
    Step(
        "the lesson",
        "The post's net does worse than counting pairs, but it can grow: longer contexts, "
        "wider embeddings, more layers. Counting cannot.",
        "the net's loss is worse than the baseline's",
        _against,
        "",
        Setup("mlp", POST_NET),
    ),
    Step(
        "exercise 1: the bigram's loss",
        "The counts are a model too: their mean -log P over every pair is a loss to set "
        "beside the net's.",
        "2.454577 over all 228,146 pairs, with +1",
        _bigram_loss,
        "",
        Setup("bigram", BIGRAM_ALL, count=True),
    ),
    Step(
        "exercise 2: improve the net",
        "e opens the settings: try batch_size 32 (minibatches), then the presets small, "
        "lecture, default; the runs table (t) keeps each.",
        "tune the hyperparameters",
        _exercise,
        "e opens the settings, t the runs",
        Setup("mlp"),
    ),
    Step(
        "the embedding scatter",
        "The trained C, one point per character: characters used alike sit close (the "
        "vowels), and '.' apart. Enter, on the panel, zooms on the crowd.",
        "vowels close together, '.' apart",
        _scatter,
        "Enter zooms on the crowd",
        Setup("mlp", panel="embedding"),
    ),
    # Past the post, as the lectures go on
    Step(
        "next: a net that saturates",
        "Past the post, the lectures' part 3: tanh on the post's randn weights. Its inputs "
        "are so large that many outputs sit at ±1, where tanh is flat and passes back no "
        "gradient: those units barely learn.",
        "many of h at ±1: plt.hist(h) piles at the ends",
        _saturation,
        "space trains; d looks inside the net",
        Setup("mlp", SATURATING, panel="loss"),
        source="the lecture",
    ),
    Step(
        "next: BatchNorm",
        "The same net and weights, each unit's input normalised over the batch, then scaled, "
        "before tanh: few saturate, whatever the init, though so shallow a net learns no "
        "faster. t sets the two side by side.",
        "the MLP with BatchNorm: val about 2.10 after 200,000 steps",
        _saturation,
        "space trains; d shows BatchNorm's statistics",
        Setup("mlp", {**SATURATING, "norm": "batch"}, panel="loss"),
        source="the lecture",
    ),
    Step(
        "next: the WaveNet",
        "The lectures' part 5: a context of 8, joined two characters at a time, level after "
        "level, each a linear layer, BatchNorm and tanh. d draws which characters each "
        "level sees.",
        "76,579 parameters; val 1.993 after 200,000 steps",
        _wavenet,
        "space trains; d draws the tree",
        Setup("wavenet", {"preset": "lecture"}, panel="loss"),
        source="the lecture",
    ),
    Step(
        "next: attention",
        "makemore's Transformer reads the whole name so far: at each letter, each head "
        "weighs the letters before it and takes a mix of what they carry; d shows each "
        "head's weights for a name you type.",
        "its default: test about 1.92 (trained on 97% of names.txt)",
        _attention,
        "space trains; d shows the heads",
        Setup("transformer", {"preset": "makemore"}, panel="loss"),
        source="makemore",
    ),
)


def is_names_txt(dataset: Dataset) -> bool:
    """Whether this is makemore's names.txt, the post's data, byte for byte."""
    path = dataset.path
    if path is None or not Path(path).is_file():
        return False
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() == NAMES_SHA256


def data_note(session: Session, names_txt: bool, first: bool) -> str:
    """What the lesson says about its data: nothing on names.txt; elsewhere that the figures
    differ, and on its `first` step how to get the post's data (later, a line: the caption's
    few lines go to the step)."""
    if names_txt:
        return ""
    dataset = session.dataset
    embedded = dataset.path is not None and Path(dataset.path) == DEFAULT_DATASET
    what = "the embedded names" if embedded else visible(dataset.name)
    if not first:
        return f"On {what}, not names.txt: the figures differ."
    get = (
        "o, then names, opens it (it is in the cache)"
        if cached_names()
        else "o, then names, downloads it (online)"
    )
    return (
        f"On {what} ({len(dataset.items):,} items), not makemore's names.txt, the post's: "
        f"the figures differ. {get}."
    )


class Guide:
    """Where the learner is in the lesson, open or left: the engine's loop holds one."""

    def __init__(self) -> None:
        self.open = False
        self.step = 0  # where it is, or was left
        self._names_txt: tuple[Dataset, bool] | None = None  # whether the data is the post's

    def go(self, session: Session, move: int, confirmed: bool = False) -> int:
        """Open at the step moved by `move`, set up for it (enter); how many names the step
        draws. On names.txt if the data is not, it is in the cache and no run would be lost."""
        if not self.open and not self.on_names_txt(session):
            cached = cached_names()
            if cached is not None and not any(t.step for t in session.trainers.values()):
                session.open_dataset(str(cached))
        step = max(0, min(len(STEPS) - 1, self.step + move))
        enter(session, step, confirmed)
        self.open, self.step = True, step
        return STEPS[step].setup.names

    def on_names_txt(self, session: Session) -> bool:
        if self._names_txt is None or self._names_txt[0] is not session.dataset:
            self._names_txt = (session.dataset, is_names_txt(session.dataset))
        return self._names_txt[1]

    def view(self, session: Session) -> LessonView:
        if not self.open:
            return LessonView(False, self.step, len(STEPS))
        step = STEPS[self.step]
        return LessonView(
            open=True,
            step=self.step,
            steps=len(STEPS),
            title=step.title,
            text=step.text.format(vocab=session.dataset.vocab.size),
            post=step.post,
            ours=visible(step.ours(session)),
            keys=step.keys if isinstance(step.keys, str) else step.keys(session),
            note=data_note(session, self.on_names_txt(session), first=self.step == 0),
            panel=step.setup.panel,
            probabilities=step.setup.probabilities,
            source=step.source,
        )


def enter(session: Session, index: int, confirmed: bool) -> None:
    """Set the session up for a step; a run with steps that the step would replace is
    replaced only once the user has confirmed (AskFirst)."""
    setup = STEPS[index].setup
    if setup.model is None:
        return
    before = session.active
    if setup.model != session.active:
        session.select_model(setup.model, setup.values.get("preset", ""))
    trainer = session.trainer
    values = setup.values
    changed = {k: v for k, v in values.items() if k != "preset" and _differs(trainer, k, v)}
    preset = values.get("preset")
    if preset is not None and preset != trainer.config.preset:
        changed = dict(values)
    if "steps" in changed and trainer.step > int(changed["steps"]):
        rest = {k: v for k, v in changed.items() if k != "steps"}
        if not trainer.config.needs_new_model(
            switch_preset(trainer.config, rest, trainer.data_size)
        ):
            changed = rest  # a budget this run has passed: it trains on without one
    if changed:
        try:
            session.reconfigure(changed, confirmed)
        except AskFirst:  # not yet agreed to: the step the learner is on stays as it was
            session.select_model(before)
            raise
        trainer = session.trainer
    if setup.count and trainer.family.counts and trainer.stopped is None:
        while trainer.stopped is None:
            trainer.run(1_000)
        trainer.evaluate(("val",))
    if setup.names:
        session.set_sampling({"seed": str(LESSON_SEED)})


def _differs(trainer: Trainer, name: str, value: str) -> bool:
    current = trainer.config.value(name)
    try:
        return type(current)(value) != current
    except ValueError:
        return True

"""What the engine process reports to the app over the pipe (the commands it answers are in
engine/commands.py): plain frozen dataclasses. No torch here, so that the app reads them
without it. The engine owns every rule: the app shows what it is told.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

# How text the engine sends shows a character a terminal cannot show safely (dataset.visible):
# an escape, which the app must not cut in two, and which typed back is the character again.
ESCAPE = re.compile(r"\\(x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8}|t|r)")

# Records: what the engine reports. Each panel has a view of its own, sent when it changed.


class Capability(StrEnum):
    """What a model family can show beyond its loss and its names; absent by default."""

    BIGRAMS = "bigrams"  # a |V|x|V| table of pairs: the Bigrams panel
    EMBEDDING = "embedding"  # a vector per character: the Embedding panel
    DIAGNOSTICS = "diagnostics"  # hidden layers to look inside: the d screen
    HAND_GRADIENTS = "hand gradients"  # a backward pass written by hand, checked against autograd
    LEARNING_RATE = "learning rate"  # trained by gradient steps: the learning-rate finder
    ATTENTION = "attention"  # heads whose weights over a name can be watched: the d screen
    STATES = "states"  # a recurrent state at each letter: the d screen


@dataclass(frozen=True)
class FamilyInfo:
    """A kind of model the engine can train, as the app lists it."""

    name: str
    summary: str  # what it is, in a line
    capabilities: tuple[Capability, ...]


@dataclass(frozen=True)
class FamiliesView:
    """Every family, in the order NextModel goes through them: sent once, as it never changes."""

    families: list[FamilyInfo]


@dataclass(frozen=True)
class TryInfo:
    title: str
    change: str  # the values it sets, in a few words
    lesson: str  # what it should teach
    finds_rate: bool = False  # its run waits for the learning-rate finder (the app opens it)


@dataclass(frozen=True)
class TriesView:
    """Things to try on the post's net, each a new run (TryChange): sent once."""

    tries: list[TryInfo]


@dataclass(frozen=True)
class Bigram:
    first: str
    second: str
    count: int  # 0 for the neural bigram, which has no counts
    probability: float  # P(second | first)


@dataclass(frozen=True)
class Sample:
    text: str
    logprob: float  # log-probability of the whole name under the model, end included
    tag: str  # 'train', 'val' or 'test' when the name is in that split, else 'new'
    cut: bool = False  # ended by the length limit, not by the model
    # What copying it gives, where that is not text: the characters text shows as escapes
    # that a paste can carry (an emoji's joiner, a skin tone), as themselves (pasteable)
    copy: str | None = None


Curve = tuple[list[float], list[float]]  # steps, losses


@dataclass(frozen=True)
class StatusView:
    running: bool
    steps_per_second: float | None  # while running only: no clock otherwise
    model: str
    step: int
    budget: int | None  # the step the run pauses at (its `steps`), if it has one
    epoch: float
    loss: float | None  # training loss, the mean of the curve's last points (one is noisy)
    val_loss: float | None
    val_step: int | None  # the step the val loss is of: it is evaluated now and then
    best_val: float | None  # the best val loss so far, whose weights are kept
    best_step: int | None
    overfitting_since: int | None  # val has not improved since this step, while train fell
    description: str  # the model's hyperparameters in a few words
    dataset: str
    items: int
    vocab_size: int
    # What quitting now would lose (runs not saved since they trained a while); None: nothing
    unsaved: str | None = None


@dataclass(frozen=True)
class LossView:
    model: str  # the active one
    models: list[str]  # every model, in order: each curve is drawn in the style of its place
    loss: float | None  # the active model's training loss, as in the status line
    train_curves: dict[str, Curve]  # every model that has trained, by name
    val_curves: dict[str, Curve]
    # The val loss of each counting model that has counted its epoch (bigram, ngram): the
    # bars a neural model has to clear.
    references: dict[str, float]
    best: tuple[int, float] | None  # the active model's best val loss: (step, loss)
    training: bool  # more is coming soon: the app may draw it off its UI thread
    first_loss: float | None = None  # the active net's loss before its first step
    # Runs of the runs table side by side, each curve named by its run (models: their labels)
    compared: bool = False


@dataclass(frozen=True)
class EmbeddingView:
    points: list[tuple[str, float, float]] | None  # (symbol, x, y); None: no embedding
    size: int | None  # the embedding's own size, before PCA
    vocab_size: int  # the points are of the commonest tokens only, when there are fewer
    training: bool
    hint: str = ""  # what the panel says while it has no points
    vowels: tuple[str, ...] = ()  # the points' symbols that are vowels: set apart


@dataclass(frozen=True)
class BigramView:
    model: str  # the active one
    symbols: list[str]  # how each token index is drawn in the grid; empty without one
    top: list[Bigram]  # most frequent first; empty until a bigram model has trained
    hint: str  # what to do for a table, while it is empty
    counts: list[list[int]] | None  # the full |V|x|V| grid of a counting bigram
    probabilities: list[list[float]] | None
    counted: str = ""  # the items counted ("all 32,033 items"), for a model that counts


@dataclass(frozen=True)
class GeneratorView:
    model: str
    temperature: float
    top_k: int | None
    prefix: str
    greedy: bool = False
    seed: int | None = None  # names are drawn from this seed on


@dataclass(frozen=True)
class FormView:
    """The values a form offers, as text, with a line on what applying them does; a line on
    each field, and the values of a field picked from a few (never typed)."""

    title: str
    values: dict[str, str]
    help: str
    hints: dict[str, str] = field(default_factory=dict)
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    renewing: tuple[str, ...] = ()  # fields whose change starts over: marked
    mark: str = "*"


@dataclass(frozen=True)
class HyperparameterView(FormView):
    # Every preset, "model preset" → what it teaches: for the help screen.
    lessons: dict[str, str] = field(default_factory=dict)
    model: str = ""
    # What the form shows once each of the model's presets is chosen: it fills at once.
    presets: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class SamplingView(FormView):
    pass


@dataclass(frozen=True)
class RateSweepView:
    """The learning-rate finder's sweep so far: one step per rate, rising."""

    model: str
    rates: list[float]
    losses: list[float]  # each step's batch loss
    smoothed: list[float]
    suggested: float | None  # once done; None if the curve does not say
    done: bool
    reason: str  # how the sweep ended, or why there is no suggestion
    rule: str  # how the suggestion is chosen


Histogram = tuple[float, float, list[int]]  # low, high, counts of equal bins between them


@dataclass(frozen=True)
class NormStats:
    """A BatchNorm's view of its input, per unit: this batch's mean and std, and the running
    estimates that evaluation and sampling use instead."""

    batch_mean: list[float]
    batch_std: list[float]
    running_mean: list[float]
    running_std: list[float]


@dataclass(frozen=True)
class LayerStats:
    name: str
    units: int
    act_mean: float
    act_std: float
    saturation: float  # share of |tanh| above 0.97, or of ReLU units at exactly 0
    act_histogram: Histogram
    dead_map: list[str]  # examples down, units across: █ where |tanh| > 0.99 or ReLU is 0
    dead_units: list[int]  # the units marked for every example of the batch
    grad_mean: float  # the gradient at the layer's output
    grad_std: float
    grad_histogram: Histogram
    norm: NormStats | None = None  # where a BatchNorm comes before the activation


@dataclass(frozen=True)
class WeightStats:
    name: str
    shape: tuple[int, ...]
    grad_mean: float
    grad_std: float
    grad_to_data: float  # grad.std / weight.std
    update_to_data_log10: float  # log10(std(lr * grad) / std(weight)): about -3 is healthy


@dataclass(frozen=True)
class GradientCheck:
    """The lecture's cmp(): a hand-written gradient against autograd's."""

    name: str
    exact: bool
    approximate: bool
    max_difference: float


@dataclass(frozen=True)
class DiagnosticsView:
    model: str
    step: int
    activation: str
    optimizer: str  # with AdamW the update is not lr * grad: the ratio is the lectures' SGD one
    layers: list[LayerStats]
    weights: list[WeightStats]
    update_history: dict[str, list[tuple[int, float]]]  # weight -> (step, log10 update:data)
    gradient_checks: list[GradientCheck]
    # A net of levels (the WaveNet): the context of one example of the batch, and for each
    # level the span of context positions (first, last) each of its rows of units sees
    context: list[str] | None = None
    levels: list[list[tuple[int, int]]] | None = None
    init: str = ""  # the MLP's init (seed: randn; scaled), what a finding's cure depends on


@dataclass(frozen=True)
class InsideView:
    """A name as a sequence model reads it (the d screen of a Transformer, an RNN or a
    GRU): the letters it reads, the boundary first; per layer and head the attention
    weights, row t the softmax over the letters 0..t that letter t looks at; or the state
    after each letter, and a GRU's reset and update gates, each a row of numbers a letter."""

    model: str
    step: int
    name: str
    letters: list[str]
    attention: list[list[list[list[float]]]] | None = None  # layer, head, letter, letter
    states: list[list[float]] | None = None  # letter, unit: -1 to 1
    gates: dict[str, list[list[float]]] | None = None  # "reset", "update": letter, unit: 0 to 1
    cut: int = 0  # letters of the name left out: it reads at most its context length
    read: str = ""  # the name as far as it is read: all of it unless cut


@dataclass(frozen=True)
class RunRow:
    id: str  # when the run started
    dataset: str
    model: str
    preset: str
    changes: dict[str, str]  # the hyperparameters that differ from the preset's
    steps: int
    seconds: float  # spent training
    best_val: float | None
    best_test: float | None  # of the best val loss's weights
    parameters: int  # weights, or the counts a counting model keeps
    current: bool  # the run of one of this session's models now
    kept: bool = False  # its weights kept by this session: it can be brought back itself
    same_data: bool = True  # trained on the data the session has open


@dataclass(frozen=True)
class RunsView:
    rows: list[RunRow]  # those on the data open first, each group the best val loss first
    path: str  # the file they are kept in
    skipped: int = 0  # lines of the file that were no run (damaged, or of another version)


@dataclass(frozen=True)
class LessonView:
    """The lesson's step: its caption, the post's figure beside ours (measured now), and
    what the app shows for it; `open` False: the lesson is closed, at this step."""

    open: bool
    step: int  # from 0
    steps: int
    title: str = ""
    text: str = ""  # what the step does and what to look at
    post: str = ""  # the post's figure (or the lecture's, past the post)
    ours: str = ""  # ours, measured now
    keys: str = ""  # what to press next
    note: str = ""  # about the data, when it is not the post's
    panel: str | None = None  # the panel to maximise: loss, embedding, bigrams, names
    probabilities: bool = False  # the bigram panel shows P
    source: str = "the post"  # whose figure `post` is


@dataclass(frozen=True)
class TracedLetter:
    """One position of a traced name: the context a model read, the character that came
    next, and the probability it gave that character."""

    context: list[str]  # as the model read it, each token as the vocabulary shows it
    next: str
    probability: float
    nll: float  # -ln probability, as the loss counts it
    count: int | None = None  # the counting bigram's N entry of the pair; P is `probability`


@dataclass(frozen=True)
class NameTrace:
    """A name under one model: each letter, then the end, with its probability."""

    model: str
    step: int
    letters: list[TracedLetter]
    total: float  # the name's negative log-likelihood: the sum of the letters' nll
    mean: float  # ... per character: the loss of this one name
    surprise: int | None  # the letter with the largest nll; None if all are alike


@dataclass(frozen=True)
class TraceView:
    """A name traced letter by letter under every model that has trained (and the uniform,
    which needs none); `error`: why it cannot be (a character not in the vocabulary)."""

    name: str
    traces: list[NameTrace]
    error: str | None = None


View = (
    FamiliesView
    | TriesView
    | LessonView
    | StatusView
    | LossView
    | EmbeddingView
    | BigramView
    | GeneratorView
    | HyperparameterView
    | SamplingView
    | RateSweepView
    | DiagnosticsView
    | InsideView
)


@dataclass(frozen=True)
class Names:
    """Names growing letter by letter, or the finished ones with tag and log-probability."""

    growing: list[str] = field(default_factory=list)
    finished: list[Sample] = field(default_factory=list)
    clear: bool = False  # forget the names shown so far (a new dataset)


@dataclass(frozen=True)
class Note:
    """A line for the user: what a command did, or an error that changed nothing."""

    text: str
    severity: Literal["information", "warning", "error"] = "information"


@dataclass(frozen=True)
class Answer:
    """A command is done: error is None, or says why it changed nothing; or it waits for the
    user's yes to `question` (a file to replace), and is sent again if so."""

    serial: int
    error: str | None = None
    question: str | None = None


@dataclass(frozen=True)
class Idle:
    """Requests up to this serial are answered, and nothing runs or streams."""

    serial: int


Record = View | RunsView | TraceView | Names | Note | Answer | Idle

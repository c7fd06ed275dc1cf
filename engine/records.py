"""Plain records: what the engine process reports to the UI, and the sampling options the UI
checks in its forms. No torch here, so that the UI process reads them without loading it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Bigram:
    first: str
    second: str
    count: int  # 0 for the neural bigram, which has no counts
    probability: float  # P(second | first)


@dataclass(frozen=True)
class SampleOptions:
    temperature: float = 1.0  # below 1 sharper and safer names, above 1 wilder ones
    top_k: int | None = None  # draw only from the k likeliest next characters
    prefix: str = ""  # every name starts with this
    max_length: int = 32  # characters per name at most (prefix included)

    def __post_init__(self) -> None:
        if not 0.01 <= self.temperature <= 100:
            raise ValueError(f"temperature must be from 0.01 to 100, not {self.temperature:g}")
        if self.top_k is not None and self.top_k < 1:
            raise ValueError(f"top-k must be at least 1, not {self.top_k}")
        if not 1 <= self.max_length <= 1000:
            raise ValueError(f"max length must be from 1 to 1000, not {self.max_length}")
        if len(self.prefix) >= self.max_length:
            raise ValueError("the prefix must be shorter than the maximum length")


@dataclass(frozen=True)
class Sample:
    text: str
    logprob: float  # log-probability of the whole name under the model, end included
    tag: str  # 'train', 'val' or 'test' when the name is in that split, else 'new'


Curve = tuple[list[float], list[float]]  # steps, losses


@dataclass(frozen=True)
class Snapshot:
    """Everything the panels show, as plain data, so the UI never touches a tensor."""

    dataset: str
    items: int
    vocab_size: int
    model: str
    description: str
    step: int
    loss: float  # smoothed training loss (the last point of the curve)
    val_loss: float | None
    learning_rate: float
    epoch: float
    stopped: str | None
    train_curves: dict[str, Curve]  # every model that has trained, by name
    val_curves: dict[str, Curve]
    bigram_floor: float | None  # val loss of the counting bigram: what an MLP must beat
    top_bigrams: list[Bigram]
    counts: list[list[int]] | None  # the full |V|x|V| grid of a bigram model
    probabilities: list[list[float]] | None
    symbols: list[str]  # how each token index is drawn
    embedding: list[tuple[str, float, float]] | None
    embedding_size: int | None
    config: dict[str, Any]  # the active model's hyperparameters
    temperature: float
    top_k: int | None
    prefix: str


# What the engine process sends the UI.


@dataclass(frozen=True)
class Update:
    """What the panels show has changed."""

    snapshot: Snapshot
    running: bool
    steps_per_second: float | None  # while running only: no clock otherwise


@dataclass(frozen=True)
class Names:
    """Names growing letter by letter, or the finished ones with tag and log-probability."""

    growing: list[str]
    finished: list[Sample]


@dataclass(frozen=True)
class Note:
    """A line for the user: an error that changed nothing, or what a command did."""

    text: str
    severity: Literal["information", "warning", "error"] = "information"


@dataclass(frozen=True)
class Done:
    """Commands up to this number are done and reported, and nothing runs or streams."""

    command: int


Report = Update | Names | Note | Done

"""The post's exercise 2, "improve the neural network", as single changes to try: each a new
run of the post's net (the mlp's seed preset) with one thing changed, and what it teaches."""

from __future__ import annotations

from dataclasses import dataclass

from engine.families import family
from engine.families.base import Config
from engine.protocol import TriesView, TryInfo

POST_NET = "seed"  # the mlp preset that is the post's net


@dataclass(frozen=True)
class Try:
    title: str
    values: dict[str, str]  # on top of the post's net; a "preset" key starts from that one
    lesson: str
    finds_rate: bool = False  # the new run waits for the learning-rate finder, not training


TRIES = (
    Try(
        "minibatches of 32, 30,000 steps",
        {"batch_size": "32", "steps": "30000"},
        "a step on 32 examples is noisy but cheap: 30,000 of them take about as long as the "
        "post's 1,000 steps on every example, and pass the bigram where those do not",
    ),
    Try(
        "tanh, with scaled init",
        {"activation": "tanh", "init": "scaled"},
        "weights scaled to the layer's width start the loss at ln|V| instead of far above, "
        "and no unit is dead from the start (d shows the units)",
    ),
    Try(
        "a larger embedding: 10",
        {"n_embd": "10"},
        "2 numbers per character force similar letters together; 10 give room to tell them "
        "apart (the scatter shows only 2 of them)",
    ),
    Try(
        "a longer context: 6",
        {"block_size": "6"},
        "three characters back miss much of a name; six see more of it, with more weights",
    ),
    Try(
        "a wider layer: 300",
        {"n_hidden": "300"},
        "more units can hold more patterns; on a short list, they also overfit sooner",
    ),
    Try(
        "the finder's rate",
        {},
        "the post's net as it is, and the finder sweeping its rate: a applies what it "
        "suggests, and space trains with it",
        finds_rate=True,
    ),
    Try(
        "a decaying rate: 0.1, then 0.01 from step 500",
        {"lr_schedule": "step", "decay_steps": "500"},
        "a high rate moves fast, a low one settles: the lectures drop it for the last steps",
    ),
    Try(
        "minibatches, tanh and scaled init",
        {"batch_size": "32", "activation": "tanh", "init": "scaled", "steps": "30000"},
        "the changes that matter most, together: each step cheap, and every unit learning",
    ),
    Try(
        "the lecture's MLP",
        {"preset": "lecture"},
        "all of the above at once: embedding 10, 200 tanh units, minibatches, a decaying rate",
    ),
    Try(
        "the app's default",
        {"preset": "default"},
        "a net sized for the data on top of the 5-gram counts, with AdamW: it beats counting",
    ),
)


TRIES_VIEW = TriesView(
    [
        TryInfo(
            t.title,
            ", ".join(f"{k} {v}" for k, v in t.values.items()) or "the post's net",
            t.lesson,
            t.finds_rate,
        )
        for t in TRIES
    ]
)


def tried(index: int) -> Config:
    """The post's net with one entry's change, or that entry's preset; an IndexError names
    how many there are."""
    if not 0 <= index < len(TRIES):
        raise IndexError(f"there are {len(TRIES)} things to try, from 0")
    values = dict(TRIES[index].values)
    return family("mlp").preset(values.pop("preset", POST_NET)).with_values(**values)

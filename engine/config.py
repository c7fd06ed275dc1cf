"""Every hyperparameter in one place, with its name, default and meaning; and the presets."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

MODELS = ("bigram", "bigram-neural", "mlp")
OPTIMIZERS = ("sgd", "adamw")
SCHEDULES = ("constant", "step", "cosine")

# Values that need a new model when they change; the others apply between two steps.
ARCHITECTURE = ("model", "block_size", "n_embd", "n_hidden", "n_layers", "optimizer", "seed")
_GRADIENT = (
    "batch_size",
    "learning_rate",
    "lr_schedule",
    "lr_min",
    "decay_steps",
    "optimizer",
    "weight_decay",
    "seed",
)
# What the hyperparameter form offers for each model; the rest of the config does not apply.
EDITABLE = {
    "bigram": ("batch_size", "smoothing"),
    "bigram-neural": _GRADIENT,
    "mlp": ("block_size", "n_embd", "n_hidden", "n_layers", *_GRADIENT),
}


@dataclass(frozen=True)
class Config:
    model: str = "mlp"  # bigram (counts) | bigram-neural | mlp
    block_size: int = 3  # characters of context the MLP sees
    n_embd: int = 10  # size of each character's embedding
    n_hidden: int = 200  # units in each hidden tanh layer
    n_layers: int = 1  # hidden tanh layers
    batch_size: int = 32  # examples per step (bigram counting: items per step)
    learning_rate: float = 0.1
    lr_schedule: str = "step"  # constant | step (drop to lr_min) | cosine (anneal to lr_min)
    lr_min: float = 0.01  # the rate after decay_steps
    decay_steps: int = 100_000  # steps until the rate reaches lr_min
    optimizer: str = "sgd"  # sgd (as in the lectures) | adamw
    weight_decay: float = 0.0
    smoothing: float = 1.0  # add-k smoothing of the counting bigram
    seed: int = 42  # model initialization and batch order

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))

    def problems(self) -> list[str]:
        """What is wrong with these values, one phrase each; empty when all is well."""
        p = []
        if self.model not in MODELS:
            p.append(f"model must be one of {', '.join(MODELS)}")
        if self.optimizer not in OPTIMIZERS:
            p.append(f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        if self.lr_schedule not in SCHEDULES:
            p.append(f"lr_schedule must be one of {', '.join(SCHEDULES)}")
        for name in ("block_size", "n_embd", "n_hidden", "n_layers", "batch_size", "decay_steps"):
            value = getattr(self, name)
            if not 1 <= value <= 1_000_000:
                p.append(f"{name} must be a whole number from 1 to 1000000, not {value}")
        if self.block_size > 64 or self.n_layers > 16:
            p.append("block_size must be at most 64 and n_layers at most 16")
        if not 0 < self.learning_rate <= 100:
            p.append(f"learning_rate must be above 0 and at most 100, not {self.learning_rate}")
        if not 0 <= self.lr_min <= 100:
            p.append(f"lr_min must be from 0 to 100, not {self.lr_min}")
        if not 0 <= self.weight_decay <= 10:
            p.append(f"weight_decay must be from 0 to 10, not {self.weight_decay}")
        if not 0 <= self.smoothing <= 1e6:
            p.append(f"smoothing must be from 0 to 1000000, not {self.smoothing}")
        if not 0 <= self.seed < 2**63:
            p.append("seed must be a non-negative whole number")
        return p

    def with_values(self, **values: Any) -> Config:
        """A copy with some values changed, each converted from text where needed."""
        types = {f.name: f.type for f in fields(self)}
        converted = {}
        for name, value in values.items():
            if name not in types:
                raise ValueError(f"unknown hyperparameter {name!r}")
            kind = {"int": int, "float": float, "str": str}[types[name]]
            try:
                converted[name] = kind(value)
            except (TypeError, ValueError):
                raise ValueError(f"{name} must be {_article(kind)}, not {value!r}") from None
        return replace(self, **converted)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def needs_new_model(self, other: Config) -> bool:
        """Whether going from these values to `other` changes the model's shape or seed."""
        return any(getattr(self, k) != getattr(other, k) for k in ARCHITECTURE)

    def editable(self) -> dict[str, str]:
        """The values this model's form offers, as text."""
        return {name: str(getattr(self, name)) for name in EDITABLE[self.model]}

    def editing_help(self) -> str:
        """What applying the form does, for this model."""
        renew = [name for name in EDITABLE[self.model] if name in ARCHITECTURE]
        if not renew:
            return "Changes apply at the next step."
        return (
            f"A change of {', '.join(renew)} starts a new model; the others apply at the next step."
        )

    def describe(self) -> str:
        """A short line of the values that matter for this model."""
        if self.model == "bigram":
            return f"counts, add-{self.smoothing:g} smoothing, {self.batch_size} items/step"
        common = (
            f"{self.optimizer} lr {self.learning_rate:g}"
            f"{'' if self.lr_schedule == 'constant' else f'→{self.lr_min:g}'}"
            f" batch {self.batch_size}"
        )
        if self.model == "bigram-neural":
            return f"|V|x|V| logits, {common}"
        return (
            f"ctx {self.block_size} emb {self.n_embd} "
            f"hidden {self.n_layers}x{self.n_hidden}, {common}"
        )


def _article(kind: type) -> str:
    return {int: "a whole number", float: "a number", str: "text"}[kind]


PRESETS: dict[str, Config] = {
    # Counting bigram: each step adds the pairs of the next 64 training names.
    "bigram": Config(model="bigram", batch_size=64),
    # A |V|x|V| table of logits trained by gradient descent towards the counting model.
    "bigram-neural": Config(
        model="bigram-neural",
        batch_size=256,
        optimizer="adamw",
        learning_rate=0.3,
        lr_schedule="cosine",
        lr_min=0.03,
        decay_steps=2000,
    ),
    # The MLP as first built in the blog post: 2-D embeddings that can be drawn as they are.
    "seed": Config(n_embd=2, n_hidden=100, decay_steps=100_000),
    # The lecture's MLP: context 3, embedding 10, hidden 200, SGD 0.1 then 0.01 after 100k steps.
    "lecture": Config(),
    # Stronger and faster: longer context, AdamW, cosine decay (figures in the README).
    "default": Config(
        block_size=6,
        n_embd=16,
        n_hidden=256,
        batch_size=64,
        optimizer="adamw",
        learning_rate=3e-3,
        lr_schedule="cosine",
        lr_min=3e-4,
        decay_steps=30_000,
        weight_decay=0.01,
    ),
    # The strongest: context 8, two tanh layers (figures in the README).
    "strong": Config(
        block_size=8,
        n_embd=24,
        n_hidden=256,
        n_layers=2,
        batch_size=128,
        optimizer="adamw",
        learning_rate=2e-3,
        lr_schedule="cosine",
        lr_min=1e-4,
        decay_steps=80_000,
        weight_decay=0.1,
    ),
}

# The preset each model starts from when none is named.
MODEL_PRESETS = {"bigram": "bigram", "bigram-neural": "bigram-neural", "mlp": "default"}

"""Every hyperparameter in one place, with its name, default and meaning; and the presets."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

MODELS = ("bigram", "bigram-neural", "mlp", "ngram")
OPTIMIZERS = ("sgd", "adamw")
ACTIVATIONS = ("tanh", "relu")
INITS = ("scaled", "seed")
GRADIENTS = ("manual", "autograd")
SCHEDULES = ("constant", "step", "cosine")

# Values that need a new model when they change; the others apply between two steps.
ARCHITECTURE = (
    "model",
    "preset",
    "order",
    "block_size",
    "n_embd",
    "n_hidden",
    "n_layers",
    "activation",
    "init",
    "prior_order",
    "optimizer",
    "seed",
)
_GRADIENT = (
    "batch_size",
    "learning_rate",
    "lr_schedule",
    "lr_min",
    "decay_steps",
    "epochs",
    "optimizer",
    "weight_decay",
    "average",
    "patience",
    "seed",
)
# What the hyperparameter form offers for each model; the rest of the config does not apply.
EDITABLE = {
    "bigram": ("batch_size", "smoothing"),
    "bigram-neural": _GRADIENT,
    "mlp": (
        "preset",
        "block_size",
        "n_embd",
        "n_hidden",
        "n_layers",
        "activation",
        "init",
        "dropout",
        "prior_order",
        *_GRADIENT,
        "gradients",
    ),
    "ngram": ("order", "batch_size"),
}
COUNTING = ("bigram", "ngram")  # models that count their training data once, in one epoch
# A full batch (batch_size 0) is done in chunks of this many examples, its gradients summed:
# their buffers stay below malloc's mmap threshold and are reused, where whole-split ones were
# mapped and faulted in again at every step (220 ms a step of the seed preset; 96 ms so).
FULL_BATCH_CHUNK = 2048
# A counting model's step counts at most this many examples: a few lines of millions of
# letters are counted in many short steps.
COUNT_STEP_EXAMPLES = 2**20


@dataclass(frozen=True)
class Config:
    model: str = "mlp"  # bigram (counts) | bigram-neural | mlp | ngram (counts)
    preset: str = ""  # the preset these values started from (PRESETS), if any
    order: int = 5  # ngram: contexts of up to order-1 characters, mixed with the shorter ones
    block_size: int = 3  # characters of context the MLP sees
    n_embd: int = 10  # size of each character's embedding
    n_hidden: int = 200  # units in each hidden layer
    n_layers: int = 1  # hidden layers
    activation: str = "tanh"  # of the hidden layers: tanh (the lectures) | relu (the seed post)
    # scaled: weights by the Kaiming gain, near-zero logits, so the loss starts at ln|V|;
    # seed: plain torch.randn everywhere as in the seed post, so it starts far above (26.47 there)
    init: str = "scaled"
    dropout: float = 0.0  # share of hidden units zeroed at each training step
    # The MLP's backward pass: written by hand (models.MLP.manual_gradients; a step of the
    # lecture's MLP 1.84x as fast here, the default's 1.28x) or by autograd. The same gradients
    # to float precision.
    gradients: str = "manual"
    # The MLP's logits start from an ngram of this order, counted on the training split: the
    # network learns only what the counts miss (0: no ngram, as in the lectures).
    prior_order: int = 0
    # examples per step (counting models: items per step); 0: the whole training split
    batch_size: int = 32
    learning_rate: float = 0.1
    lr_schedule: str = "step"  # constant | step (drop to lr_min) | cosine (anneal to lr_min)
    lr_min: float = 0.01  # the rate after decay_steps
    decay_steps: int = 100_000  # steps until the rate reaches lr_min
    epochs: float = 0.0  # if above 0, the schedule's length in passes over the training split
    optimizer: str = "sgd"  # sgd (as in the lectures) | adamw
    weight_decay: float = 0.0
    # Val, the best weights and their samples use the weights averaged over about the last
    # 1 / (1 - average) steps: steadier than those of one step (0: the step's own).
    average: float = 0.0
    smoothing: float = 1.0  # add-k smoothing of the counting bigram (the ngram fits its own)
    eval_every: int = 0  # steps between two val losses; 0: by the data, about 5% of the time
    # val losses without a new best before the run counts as overfitting, or, once the
    # schedule is done, as converged (Trainer.converged)
    patience: int = 6
    fit_data: bool = False  # size width, embedding, regularisation and schedule by the data
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
        if self.activation not in ACTIVATIONS:
            p.append(f"activation must be one of {', '.join(ACTIVATIONS)}")
        if self.init not in INITS:
            p.append(f"init must be one of {', '.join(INITS)}")
        if self.gradients not in GRADIENTS:
            p.append(f"gradients must be one of {', '.join(GRADIENTS)}")
        for name in (
            "block_size",
            "n_embd",
            "n_hidden",
            "n_layers",
            "decay_steps",
            "patience",
        ):
            value = getattr(self, name)
            if not 1 <= value <= 1_000_000:
                p.append(f"{name} must be a whole number from 1 to 1000000, not {value}")
        if not 0 <= self.batch_size <= 1_000_000:
            p.append(f"batch_size must be from 0 (all) to 1000000, not {self.batch_size}")
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
        if not 2 <= self.order <= 8:
            p.append(f"order must be from 2 to 8, not {self.order}")
        if self.prior_order and not 2 <= self.prior_order <= self.block_size + 1:
            p.append(
                f"prior_order must be 0 (none) or from 2 to block_size + 1, not {self.prior_order}"
            )
        if not 0 <= self.average < 1:
            p.append(f"average must be from 0 to below 1, not {self.average}")
        if not 0 <= self.dropout < 1:
            p.append(f"dropout must be from 0 to below 1, not {self.dropout}")
        if not 0 <= self.epochs <= 1e6 or not 0 <= self.eval_every <= 1_000_000:
            p.append("epochs and eval_every must be from 0 to 1000000")
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
            kind = FROM_TEXT[types[name]]
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
        renew = [n for n in EDITABLE[self.model] if n in ARCHITECTURE and n != "preset"]
        if not renew:
            return "Changes apply at the next step."
        presets = (
            f"preset: {', '.join(presets_of(self.model))}. "
            if "preset" in EDITABLE[self.model]
            else ""
        )
        return (
            f"{presets}A change of {', '.join(renew)} starts a new model; the rest applies at "
            "once. batch_size 0: full batch."
        )

    def describe(self) -> str:
        """A short line of the values that matter for this model."""
        per_step = self.batch_size or "all"
        if self.model == "bigram":
            return f"counts, add-{self.smoothing:g} smoothing, {per_step} items/step"
        if self.model == "ngram":
            return f"counts of orders 1-{self.order} mixed, {per_step} items/step"
        common = (
            f"{self.optimizer} lr {self.learning_rate:g}"
            f"{'' if self.lr_schedule == 'constant' else f'→{self.lr_min:g}'}"
            f" batch {'full' if not self.batch_size else self.batch_size}"
        )
        if self.model == "bigram-neural":
            return f"|V|x|V| logits, {common}"
        if self.model != "mlp":
            raise ValueError(f"no model is called {self.model!r}")
        prior = f" on a {self.prior_order}-gram" if self.prior_order else ""
        dropout = f" dropout {self.dropout:g}" if self.dropout else ""
        init = " randn init" if self.init == "seed" else ""
        return (
            f"ctx {self.block_size} emb {self.n_embd} hidden {self.n_layers}x{self.n_hidden} "
            f"{self.activation}{init}{dropout}{prior}, {common}"
        )

    def differences(self, train_examples: int, vocab_size: int) -> dict[str, Any]:
        """The values that differ from this config's preset, sized for the same data."""
        if self.preset not in PRESETS:
            return {}
        base = PRESETS[self.preset].for_data(train_examples).for_vocab(vocab_size)
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) != getattr(base, f.name) and f.name != "fit_data"
        }

    def for_data(self, train_examples: int) -> Config:
        """Sized for a training split of this many examples (characters and ends), when the
        preset asks for it: small data gets a smaller net, more regularisation, fewer steps."""
        if not self.fit_data:
            return self
        # 0 at names.txt, -2.3 at 1k; at most 1 (2M): a bigger net than that is slow to watch.
        scale = min(1.0, math.log10(max(train_examples, 1000) / 200_000))
        return replace(
            self,
            fit_data=False,
            n_embd=max(8, round(self.n_embd * 2 ** (scale / 2))),
            n_hidden=max(64, round(self.n_hidden * 2**scale)),
            dropout=round(min(0.5, max(0.0, self.dropout - 0.1 * scale)), 2),
            weight_decay=float(f"{self.weight_decay * 10 ** (-scale):.2g}"),
            epochs=round(self.epochs * 10 ** (-scale / 2)),
        )

    def for_vocab(self, vocab_size: int) -> Config:
        """The ngram orders lowered to what a vocabulary allows: a context and its next
        character make one int64 key, |V|**order < 2**63 (order 4 at |V| = 20,000)."""

        def fitting(order: int) -> int:
            while order > 1 and vocab_size**order >= 2**63:
                order -= 1
            return order

        return replace(self, order=fitting(self.order), prior_order=fitting(self.prior_order))

    def memory_needed(self, vocab_size: int, train_examples: int = 0) -> int:
        """Bytes a run of these values needs, roughly: its weights about 8 times (gradients,
        optimizer state, the best, the averaged and two last good copies) and one batch's
        activations, forward and backward. Counting models keep their counts instead: a key
        and a count for each context of each order the data has (merged with a copy), and a
        step's examples: a few keys, counts and estimates of each, for each order."""
        if self.model in COUNTING:
            lengths = (2,) if self.model == "bigram" else range(1, self.order + 1)
            keys = sum(min(train_examples, vocab_size**k) for k in lengths)
            return 3 * 16 * keys + 8 * 8 * len(lengths) * COUNT_STEP_EXAMPLES
        if self.model == "bigram-neural":
            return 8 * 4 * vocab_size**2
        if self.model != "mlp":
            raise ValueError(f"no model is called {self.model!r}")
        inputs, hidden = self.block_size * self.n_embd, self.n_hidden
        weights = (
            vocab_size * self.n_embd
            + (inputs + 1) * hidden
            + (self.n_layers - 1) * (hidden + 1) * hidden
            + (hidden + 1) * vocab_size
        )
        batch = self.batch_size or FULL_BATCH_CHUNK
        activations = batch * (inputs + self.n_layers * hidden + vocab_size)
        return 4 * (8 * weights + 4 * activations)

    def schedule_steps(self, train_examples: int) -> int:
        """Steps until the rate reaches lr_min: decay_steps, or `epochs` passes over the data."""
        if self.epochs:
            return max(
                1, math.ceil(self.epochs * train_examples / (self.batch_size or train_examples))
            )
        return self.decay_steps


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "1", "yes", "on"):
        return True
    if str(value).lower() in ("false", "0", "no", "off"):
        return False
    raise ValueError(value)


FROM_TEXT = {"int": int, "float": float, "str": str, "bool": _boolean}  # by a field's type


def _article(kind: object) -> str:
    return {int: "a whole number", float: "a number", str: "text", _boolean: "true or false"}[kind]


_PRESETS: dict[str, Config] = {
    # Counting bigram: each step adds the pairs of the next 64 training names.
    "bigram": Config(model="bigram", batch_size=64),
    # Counts of contexts up to 4 characters, mixed with weights fit on val: the bar to clear.
    "ngram": Config(model="ngram", order=5, batch_size=64),
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
    # The seed post's network exactly: 2-D embeddings, a ReLU layer of 100, plain randn weights
    # (a loss that starts far above ln|V|), full-batch descent at 0.1 for 1000 steps. It ends
    # worse than counting: the post's two lessons.
    "seed": Config(
        n_embd=2,
        n_hidden=100,
        activation="relu",
        init="seed",
        batch_size=0,
        lr_schedule="constant",
        decay_steps=1000,
    ),
    # The same small net made trainable: tanh, scaled init, minibatches of 32; its 2-D
    # embeddings can be drawn as they are.
    "small": Config(n_embd=2, n_hidden=100, decay_steps=100_000),
    # The lecture's MLP: context 3, embedding 10, hidden 200, SGD 0.1 then 0.01 after 100k steps.
    "lecture": Config(),
    # Stronger and faster: longer context, AdamW, cosine decay (figures in the README).
    "default": Config(
        block_size=6,
        n_embd=16,
        n_hidden=256,
        prior_order=5,
        batch_size=64,
        optimizer="adamw",
        learning_rate=3e-3,
        lr_schedule="cosine",
        lr_min=3e-4,
        epochs=10,
        weight_decay=0.01,
        average=0.999,
        fit_data=True,
    ),
    # The strongest: context 8, two tanh layers (figures in the README).
    "strong": Config(
        block_size=8,
        n_embd=24,
        n_hidden=256,
        n_layers=2,
        prior_order=5,
        batch_size=512,
        optimizer="adamw",
        learning_rate=4e-3,
        lr_schedule="cosine",
        lr_min=1e-4,
        epochs=60,
        weight_decay=0.1,
        average=0.999,
        fit_data=True,
    ),
}

PRESETS = {name: replace(config, preset=name) for name, config in _PRESETS.items()}
# What each preset teaches, for the help screen and the README.
LESSONS = {
    "bigram": "counting pairs is a model: the bar every net is measured against",
    "ngram": "longer contexts, counted and mixed: a bar that is hard to clear",
    "bigram-neural": "gradient descent on a table of logits finds the counts again",
    "seed": "the seed post's net: a huge first loss (random init), and it ends worse than counting",
    "small": "the same net made trainable: scaled init and minibatches, 2-D embeddings to watch",
    "lecture": "the lecture's MLP: context 3, embedding 10, SGD 0.1 then 0.01",
    "default": "a net sized for the data, on top of the 5-gram counts: it beats them",
    "strong": "deeper and longer: the best this app reaches",
}


def presets_of(model: str) -> list[str]:
    """The presets of one model, in PRESETS' order."""
    return [name for name, config in PRESETS.items() if config.model == model]


def switch_preset(old: Config, values: dict[str, str], train_examples: int) -> Config:
    """The values of a form: a new preset's, sized for the data, with the fields the user
    changed on top; or the old values with the changes, when the preset stays."""
    name = values.get("preset", old.preset)
    if name == old.preset:
        return old.with_values(**values)
    if name not in presets_of(old.model):
        raise ValueError(f"preset must be one of {', '.join(presets_of(old.model))}")
    shown = old.editable()
    changed = {k: v for k, v in values.items() if k != "preset" and shown.get(k) != v}
    return PRESETS[name].for_data(train_examples).with_values(**changed)


# The preset each model starts from when none is named.
MODEL_PRESETS = {
    "bigram": "bigram",
    "bigram-neural": "bigram-neural",
    "mlp": "default",
    "ngram": "ngram",
}

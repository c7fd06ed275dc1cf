"""What every model family is and has: a Model (a module with optional capabilities, absent
by default), a Family (its shape's settings, presets, build, description and memory), and a
Config (a family, its shape and a run's settings, as nanoGPT keeps GPTConfig apart)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from engine.config import FULL_BATCH_CHUNK, RunConfig, Settings
from engine.dataset import NO_TARGET, DataSize
from engine.families.norm import Normalized
from engine.protocol import Capability

# The run settings a model trained by gradient steps offers in its form, after its shape's.
GRADIENT_SETTINGS = (
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
    "steps",
)
COUNTING_SETTINGS = ("batch_size",)  # ... and a counting one: how many items a step counts
NEW_MODEL_MARK = "*"  # the form's fields whose change starts a new model
PRESET_HINT = "choosing one fills every field"


class Model(nn.Module):
    """Maps contexts (B, block_size) of token indices to next-token logits (B, |V|). What a
    family can do beyond that is a method here returning None (or a flag) until it has it."""

    block_size: int = 1
    fits_on_val = False  # fit() chooses values on val before each evaluation
    # Its examples are whole items, a target at every position (a SequenceModel); else a
    # window of block_size tokens before each target
    whole_items = False
    calibrated = False  # measured with statistics calibrated afresh (Model.calibrate)
    # While training, an example's output is its context's alone (no dropout, no BatchNorm):
    # a full batch can be its distinct contexts (GradientStep.distinct_batches)
    reads_context_alone = False

    def __init__(self) -> None:
        super().__init__()
        # The counts the logits start from (Family.prior_order), set by the trainer, which has
        # the data; and the trainer's generator for random numbers in a step (dropout).
        self.prior: Model | None = None
        self.generator: torch.Generator | None = None

    def configure(self, shape: Settings) -> None:
        """Take the shape's values that apply without a new model (none by default)."""

    def count(self, idx: torch.Tensor, targets: torch.Tensor) -> None:
        """A counting model's step: add these examples to its counts."""
        raise NotImplementedError(f"{type(self).__name__} learns by gradient steps")

    def fit(self, idx: torch.Tensor, targets: torch.Tensor) -> float:
        """Choose values on these (val) examples, where fits_on_val."""
        raise NotImplementedError

    def loss(
        self, logits: torch.Tensor, targets: torch.Tensor, reduction: str = "mean"
    ) -> torch.Tensor:
        """The cross-entropy of these logits, per target (or summed)."""
        return F.cross_entropy(logits, targets, reduction=reduction)

    def loss_sum(self, idx: torch.Tensor, targets: torch.Tensor, prior: Any = None) -> float:
        """The summed cross-entropy of these examples; `prior`: the prior's log-probabilities
        of them, when the caller has them at hand."""
        logits = self(idx) if prior is None else self(idx, prior)
        return self.loss(logits, targets, "sum").item()

    def next_logits(self, buffer: torch.Tensor, rows: torch.Tensor, position: int) -> torch.Tensor:
        """The logits of the next token of these rows of a sampling buffer (B, |V|): its
        first block_size columns are boundaries, then each name as drawn so far, `position`
        tokens long. A window model reads the last block_size tokens."""
        return self(buffer[rows, position : position + self.block_size])

    def sampler(self, n: int) -> Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]:
        """What sampling n names calls for each next letter, as next_logits: a model that
        keeps what it read between letters (a Transformer's keys and values, a recurrent
        net's state) gives its own, so that a name costs one step per letter."""
        return self.next_logits

    def add_prior(
        self, logits: torch.Tensor, idx: torch.Tensor, prior: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The logits plus the prior's log-probabilities of these contexts (given, when the
        caller has them at hand, or computed), where the model starts from a prior."""
        if self.prior is None:
            return logits
        if prior is None:
            prior = self.prior(idx[:, idx.shape[1] - self.prior.block_size :]).float()
        return logits.add_(prior)

    def parameter_count(self) -> int:
        """Weights learnt (a counting model: the entries of its tables)."""
        return sum(p.numel() for p in self.parameters())

    def hand_gradients(self) -> Callable[..., float] | None:
        """A backward pass written by hand, if the model has one and it is chosen."""
        return None

    def bigram_tables(self) -> tuple[torch.Tensor | None, torch.Tensor] | None:
        """Capability.BIGRAMS: (counts or None, probabilities), each |V|x|V|."""
        return None

    def pair_counts_of(self, firsts: torch.Tensor, nexts: torch.Tensor) -> torch.Tensor | None:
        """Capability.BIGRAMS, for a model that counts: the count N of each (first, next)
        pair, looked up without the |V|x|V| table; None for a model that counts no pairs."""
        return None

    def top_bigrams(self, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
        """Capability.BIGRAMS: the n likeliest pairs as (pair keys first*|V|+next, counts,
        P(next | first)), most first; counts are zeros for a model that counts nothing."""
        return None

    def embedding_table(self) -> torch.Tensor | None:
        """Capability.EMBEDDING: each token's vector (|V|, size)."""
        return None

    def walk(self, idx: torch.Tensor, prior: torch.Tensor | None = None) -> Walk:
        """Capability.DIAGNOSTICS: the forward pass with what each layer made."""
        raise NotImplementedError

    def attention_maps(self, idx: torch.Tensor) -> list[torch.Tensor] | None:
        """Capability.ATTENTION: each layer's attention weights over these items (B, heads,
        T, T), row t the softmax over the positions 0..t that position t looks at."""
        return None

    def states(self, idx: torch.Tensor, gates: list | None = None) -> torch.Tensor | None:
        """Capability.STATES: the recurrent state after each position (B, T, units); its
        gates, if it has them, appended to `gates` position by position."""
        return None

    def calibrate(self, idx: torch.Tensor) -> None:
        """Set statistics the model keeps of its activations (BatchNorm's) to these
        examples' own; nothing by default."""

    def levels_seen(self) -> list[list[tuple[int, int]]]:
        """Capability.DIAGNOSTICS, for a net of levels (the WaveNet): for each level, the span
        of context positions (first, last) that each of its rows of units sees; none else."""
        return []


class SequenceModel(Model):
    """A model that reads whole items (Family.sequence): contexts (B, T) to logits (B, T, |V|),
    a target at every position; NO_TARGET marks a padded one. block_size is the most
    positions it reads."""

    whole_items = True

    def loss(
        self, logits: torch.Tensor, targets: torch.Tensor, reduction: str = "mean"
    ) -> torch.Tensor:
        return F.cross_entropy(
            logits.flatten(0, 1), targets.flatten(), ignore_index=NO_TARGET, reduction=reduction
        )

    def context_start(self, position: int) -> int:
        """Where the context of a name's letter `position` starts in a sampling buffer: the
        name's own start (its opening boundary), or its last block_size tokens."""
        return self.block_size - 1 + max(0, position + 1 - self.block_size)

    def next_logits(self, buffer: torch.Tensor, rows: torch.Tensor, position: int) -> torch.Tensor:
        start = self.context_start(position)
        logits = self(buffer[rows, start : self.block_size + position])[:, -1]
        return self.add_prior(logits, buffer[rows, position : self.block_size + position])


class CountingModel(Model):
    """A model that counts (Family.counts): its loss comes from its counts, one probability
    per example, with no row of |V| values: a split's loss costs the same at any vocabulary."""

    def target_log_probs(self, idx: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """log P(target | context) of each example (B,), float64."""
        raise NotImplementedError

    def loss_sum(self, idx: torch.Tensor, targets: torch.Tensor, prior: Any = None) -> float:
        return -self.target_log_probs(idx, targets).sum().item()


@dataclass
class Walk:
    """What a model's walk made (Model.walk, for Capability.DIAGNOSTICS): each layer's input
    (the embeddings, then each hidden layer's output after dropout), each hidden layer's
    activations before dropout, dropout's masks while training, the logits, and what each
    BatchNorm made, where the layers have one."""

    inputs: list[torch.Tensor]
    activations: list[torch.Tensor]
    masks: list[torch.Tensor]
    logits: torch.Tensor
    norms: list[Normalized] = field(default_factory=list)


@dataclass(frozen=True)
class Preset:
    """Values to start from, and what they teach (the help screen and the README)."""

    lesson: str
    shape: Settings
    run: RunConfig


class Family:
    """A kind of model: one subclass in its own module of engine/families, one registry line
    (engine/families/__init__.py). Its Shape holds its own settings; its presets, the first
    the default, start a run."""

    name: ClassVar[str]
    summary: ClassVar[str]  # what it is, in a line
    Shape: ClassVar[type[Settings]]
    presets: ClassVar[dict[str, Preset]]
    counts: ClassVar[bool] = False  # counts its data once, in one epoch, with no optimizer
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    default_preset: ClassVar[str] = ""  # the preset a run starts from (the first if empty)
    waiting: ClassVar[str] = ""  # what its bigram table says before its first step, if it has one

    def __deepcopy__(self, memo: dict[int, Any]) -> Family:
        return self  # one of each: a copied config keeps its family

    def build(self, config: Config, vocab_size: int) -> Model:
        raise NotImplementedError

    def describe(self, config: Config) -> str:
        """The values that matter for this family, in a few words."""
        return config.run.describe()

    def memory_needed(self, config: Config, vocab_size: int, train_examples: int) -> int:
        """Bytes a run needs, roughly: by default its weights 8 times (gradients, optimizer
        state, the best, the averaged and two last good copies) and one batch's logits; the
        weights counted on a model built on the meta device, which allocates nothing."""
        with torch.device("meta"):
            weights = sum(p.numel() for p in self.build(config, vocab_size).parameters())
        batch = config.run.batch_size or FULL_BATCH_CHUNK
        return 4 * (8 * weights + 4 * batch * vocab_size)

    def eval_width(self, config: Config, vocab_size: int) -> int:
        """The widest layer of a forward pass, which sizes an evaluation's chunks."""
        return vocab_size

    def prior_order(self, shape: Settings) -> int:
        """The order of the ngram its logits start from (0: none)."""
        return 0

    def for_data(self, config: Config, data: DataSize) -> Config:
        """Sized for this training split (RunConfig.fit_data)."""
        return config

    def for_items(self, config: Config, data: DataSize) -> Config:
        """The values that follow the items whatever the run asks (a context as long as the
        longest item, where the shape leaves it to the data)."""
        return config

    def for_vocab(self, config: Config, vocab_size: int) -> Config:
        """Lowered to what a vocabulary allows."""
        return config

    def counted_split(self, shape: Settings) -> str:
        """The split a counting model counts (Dataset.items_of): the training split, unless
        its shape says otherwise."""
        return "train"

    def counted(self, examples: int, items: str) -> str:
        """A counting model's end of epoch, for the user (`items`: Dataset.describe_items)."""
        return f"counted all {examples:,} examples of {items}"

    def loss_note(self, config: Config) -> str:
        """Why a loss can be infinite."""
        return "the model gives some character probability 0 (or its weights are NaN)"

    def form(self) -> tuple[str, ...]:
        """The settings its form offers: the preset (if it has more than one), its shape's,
        and the run's that apply to it."""
        preset = ("preset",) if len(self.presets) > 1 else ()
        run = COUNTING_SETTINGS if self.counts else GRADIENT_SETTINGS
        return (*preset, *self.Shape.names(), *run)

    def preset(self, name: str = "") -> Config:
        """A preset's values (the first by default); a ValueError names the ones there are."""
        name = name or self.default_preset or next(iter(self.presets))
        if name not in self.presets:
            raise ValueError(f"preset must be one of {', '.join(self.presets)}")
        chosen = self.presets[name]
        return Config(self, chosen.shape, chosen.run, name)


@dataclass(frozen=True)
class Config:
    """A family, its shape's settings and the run's: everything that makes a run."""

    family: Family
    shape: Settings
    run: RunConfig
    preset: str = ""  # the preset these values started from, if any

    @property
    def model(self) -> str:
        return self.family.name

    def build(self, vocab_size: int) -> Model:
        """A fresh model, initialized from the run's seed."""
        torch.manual_seed(self.run.seed)
        return self.family.build(self, vocab_size)

    def as_dict(self) -> dict[str, Any]:
        """One flat record (runs.jsonl, checkpoints, train --json)."""
        return {
            "model": self.model,
            "preset": self.preset,
            **self.shape.as_dict(),
            **self.run.as_dict(),
        }

    def with_values(self, **values: Any) -> Config:
        """A copy with some shape or run values changed, each converted from text."""
        shape_names = set(self.shape.names())
        unknown = set(values) - shape_names - set(RunConfig.names())
        if unknown:
            raise ValueError(f"the {self.model} has no {', '.join(sorted(unknown))}")
        shape = self.shape.with_values(**{k: v for k, v in values.items() if k in shape_names})
        run = self.run.with_values(**{k: v for k, v in values.items() if k not in shape_names})
        return replace(self, shape=shape, run=run)

    def needs_new_model(self, other: Config) -> bool:
        """Whether going from these values to `other` changes the model's shape or seed."""
        if (self.family, self.preset) != (other.family, other.preset):
            return True
        return any(
            getattr(self.shape, k) != getattr(other.shape, k) for k in self.shape.new_model_names()
        ) or any(getattr(self.run, k) != getattr(other.run, k) for k in RunConfig.new_model_names())

    def value(self, name: str) -> Any:
        """A setting by its flat name (the form's and the CLI's)."""
        if name == "preset":
            return self.preset
        return getattr(self.shape if name in self.shape.names() else self.run, name)

    def editable(self) -> dict[str, str]:
        """The values this family's form offers, as text."""
        return {name: str(self.value(name)) for name in self.family.form()}

    def choices(self) -> dict[str, tuple[str, ...]]:
        """The form's fields picked from a few values: the preset, and each setting of
        choices."""
        offered = (
            {"preset": tuple(self.family.presets)} | self.shape.choices() | RunConfig.choices()
        )
        return {name: offered[name] for name in self.family.form() if name in offered}

    def hints(self) -> dict[str, str]:
        """A line on each field of the form."""
        offered = {"preset": PRESET_HINT} | self.shape.hints() | RunConfig.hints()
        return {name: offered[name] for name in self.family.form() if name in offered}

    def preset_values(self, data: DataSize) -> dict[str, dict[str, str]]:
        """What the form shows once each preset is chosen, sized for the data."""
        return {
            name: self.family.preset(name).for_data(data).editable() for name in self.family.presets
        }

    def renewing(self) -> tuple[str, ...]:
        """The form's fields whose change starts a new model."""
        new_model = (*self.shape.new_model_names(), *RunConfig.new_model_names(), "preset")
        return tuple(n for n in self.family.form() if n in new_model)

    def editing_help(self) -> str:
        """What applying the form does, for this family."""
        if not self.renewing():
            return "Changes apply at the next step."
        return f"A field marked {NEW_MODEL_MARK} starts a new model; the rest apply at once."

    def describe(self) -> str:
        return self.family.describe(self)

    def memory_needed(self, vocab_size: int, train_examples: int = 0) -> int:
        return self.family.memory_needed(self, vocab_size, train_examples)

    def for_data(self, data: DataSize) -> Config:
        """Sized for the data by the family's rule, when the run asks for it (fit_data), and
        fitted to its items."""
        config = self.family.for_items(self, data)
        if not config.run.fit_data:
            return config
        sized = self.family.for_data(config, data)
        return replace(sized, run=replace(sized.run, fit_data=False))

    def for_vocab(self, vocab_size: int) -> Config:
        return self.family.for_vocab(self, vocab_size)

    def differences(self, data: DataSize, vocab_size: int) -> dict[str, Any]:
        """The values that differ from this config's preset, sized for the same data."""
        if self.preset not in self.family.presets:
            return {}
        base = self.family.preset(self.preset).for_data(data).for_vocab(vocab_size)
        ours, theirs = self.as_dict(), base.as_dict()
        return {k: v for k, v in ours.items() if v != theirs[k] and k != "fit_data"}


def config_from_values(family: Family, values: dict[str, Any]) -> Config:
    """A config from a flat record: the fields of this family and of a run, the rest (another
    family's, or of a version that had more) left out."""
    shape = {f.name: values[f.name] for f in fields(family.Shape) if f.name in values}
    run = {f.name: values[f.name] for f in fields(RunConfig) if f.name in values}
    return Config(family, family.Shape(**shape), RunConfig(**run), str(values.get("preset", "")))

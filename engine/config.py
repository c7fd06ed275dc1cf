"""A run's settings (RunConfig), apart from any model's shape, and how a field of settings is
declared: its default, its range or choices, and whether changing it needs a new model."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Self

# A full batch (batch_size 0) is done in chunks of this many examples, its gradients summed:
# their buffers stay below malloc's mmap threshold and are reused, where whole-split ones were
# mapped and faulted in again at every step.
FULL_BATCH_CHUNK = 2048
# A counting model's step counts at most this many examples: a few lines of millions of
# letters are counted in many short steps.
COUNT_STEP_EXAMPLES = 2**20


def setting(
    default: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    above: bool = False,
    below: bool = False,
    choices: tuple[str, ...] = (),
    new_model: bool = False,
    rule: str = "",
    help: str = "",
) -> Any:
    """A field of settings: `low` to `high` (`above` low, `below` high: not equal to it), or
    one of `choices`; `rule` words the range where "from low to high" would not say it;
    `new_model`: a change needs a new model, where the others apply between two steps;
    `help`: what it does and what more or less of it does, in a line (the form, --help)."""
    metadata = {
        "help": help,
        "low": low,
        "high": high,
        "above": above,
        "below": below,
        "choices": choices,
        "new_model": new_model,
        "rule": rule,
    }
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Settings:
    """Fields declared with setting(), checked when made: a bad value is never held."""

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))

    def problems(self) -> list[str]:
        """What is wrong with these values, one phrase each; empty when all is well."""
        found = []
        for f in fields(self):
            value, meta = getattr(self, f.name), f.metadata
            if meta.get("choices"):
                if value not in meta["choices"]:
                    found.append(f"{f.name} must be one of {', '.join(meta['choices'])}")
            elif meta.get("low") is not None and not _within(value, meta):
                rule = meta["rule"] or _range(f.type, meta["low"], meta["high"])
                found.append(f"{f.name} must be {rule}, not {value}")
        return found or self.joint_problems()  # a joint rule may divide by a field

    def joint_problems(self) -> list[str]:
        """Rules between fields (none by default), asked only of fields each within its own
        bounds."""
        return []

    def with_values(self, **values: Any) -> Self:
        """A copy with some values changed, each converted from text where needed; a name
        that is not a field is a ValueError naming it."""
        types = {f.name: f.type for f in fields(self)}
        converted = {}
        for name, value in values.items():
            if name not in types:
                raise ValueError(f"unknown setting {name!r}")
            kind = FROM_TEXT[types[name]]
            try:
                converted[name] = kind(value)
            except (TypeError, ValueError):
                raise ValueError(f"{name} must be {kind_words(kind)}, not {value!r}") from None
        return replace(self, **converted)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def choices(cls) -> dict[str, tuple[str, ...]]:
        """The fields whose value is one of a few, picked rather than typed."""
        return {f.name: f.metadata["choices"] for f in fields(cls) if f.metadata.get("choices")}

    @classmethod
    def hints(cls) -> dict[str, str]:
        """Each field's line of help, where it has one."""
        return {f.name: f.metadata["help"] for f in fields(cls) if f.metadata.get("help")}

    @classmethod
    def new_model_names(cls) -> tuple[str, ...]:
        """The fields whose change needs a new model."""
        return tuple(f.name for f in fields(cls) if f.metadata.get("new_model"))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _within(value: float, meta: Any) -> bool:
    low, high = meta["low"], meta["high"]
    return (value > low if meta["above"] else value >= low) and (
        value < high if meta["below"] else value <= high
    )


def _range(kind: str, low: float, high: float) -> str:
    if kind == "int" and low >= 1:
        return f"a whole number from {low:g} to {high:g}"
    return f"from {low:g} to {high:g}"


OPTIMIZERS = ("sgd", "adamw")
SCHEDULES = ("constant", "step", "cosine", "linear")


@dataclass(frozen=True)
class RunConfig(Settings):
    """How a model is trained, whatever its family: the batches, the optimizer and its rate,
    averaging, when val is measured and the run judged, and the seed."""

    batch_size: int = setting(
        32,
        0,
        1_000_000,
        rule="from 0 (all) to 1000000",
        help="examples per step (a counting model: items); larger: steadier, slower steps; "
        "0: the whole training split",
    )
    learning_rate: float = setting(
        0.1,
        0,
        100,
        above=True,
        rule="above 0 and at most 100",
        help="how far a step moves the weights; too high: the loss jumps or blows up; too "
        "low: it barely falls (the finder suggests one)",
    )
    lr_schedule: str = setting(
        "step",
        choices=SCHEDULES,
        help="constant: the rate never changes; step: it drops to lr_min after decay_steps; "
        "cosine: it eases down to lr_min; linear: it falls evenly to lr_min",
    )
    lr_min: float = setting(
        0.01,
        0,
        100,
        help="the rate at the end of the schedule (learning_rate, if that is lower: a rate "
        "never rises): a lower one settles finer",
    )
    decay_steps: int = setting(
        100_000,
        1,
        1_000_000,
        help="steps until the rate reaches lr_min: fewer, an earlier and coarser finish",
    )
    epochs: float = setting(
        0.0,
        0,
        1e6,
        help="if above 0, the schedule's length in passes over the training split "
        "(instead of decay_steps)",
    )
    optimizer: str = setting(
        "sgd",
        choices=OPTIMIZERS,
        new_model=True,
        help="sgd: the lectures' plain steps; adamw: a rate per weight, faster to train, "
        "wants a lower learning_rate (0.01)",
    )
    # Adam's decay rates of its two moving averages (its betas): makemore's 0.9 and 0.99,
    # microgpt's 0.85 and 0.99; torch's defaults for the app's own presets
    beta1: float = setting(
        0.9,
        0,
        1,
        below=True,
        new_model=True,
        rule="from 0 to below 1",
        help="adamw: how long its average of the gradients remembers; lower: it follows "
        "the latest steps more",
    )
    beta2: float = setting(
        0.999,
        0,
        1,
        below=True,
        new_model=True,
        rule="from 0 to below 1",
        help="adamw: how long its average of the squared gradients remembers, which scales "
        "each weight's step",
    )
    weight_decay: float = setting(
        0.0,
        0,
        10,
        help="pulls every weight toward 0 at each step; more: a smoother model that fits "
        "the training split less",
    )
    # Val, the best weights and their samples use the weights averaged over about the last
    # 1 / (1 - average) steps: steadier than those of one step (0: the step's own).
    average: float = setting(
        0.0,
        0,
        1,
        below=True,
        rule="from 0 to below 1",
        help="val and samples from weights averaged over about 1/(1-average) steps: "
        "0.999 evens out a noisy run",
    )
    eval_every: int = setting(
        0,
        0,
        1_000_000,
        help="steps between two val losses; 0: by the size of val, so that measuring takes "
        "about a twentieth of the time",
    )
    # val losses without a new best before the run counts as overfitting, or, once the
    # schedule is done, as converged (Trainer.converged)
    patience: int = setting(
        6,
        1,
        1_000_000,
        help="val losses without a new best before the run is called overfitting or done; "
        "more: it waits longer",
    )
    steps: int = setting(
        0,
        0,
        10**9,
        rule="from 0 (no budget) to 1000000000",
        help="the run's budget: it pauses (train: ends) at this step; 0: no budget",
    )
    fit_data: bool = setting(
        False,
        help="yes: the preset sizes the model and its schedule by the data (its family's "
        "rule), as the default presets do",
    )
    seed: int = setting(
        42,
        0,
        2**63 - 1,
        new_model=True,
        rule="a non-negative whole number",
        help="the random draw of the first weights and the batches: another seed, another run "
        "of the same values",
    )

    @property
    def budget(self) -> int | None:
        """The step the run ends at, if it has a budget."""
        return self.steps or None

    def schedule_steps(self, epoch_size: int) -> int:
        """Steps until the rate reaches lr_min: decay_steps, or `epochs` passes over the data
        (of `epoch_size` examples, or items for a model that reads whole items)."""
        if self.epochs:
            return max(1, math.ceil(self.epochs * epoch_size / (self.batch_size or epoch_size)))
        return self.decay_steps

    def schedule_end(self, epoch_size: int) -> int:
        """The step from which the rate stays the same."""
        return 0 if self.lr_schedule == "constant" else self.schedule_steps(epoch_size)

    def learning_rate_at(self, step: int, epoch_size: int) -> float:
        """The rate of this step under the schedule."""
        if self.lr_schedule == "constant":
            return self.learning_rate
        decay_steps, end = self.schedule_steps(epoch_size), self.end_rate
        if step >= decay_steps:
            return end
        if self.lr_schedule == "step":
            return self.learning_rate
        progress = step / decay_steps
        if self.lr_schedule == "linear":
            return self.learning_rate + (end - self.learning_rate) * progress
        return end + 0.5 * (self.learning_rate - end) * (1 + math.cos(math.pi * progress))

    @property
    def end_rate(self) -> float:
        """Where the schedule ends: lr_min, but never above the rate it starts from (a rate
        the finder suggests, or one typed, may be below the preset's lr_min)."""
        return min(self.lr_min, self.learning_rate)

    def describe(self) -> str:
        """The optimizer, its rate and the batch, in a few words."""
        decay = "" if self.lr_schedule == "constant" else f"→{self.end_rate:g}"
        batch = self.batch_size or "full"
        return f"{self.optimizer} lr {self.learning_rate:g}{decay} batch {batch}"


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "1", "yes", "on"):
        return True
    if str(value).lower() in ("false", "0", "no", "off"):
        return False
    raise ValueError(value)


def whole(value: object) -> int:
    """A whole number, also as the app prints one ("30,000") or in powers of ten ("3e4")."""
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", text):
        text = text.replace(",", "")
    try:
        return int(text)
    except ValueError:
        number = float(text)
        if not number.is_integer():
            raise
        return int(number)


FROM_TEXT = {"int": whole, "float": float, "str": str, "bool": _boolean}  # by a field's type


def kind_words(kind: object) -> str:
    """What a value of this FROM_TEXT converter must be, in words."""
    words = {whole: "a whole number", float: "a number", str: "text", _boolean: "true or false"}
    return words[kind]

"""Sampling names from any model: many at once, or streamed letter by letter."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace

import torch

from engine.config import whole
from engine.dataset import BOUNDARY, Dataset
from engine.families.base import Model
from engine.protocol import Sample

# The one temperature range: below 1 sharper and safer names, above 1 wilder ones.
TEMPERATURE_MIN, TEMPERATURE_MAX = 0.1, 10.0
TEMPERATURE_STEP = 0.1  # what + and - change it by
# A name is cut at max_length characters; by default at twice the training split's longest
# item, so that a list of long lines is not sampled as names: never below SHORTEST_CUT, never
# above LONGEST_CUT.
SHORTEST_CUT, LONGEST_CUT = 32, 1000


SAMPLING_HINTS = {  # a line on each field of the sampling form
    "temperature": "divides the logits: below 1 sharper and safer names, above 1 wilder ones",
    "top_k": "draw only from the k likeliest next characters; empty: from all of them",
    "prefix": "every name starts with these characters",
    "max_length": "characters a name may have, its prefix's included; none given: twice the "
    f"training split's longest item, at least {SHORTEST_CUT}",
    "greedy": "yes: always the likeliest next character (one name per prefix); no: drawn",
    "seed": "the same seed draws the same names again; empty: new names each time",
}


@dataclass(frozen=True)
class SampleOptions:
    temperature: float = 1.0
    top_k: int | None = None  # draw only from the k likeliest next characters
    prefix: str = ""  # every name starts with this
    max_length: int = 0  # characters per name at most (prefix included); 0: by the data
    greedy: bool = False  # always the likeliest next character: one name, the likeliest path
    # Names drawn from this seed on (the lectures': 2147483647); set again, they come again
    seed: int | None = None

    def __post_init__(self) -> None:
        if not TEMPERATURE_MIN <= self.temperature <= TEMPERATURE_MAX:
            raise ValueError(
                f"temperature must be from {TEMPERATURE_MIN:g} to {TEMPERATURE_MAX:g}, "
                f"not {repr(self.temperature).removesuffix('.0')}"  # as typed: 0, 10.0000001
            )
        if self.top_k is not None and self.top_k < 1:
            raise ValueError(f"top_k must be at least 1, not {self.top_k}")
        if not 0 <= self.max_length <= LONGEST_CUT:
            raise ValueError(
                f"max_length must be from 1 to {LONGEST_CUT}, or none given, not {self.max_length}"
            )
        if self.seed is not None and not 0 <= self.seed < 2**63:
            raise ValueError(f"seed must be a whole number from 0 to 2**63 - 1, not {self.seed}")

    def cut(self, dataset: Dataset) -> int:
        """Characters a name may have, its prefix's included: max_length, or by the data; a
        ValueError if the prefix leaves no room."""
        longest = dataset.train_size.longest_item
        cut = self.max_length or min(LONGEST_CUT, max(SHORTEST_CUT, 2 * longest))
        if len(self.prefix) >= cut:
            raise ValueError(f"the prefix must be shorter than the maximum length ({cut})")
        return cut

    def count(self, n: int) -> int:
        """How many names to draw when n are asked for: greedy makes the same one each time."""
        return 1 if self.greedy else n

    def as_text(self) -> dict[str, str]:
        """The values a form edits, as text (top_k empty means all characters)."""
        return {
            "temperature": f"{self.temperature:g}",
            "top_k": "" if self.top_k is None else str(self.top_k),
            "prefix": self.prefix,
            "max_length": str(self.max_length or ""),
            "greedy": "yes" if self.greedy else "no",
            "seed": "" if self.seed is None else str(self.seed),
        }

    def with_text(self, values: dict[str, str]) -> SampleOptions:
        """A copy with values typed in a form; ValueError says what is wrong."""
        merged = {**self.as_text(), **values}
        try:
            temperature = float(merged["temperature"])
        except ValueError:
            raise ValueError(
                f"temperature must be a number, not {merged['temperature']!r}"
            ) from None
        numbers: dict[str, int | None] = {}
        for key in ("top_k", "max_length", "seed"):
            text = merged[key].strip()
            try:
                numbers[key] = whole(text) if text else None  # -3 too: the range says why
            except ValueError:
                raise ValueError(f"{key} must be a whole number or empty, not {text!r}") from None
        greedy = merged["greedy"].strip().lower()
        if greedy not in ("yes", "no"):
            raise ValueError(f"greedy must be yes or no, not {greedy!r}")
        return replace(
            self,
            temperature=temperature,
            top_k=numbers["top_k"],
            prefix=merged["prefix"],
            max_length=numbers["max_length"] or 0,
            greedy=greedy == "yes",
            seed=numbers["seed"],
        )

    def nudged(self, up: bool) -> SampleOptions:
        """The temperature one step up or down, kept in its range."""
        value = self.temperature + (TEMPERATURE_STEP if up else -TEMPERATURE_STEP)
        return replace(
            self, temperature=round(min(TEMPERATURE_MAX, max(TEMPERATURE_MIN, value)), 1)
        )


@dataclass(frozen=True)
class StreamState:
    """Names as they grow: after each step every unfinished name has one more character."""

    texts: list[str]
    done: list[bool]


@torch.no_grad()
def _generate(
    model: Model,
    dataset: Dataset,
    n: int,
    options: SampleOptions,
    generator: torch.Generator,
    cut: int,
) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Yield (tokens, done, logprob) for all n names after each step, one batched draw a step;
    a name reaching `cut` characters ends there."""
    n = options.count(n)
    prefix = torch.tensor(dataset.vocab.encode(options.prefix), dtype=torch.long)
    # Window over one buffer: the context of step t is columns t .. t + block_size - 1.
    block = model.block_size
    buffer = torch.full((n, block + cut + 1), BOUNDARY, dtype=torch.long)
    done = torch.zeros(n, dtype=torch.bool)
    logprob = torch.zeros(n, dtype=torch.float64)
    plain = options.temperature == 1.0 and options.top_k is None
    alive = torch.arange(n)  # only unfinished names are computed: most end within 8 letters
    next_logits = model.sampler(n)
    for position in range(cut + 1):
        logp = next_logits(buffer, alive, position).float().log_softmax(1)
        # No item is empty (blank lines are skipped), so neither is a name drawn; the name's
        # log-probability stays the model's, whatever mass it gives an empty one
        chosen_from = (
            logp.index_fill(1, torch.tensor([BOUNDARY]), -math.inf) if position == 0 else logp
        )
        if position < len(prefix):
            nxt = prefix[position].expand(len(alive))
        elif position == cut:
            nxt = torch.full((len(alive),), BOUNDARY, dtype=torch.long)  # the cap ends them
        elif options.greedy:
            nxt = chosen_from.argmax(1)
        else:
            probabilities = chosen_from.exp() if plain else _shaped(chosen_from, options)
            nxt = _draw(probabilities, generator)
        logprob[alive] += logp.gather(1, nxt[:, None]).squeeze(1).double()
        buffer[alive, block + position] = nxt
        done[alive] = nxt == BOUNDARY
        yield buffer[:, block : block + position + 1], done, logprob
        alive = alive[nxt != BOUNDARY]
        if len(alive) == 0:
            return


def _draw(probabilities: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One index per row, drawn in proportion to the row: where a uniform number falls on the
    row's cumulative sum. torch.multinomial draws an exponential number for every entry,
    which took half the time of sampling names. Never an entry of probability 0: its
    interval of the sum is empty."""
    cumulative = probabilities.double().cumsum(1)
    total = cumulative[:, -1:]
    if not bool((total > 0).all()):  # NaN is not > 0 either
        raise ValueError(
            "the model gives no valid probabilities to draw the next character from "
            "(NaN weights, or smoothing 0 after a pair it never counted)"
        )
    uniform = torch.rand(total.shape, generator=generator, dtype=torch.float64)
    # below the total itself, which the product could round up to
    point = torch.minimum(uniform * total, total.nextafter(torch.zeros_like(total)))
    return torch.searchsorted(cumulative, point, right=True).squeeze(1)


def _shaped(logp: torch.Tensor, options: SampleOptions) -> torch.Tensor:
    """Probabilities after temperature and top-k."""
    logits = logp / options.temperature
    if options.top_k is not None and options.top_k < logits.shape[1]:
        kth = logits.topk(options.top_k, dim=1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return logits.softmax(1)


def sample(
    model: Model,
    dataset: Dataset,
    n: int = 20,
    options: SampleOptions | None = None,
    seed: int | None = None,
    generator: torch.Generator | None = None,
) -> list[Sample]:
    """n names at once: each step is one batched draw for all of them, not a loop over names."""
    options = options or SampleOptions()
    generator = generator or _generator(seed)
    cut = options.cut(dataset)
    ((tokens, _, logprob),) = deque(_generate(model, dataset, n, options, generator, cut), maxlen=1)
    return _finish(dataset, tokens, logprob, cut)


def stream(
    model: Model,
    dataset: Dataset,
    n: int = 1,
    options: SampleOptions | None = None,
    seed: int | None = None,
    generator: torch.Generator | None = None,
) -> Iterator[StreamState | list[Sample]]:
    """Yield a StreamState after each character, and the finished Samples last."""
    options = options or SampleOptions()
    generator = generator or _generator(seed)
    decode, cut = dataset.vocab.decode, options.cut(dataset)
    for state in _generate(model, dataset, n, options, generator, cut):
        tokens, done, _ = state
        yield StreamState([decode(row) for row in tokens.tolist()], done.tolist())
    tokens, _, logprob = state
    yield _finish(dataset, tokens, logprob, cut)


def _generator(seed: int | None) -> torch.Generator:
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return generator


def _finish(
    dataset: Dataset, tokens: torch.Tensor, logprob: torch.Tensor, cut: int
) -> list[Sample]:
    texts = [dataset.vocab.decode(row) for row in tokens.tolist()]
    return [
        Sample(text, lp, dataset.tag(text), cut=len(text) >= cut)
        for text, lp in zip(texts, logprob.tolist(), strict=True)
    ]

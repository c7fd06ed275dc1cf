"""Datasets: any UTF-8 text file, one item per line, split as the makemore lectures do."""

from __future__ import annotations

import codecs
import functools
import hashlib
import os
import random
import re
import unicodedata
from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from engine.files import FileRefused, expand, read_regular
from engine.protocol import ESCAPE

BOUNDARY = 0  # index of the token that starts and ends every item, as in makemore
NO_TARGET = -1  # a position of a padded batch of items that has no target
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class DataSize:
    """What sizing a model for the data reads of its training split (Family.for_data)."""

    examples: int  # characters and closing boundaries
    longest_item: int  # characters


def visible(text: str) -> str:
    """Text safe to show on a terminal: control, format and line-separator characters (ESC,
    BEL, U+202E, the emoji joiner...) as escapes, so that a crafted file cannot send sequences
    to the terminal; and as escapes too the characters that change the width of the one before
    them in some terminals and not in others (variation selectors, skin tones): on their own,
    as a model sees them, they would shift the panels' borders."""
    if text.isprintable() and not RESHAPING.search(text):
        return text
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if not ch.isprintable() or RESHAPING.match(ch)
        else ch
        for ch in text
    )


# What a copied name never carries as it is: controls (ESC begins a terminal's sequences), line
# and paragraph separators, and the marks that reorder text (U+202E: what is read is not what
# is there).
UNPASTEABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def pasteable(text: str) -> str:
    """The text as copying it gives: the emoji joiner, variation selectors and skin tones as
    themselves, where visible() escapes them; UNPASTEABLE as visible() escapes it."""
    return UNPASTEABLE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


# How the boundary may be drawn, first choice first: the lectures' '.', then symbols no list
# of names is likely to hold; a vocabulary that holds them all (a crafted file) gets the
# control pictures (U+2400...), then a name in brackets.
BOUNDARY_SYMBOLS = (".", "·", "¶", "␃", *map(chr, range(0x2400, 0x2427)), "<end>")
RESHAPING = re.compile("[\ufe00-\ufe0f\U0001f3fb-\U0001f3ff\U000e0100-\U000e01ef]")


def read_back(text: str, chars: Container[str]) -> str:
    """Text as the user typed or copied it off the screen: visible()'s escapes back to the
    characters of `chars` they stand for. Any other stays as typed: a name holding a
    backslash of its own ('c:\\temp', '\\u0041') keeps it."""

    def character(match: re.Match[str]) -> str:
        code = match.group(1)
        ch = {"t": "\t", "r": "\r"}.get(code) or chr(int(code[1:], 16))
        return ch if ch in chars and visible(ch) != ch else match.group(0)

    return ESCAPE.sub(character, text)


# Hangul's conjoining vowels and final consonants, and its fillers: like a combining mark,
# they draw nothing on their own.
HANGUL_JOINING = re.compile("[\u1160-\u11ff\ud7b0-\ud7ff\u3164\uffa0]")
# What a character that draws nothing on its own is shown on, as Unicode's charts show them
DOTTED_CIRCLE = "\u25cc"
OPEN_BOX = "\u2423"  # a space, made visible


def standing_alone(ch: str) -> str:
    """A character as a token on its own (a label, a cell of the grid): visible(), and a
    mark that combines with the letter before it (an accent, Devanagari's vowel signs,
    Hangul's jamo) on a dotted circle, as a name would carry it on a letter: alone it would
    take no cell, or sit on whatever was drawn before it."""
    shown = visible(ch)
    if shown == ch and (unicodedata.category(ch).startswith("M") or HANGUL_JOINING.match(ch)):
        return DOTTED_CIRCLE + ch
    return shown


# The vowels of the Latin, Greek and Cyrillic alphabets, accents aside (y too: in names it
# mostly is one): the embedding sets them apart, as they gather in the lectures' plot.
VOWELS = frozenset("aeiouyæøœıαεηιουωаеиоуыэюяіє")
SEMIVOWELS = frozenset("йў")  # a vowel with a breve: a consonant


def is_vowel(ch: str) -> bool:
    """Whether a character is a vowel (VOWELS), in either case and with any accent."""
    lower = ch.lower()
    return lower not in SEMIVOWELS and unicodedata.normalize("NFD", lower)[:1] in VOWELS


class DatasetError(ValueError):
    """A dataset that cannot be used; the message is one line naming the file."""


@dataclass(frozen=True)
class Vocab:
    """Characters of the data; index 0 is the boundary token and is no character."""

    chars: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.chars) + 1

    @functools.cached_property
    def boundary_symbol(self) -> str:
        """How the boundary is drawn: '.' as in the lectures, unless the data uses '.' itself."""
        return next(s for s in BOUNDARY_SYMBOLS if s not in self.chars)

    def stoi(self) -> dict[str, int]:
        return {ch: i + 1 for i, ch in enumerate(self.chars)}

    @functools.cached_property
    def space_symbol(self) -> str:
        """How a space is drawn on its own, where a blank would show nothing (a point of the
        embedding, a row of the grid): '␣', unless the data uses '␣' itself."""
        return " " if OPEN_BOX in self.chars else OPEN_BOX

    def symbol(self, index: int) -> str:
        """How a token is shown on its own (standing_alone): control and direction characters
        visibly escaped, a combining mark on a dotted circle, a space as '␣'."""
        if index == BOUNDARY:
            return self.boundary_symbol
        ch = self.chars[index - 1]
        return self.space_symbol if ch == " " else standing_alone(ch)

    def symbols(self, tokens: list[int]) -> list[str]:
        """Tokens in a row (a context) as drawn, each as symbol() shows it, but a mark that
        follows a letter (or a mark on its circle) joined to it, as in the name: one element,
        so that the row is never cut between them."""
        shown: list[str] = []
        on_letter = False  # whether a mark drawn next would sit on what is drawn last
        for token in tokens:
            symbol = self.symbol(token)
            ch = self.chars[token - 1] if token != BOUNDARY else ""
            if on_letter and symbol == DOTTED_CIRCLE + ch:
                shown[-1] += ch
                continue
            shown.append(symbol)
            on_letter = symbol in (ch, DOTTED_CIRCLE + ch)
        return shown

    @functools.cached_property
    def vowels(self) -> tuple[int, ...]:
        """The tokens that are vowels (is_vowel)."""
        return tuple(i + 1 for i, ch in enumerate(self.chars) if is_vowel(ch))

    def encode(self, text: str) -> list[int]:
        """Text the user typed (read_back: the escapes it was shown with are its characters)
        as tokens; a ValueError names the characters the vocabulary lacks."""
        stoi = self.stoi()
        text = read_back(text, stoi)
        unknown = sorted({ch for ch in text if ch not in stoi})
        if unknown:
            lower = text.lower()  # "Emma" typed for a list written in lower case
            hint = f" (try {lower!r})" if all(ch in stoi for ch in lower) else ""
            raise ValueError(
                f"characters not in the vocabulary: {', '.join(map(repr, unknown))}{hint}"
            )
        return [stoi[ch] for ch in text]

    def shown(self, indices: list[int]) -> str:
        """Tokens as one text the app shows (visible()): typed back (encode), the same tokens."""
        return visible(self.decode(indices))

    def decode(self, indices: list[int]) -> str:
        return "".join(self.chars[i - 1] for i in indices if i != BOUNDARY)


@dataclass(frozen=True, eq=False)
class Dataset:
    """Items of one file, their vocabulary and the lectures' 80/10/10 split."""

    name: str
    items: tuple[str, ...]
    vocab: Vocab
    splits: dict[str, tuple[str, ...]]
    sha256: str
    path: str | None = None
    seed: int = 42
    _split_of: dict[str, str] = field(default_factory=dict, repr=False)
    _examples: dict[str, Examples] = field(default_factory=dict, repr=False)
    # What is computed from it once and shared by every model on it (the ngram priors)
    derived: dict[object, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_items(
        cls, items: list[str], name: str = "items", seed: int = 42, path: str | None = None
    ) -> Dataset:
        """Split as the lectures: random.seed(seed); random.shuffle(items); cut at 80% and 90%."""
        shuffled = list(items)
        random.Random(seed).shuffle(shuffled)
        n = len(shuffled)
        n1, n2 = int(0.8 * n), int(0.9 * n)
        splits = {"train": shuffled[:n1], "val": shuffled[n1:n2], "test": shuffled[n2:]}
        empty = [s for s in SPLITS if not splits[s]]
        if empty:
            raise DatasetError(
                f"{path or name}: {n} item{'s are' if n > 1 else ' is'} too few to split 80/10/10 "
                f"(the {' and '.join(empty)} split would be empty; at least 6 are needed)"
            )
        vocab = Vocab(tuple(sorted(set("".join(items)))))
        digest = hashlib.sha256("\n".join(items).encode()).hexdigest()
        split_of: dict[str, str] = {}
        for split in reversed(SPLITS):  # an item in train and test counts as train
            split_of.update(dict.fromkeys(splits[split], split))
        return cls(
            name=name,
            items=tuple(items),
            vocab=vocab,
            splits={k: tuple(v) for k, v in splits.items()},
            sha256=digest,
            path=path,
            seed=seed,
            _split_of=split_of,
        )

    def tag(self, text: str) -> str:
        """'train', 'val' or 'test' when the item is in that split, else 'new'."""
        return self._split_of.get(text, "new")

    def items_of(self, split: str) -> tuple[str, ...]:
        """A split's items; "all": every item, as the post counts them, with no split."""
        return self.items if split == "all" else self.splits[split]

    def describe_items(self, split: str) -> str:
        """The items of a split (items_of), in a few words."""
        if split == "all":
            return f"all {len(self.items):,} items"
        noun = "training" if split == "train" else split
        return f"the {len(self.splits[split]):,} {noun} items"

    def examples(self, split: str) -> Examples:
        """Every character and closing boundary of the split's items (items_of), with its
        context."""
        if split not in self._examples:
            self._examples[split] = _encode(self.items_of(split), self.vocab)
        return self._examples[split]

    @functools.cached_property
    def characters(self) -> int:
        """Its items' characters in all."""
        return sum(map(len, self.items))

    @functools.cached_property
    def train_size(self) -> DataSize:
        """What sizing a model reads of the training split (Config.for_data)."""
        train = self.splits["train"]
        return DataSize(sum(map(len, train)) + len(train), max(map(len, train)))

    def item_offsets(self, split: str) -> torch.Tensor:
        """Row where each item's examples start in examples(split), then the total."""
        lengths = torch.tensor([len(item) + 1 for item in self.items_of(split)])
        return torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)])


class Examples:
    """A split's examples, compact: every character and closing boundary of its items is a
    target, stored once (one byte each for a vocabulary of up to 255 characters), with its
    depth in its item; a large split's contexts are built when a batch asks for them, of any
    block size. Kept whole as (N, block_size) int64, a 42 MB file took gigabytes."""

    def __init__(self, targets: torch.Tensor, depth: torch.Tensor) -> None:
        self._targets, self._depth = targets, depth  # the depth is capped at DEPTH_MAX
        self._length = len(targets)  # an int: len() of a tensor is slow on the hot path
        # Up to DENSE_VALUES, (X, Y) are also kept whole: a batch is then one gather, a
        # few microseconds less per step than building its contexts.
        self._dense: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self._commonest: dict[tuple[int, int], list[int]] = {}
        self._segments: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self._distinct: dict[tuple[int, int], tuple[torch.Tensor, torch.Tensor] | None] = {}

    def __len__(self) -> int:
        return self._length

    def batch(
        self, rows: torch.Tensor | slice, block_size: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(X, Y) as int64: X[i] the block_size tokens before target rows[i], boundaries
        before its item's start."""
        if len(self) * (block_size + 1) <= DENSE_VALUES:
            if block_size not in self._dense:
                self._dense[block_size] = self._contexts(torch.arange(len(self)), block_size)
            x, y = self._dense[block_size]
            if isinstance(rows, slice):
                return x[rows], y[rows]
            return x.index_select(0, rows), y.index_select(0, rows)  # faster than x[rows]
        if isinstance(rows, slice):
            rows = torch.arange(*rows.indices(len(self)))
        return self._contexts(rows, block_size)

    def _contexts(self, rows: torch.Tensor, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        back = torch.arange(block_size, 0, -1)  # how far back each context column looks
        x = self._targets[(rows[:, None] - back).clamp(min=0)].long()
        x[back > self._depth[rows, None].long()] = BOUNDARY
        return x, self._targets[rows].long()

    def distinct_contexts(
        self, block_size: int, vocab_size: int
    ) -> tuple[torch.Tensor, torch.Tensor] | None:
        """Each distinct context once (U, block_size), and how often each token follows it
        (U, |V|): for a short context, far fewer rows than the examples (bench/: full-batch
        step). None where the split or the counts would take more than DENSE_VALUES."""
        key = (block_size, vocab_size)
        if key not in self._distinct:
            found = None
            if len(self) * (block_size + 1) <= DENSE_VALUES:
                x, y = self.batch(slice(None), block_size)
                contexts, which = torch.unique(x, dim=0, return_inverse=True)
                if len(contexts) * vocab_size <= DENSE_VALUES:
                    counts = torch.zeros(len(contexts), vocab_size)
                    counts.index_put_((which, y), torch.ones(len(y)), accumulate=True)
                    found = contexts, counts
            self._distinct[key] = found
        return self._distinct[key]

    def chunks(
        self, block_size: int, size: int, stop: int | None = None
    ) -> Iterator[tuple[slice, torch.Tensor, torch.Tensor]]:
        """The split in order (its first `stop` examples), `size` examples at a time: the rows
        of each chunk, and its (X, Y)."""
        stop = len(self) if stop is None else min(stop, len(self))
        for start in range(0, stop, size):
            rows = slice(start, min(start + size, stop))
            yield (rows, *self.batch(rows, block_size))

    def segments(self, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """For models that read a whole item at once (Family.sequence): where each segment
        starts and how many targets it has. A segment is an item, cut every block_size targets
        when it is longer."""
        if block_size not in self._segments:
            item_starts = (self._depth == 0).nonzero().squeeze(1)
            item_ends = torch.cat([item_starts[1:], torch.tensor([len(self)])])
            pieces = (item_ends - item_starts + block_size - 1) // block_size
            offsets = torch.repeat_interleave(pieces.cumsum(0) - pieces, pieces)
            within = torch.arange(int(pieces.sum())) - offsets
            starts = torch.repeat_interleave(item_starts, pieces) + within * block_size
            ends = torch.minimum(starts + block_size, torch.repeat_interleave(item_ends, pieces))
            self._segments[block_size] = (starts, ends - starts)
        return self._segments[block_size]

    def segment_batch(
        self, segments: torch.Tensor | slice, block_size: int, stop: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(X, Y, rows) of these segments, each (B, T), T the longest of them: Y[i, t] the
        target at row rows[i, t] of the split, X[i, t] the token before it (a boundary at an
        item's start). Past a segment's end, or from row `stop` on, Y is NO_TARGET and the
        row -1."""
        starts, lengths = (part[segments] for part in self.segments(block_size))
        positions = torch.arange(int(lengths.max()) if len(lengths) else 0)
        rows = starts[:, None] + positions
        valid = positions < lengths[:, None]
        if stop is not None:
            valid &= rows < stop
        safe = rows.clamp(max=len(self) - 1)
        y = self._targets[safe].long()
        x = self._targets[(safe - 1).clamp(min=0)].long()
        x[self._depth[safe] == 0] = BOUNDARY
        x[~valid], y[~valid], rows[~valid] = BOUNDARY, NO_TARGET, -1
        return x, y, rows

    def segment_chunks(
        self, block_size: int, size: int, stop: int | None = None
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """The segments that hold the split's first `stop` examples, in order, `size` at a
        time: segment_batch() of each chunk."""
        starts, _ = self.segments(block_size)
        stop = len(self) if stop is None else min(stop, len(self))
        count = int(torch.searchsorted(starts, stop))
        for first in range(0, count, size):
            yield self.segment_batch(slice(first, min(first + size, count)), block_size, stop)

    def commonest(self, size: int, n: int) -> list[int]:
        """The n tokens (of `size`) most often a target here, in the order of their indices."""
        if (size, n) not in self._commonest:
            counts = torch.bincount(self._targets.long(), minlength=size)
            top = counts.argsort(descending=True, stable=True)[:n]
            self._commonest[size, n] = sorted(top.tolist())
        return self._commonest[size, n]

    def tensors(self, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The whole split as (X, Y): for small splits, and tests."""
        return self.batch(slice(None), block_size)


DENSE_VALUES = 2**24  # 128 MiB of int64 contexts and targets per split and block size
DEPTH_MAX = 255  # deeper is as deep for a context: Config.block_size is at most 64


ENCODE_ITEMS = 2**16  # items encoded at a time: the int64 intermediates stay small


def _encode(items: tuple[str, ...], vocab: Vocab) -> Examples:
    dtype = (
        torch.uint8 if vocab.size <= 256 else torch.int16 if vocab.size <= 2**15 else torch.int32
    )
    symbols = torch.tensor([ord(ch) for ch in vocab.chars], dtype=torch.int32)  # sorted
    parts = [
        _encode_some(items[i : i + ENCODE_ITEMS], symbols, dtype)
        for i in range(0, len(items), ENCODE_ITEMS)
    ]
    return Examples(torch.cat([t for t, _ in parts]), torch.cat([d for _, d in parts]))


def _encode_some(
    items: tuple[str, ...], symbols: torch.Tensor, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor]:
    # Each item's characters then a closing boundary: the targets, in order. Code points are
    # mapped to token indices in one search, with no Python int per character.
    text = "\n".join(items) + "\n"
    codes = torch.frombuffer(bytearray(text.encode("utf-32-le")), dtype=torch.int32)
    tokens = torch.searchsorted(symbols, codes) + 1
    ends = codes == ord("\n")  # never a character of an item: lines are split on it
    tokens[ends] = BOUNDARY
    # The depth of each target in its item: its position minus its item's start.
    last = ends.nonzero().squeeze(1)  # each item's closing boundary
    starts = torch.cat([torch.zeros(1, dtype=torch.long), last[:-1] + 1])
    lengths = last - starts + 1
    depth = torch.arange(len(codes)) - torch.repeat_interleave(starts, lengths)
    return tokens.to(dtype), depth.clamp(max=DEPTH_MAX).to(torch.uint8)


def _text(raw: bytes, name: str) -> str:
    """UTF-8 (a BOM or not), or UTF-16 with its BOM, as Windows' Notepad saves "Unicode";
    a DatasetError names a NUL (a binary file) or the first byte that is not text."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as error:
            raise DatasetError(f"{name}: not valid UTF-16 (at byte {error.start})") from None
        if "\0" in text:
            line = text.count("\n", 0, text.find("\0")) + 1
            raise DatasetError(f"{name}: binary file (NUL character at line {line})")
        return text
    nul = raw.find(b"\0")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise DatasetError(f"{name}: binary file (NUL byte at line {line}, byte {nul})")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise DatasetError(
            f"{name}: not UTF-8 (invalid byte 0x{raw[error.start]:02x} at line {line}, "
            f"byte {error.start}); save it as UTF-8"
        ) from None


def load_dataset(path: str | Path, seed: int = 42, max_bytes: int = DEFAULT_MAX_BYTES) -> Dataset:
    """Read a UTF-8 file, one item per line; raise DatasetError with one clear line on bad input."""
    if not str(path).strip():
        raise DatasetError("no dataset named: the path is empty")
    path = expand(path)
    name = str(path)
    if not os.path.lexists(path):
        raise DatasetError(f"{name}: no such file")
    if path.is_dir():
        raise DatasetError(f"{name}: is a directory, not a text file")
    try:
        raw = read_regular(path, max_bytes)
    except FileRefused as error:
        raise DatasetError(str(error)) from None
    items = [line.strip() for line in _text(raw, name).splitlines()]
    items = [item for item in items if item]
    if not items:
        raise DatasetError(f"{name}: no items (the file is empty or has only blank lines)")
    return Dataset.from_items(items, name=path.name, seed=seed, path=str(path.resolve()))

"""The headless commands (train, lr-find, sample, score, fetch-names): for scripts,
benchmarks, tests."""

from __future__ import annotations

import argparse
import io
import math
import sys
from collections.abc import Callable
from dataclasses import Field, fields
from typing import Any, NoReturn

import torch

from engine import checkpoint, freeze_survivors
from engine.checkpoint import CheckpointError
from engine.cli_output import UsageError, ljust_cells, shown_name, strict_json
from engine.config import FROM_TEXT, RunConfig, kind_words, whole
from engine.dataset import DatasetError, DataSize, visible
from engine.families import DEFAULT, FAMILIES, NAMES, preset, preset_names
from engine.families.base import Config
from engine.lr_finder import HIGHEST, LOWEST, RULE, STEPS, LearningRateFinder
from engine.memory import allocation_failure
from engine.protocol import NameTrace
from engine.sampling import SAMPLING_HINTS, SampleOptions, sample
from engine.sources import NAMES_URL, fetch_names, open_dataset
from engine.trace import trace
from engine.train_command import train
from engine.trainer import Trainer


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="makemore-tui", description="Headless makemore-tui commands.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = commands.add_parser("train", help="train a model and report its losses")
    _add_run_arguments(train)
    train.add_argument("--seconds", type=finite, help="train for this long instead of --steps")
    train.add_argument(
        "--save", metavar="FILE", help="write a checkpoint here: the run, and its best weights"
    )
    train.add_argument(
        "--force",
        action="store_true",
        help="let --save replace an existing file that is not a checkpoint",
    )
    train.add_argument(
        "--keep-last",
        action="store_true",
        help="report, sample and save the last weights, not those of the best val loss",
    )
    train.add_argument(
        "--no-early-stop",
        action="store_true",
        help="go on when val stops improving (by default the run stops: see --patience)",
    )
    train.add_argument(
        "--samples", type=in_words(whole), default=10, help="names to sample at the end"
    )
    train.add_argument("--json", action="store_true", help="end with one JSON line on stdout")
    train.add_argument(
        "--diagnostics",
        action="store_true",
        help="a net's activation and gradient statistics at the end (in the JSON)",
    )

    finder = commands.add_parser(
        "lr-find", help="sweep the learning rate on the model's first steps and suggest one"
    )
    _add_run_arguments(finder)
    finder.add_argument(
        "--sweep-steps", type=in_words(whole), default=STEPS, help=f"rates (default {STEPS})"
    )
    finder.add_argument("--json", action="store_true", help="print one JSON line on stdout")

    samp = commands.add_parser("sample", help="sample names from a checkpoint")
    samp.add_argument(
        "--checkpoint",
        required=True,
        metavar="FILE",
        help="a run saved by train --save, or by s in the app",
    )
    samp.add_argument("-n", type=in_words(whole), default=20, help="how many names (default 20)")
    samp.add_argument(
        "--temperature",
        type=finite,
        default=SampleOptions.temperature,
        help=f"{SAMPLING_HINTS['temperature']} (default {SampleOptions.temperature:g})",
    )
    samp.add_argument(
        "--top-k",
        type=in_words(whole),
        help=SAMPLING_HINTS["top_k"].split(";")[0] + " (default: all)",
    )
    samp.add_argument("--prefix", default="", help=SAMPLING_HINTS["prefix"])
    samp.add_argument(
        "--max-length",
        type=in_words(whole),
        default=SampleOptions.max_length,
        help=SAMPLING_HINTS["max_length"],
    )
    samp.add_argument("--seed", type=in_words(whole), help="the same seed, the same names")
    samp.add_argument(
        "--greedy", action="store_true", help="the likeliest next letter each time: one name"
    )
    samp.add_argument("--data", help="the dataset for tags (default: the one it was trained on)")
    samp.add_argument("--json", action="store_true", help="print one JSON line on stdout")

    score = commands.add_parser(
        "score",
        help="trace names letter by letter: each next character's probability and -ln p",
    )
    score.add_argument(
        "names",
        nargs="+",
        metavar="NAME",
        help="the names to trace; - reads them from standard input, one a line",
    )
    score.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="under this run's model (default: the counting models, counted on --data)",
    )
    score.add_argument("--data", help="a text file, one item per line; 'names' for makemore's")
    score.add_argument("--json", action="store_true", help="print one JSON line on stdout")

    fetch = commands.add_parser("fetch-names", help="download makemore's names.txt to the cache")
    fetch.add_argument("--url", default=NAMES_URL, help=argparse.SUPPRESS)
    return parser


def finite(text: str) -> float:
    """A float flag: a number, never nan or inf (`--seconds nan` would never end)."""
    value = in_words(float)(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text}")
    return value


def in_words(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    """A FROM_TEXT converter for argparse: a bad value says what it must be, in words (not
    "invalid _boolean value")."""

    def convert(text: str) -> Any:
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {kind_words(kind)}, not {text!r}") from None

    return convert


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The data, the preset, a flag for every hyperparameter, and the threads."""
    parser.add_argument("--data", help="a text file, one item per line; 'names' for makemore's")
    parser.add_argument("--model", choices=NAMES, help="the model family (default mlp)")
    parser.add_argument(
        "--preset",
        choices=preset_names(),
        help="start from these values: "
        + "; ".join(f"{f.name}: {', '.join(f.presets)}" for f in FAMILIES)
        + f" (a name two models share: the {DEFAULT}'s, unless --model names another)",
    )
    parser.add_argument(
        "--threads", type=in_words(whole), default=1, help="torch threads (default 1)"
    )
    for field in setting_fields():
        flag = "--" + field.name.replace("_", "-")
        kind = finite if field.type == "float" else in_words(FROM_TEXT[field.type])
        choices = field.metadata.get("choices") or None
        hint = setting_help(field.name) or field.metadata.get("help") or None
        parser.add_argument(flag, type=kind, choices=choices, dest=field.name, help=hint)


def setting_help(name: str) -> str | None:
    """What a shape's flag does; where families word it differently, each wording after the
    names of the families it is theirs."""
    helps: dict[str, list[str]] = {}
    for family in FAMILIES:
        for field in fields(family.Shape):
            if field.name == name and field.metadata.get("help"):
                helps.setdefault(field.metadata["help"], []).append(family.name)
    if len(helps) < 2:
        return next(iter(helps), None)
    return "; ".join(f"{', '.join(names)}: {text}" for text, names in helps.items())


def setting_fields() -> list[Field[Any]]:
    """Every family's shape fields, then the run's: one flag each (a name two families share
    is one flag, of the same type)."""
    found: dict[str, Field[Any]] = {}
    for shape in [f.Shape for f in FAMILIES] + [RunConfig]:
        for field in fields(shape):
            found.setdefault(field.name, field)
    return list(found.values())


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a name the terminal cannot show is never fatal
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        args = build_parser().parse_args(argv)
        freeze_survivors()
        if args.command == "train":
            return train(args, _trainer)
        if args.command == "sample":
            return _sample(args)
        if args.command == "lr-find":
            return _find_learning_rate(args)
        if args.command == "score":
            return _score(args)
        path = fetch_names(args.url)
        print(f"names.txt is in {path}; use it with --data names")
        return 0
    except (UsageError, DatasetError, CheckpointError, ValueError) as error:
        print(f"error: {visible(str(error))}", file=sys.stderr)  # paths: no escape sequences
        return 2
    except (MemoryError, RuntimeError) as error:
        if allocation_failure(error) is None:
            raise
        print(f"error: {allocation_failure(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


def config_from_args(args: argparse.Namespace, data: DataSize) -> Config:
    """The preset sized for the data, then the values given on the command line."""
    base = preset(args.preset or "", args.model or "").for_data(data)
    values = {f.name: getattr(args, f.name) for f in setting_fields()}
    return base.with_values(**{k: v for k, v in values.items() if v is not None})


def _trainer(args: argparse.Namespace) -> Trainer:
    """The run the arguments describe, on their dataset."""
    if not 1 <= args.threads <= 256:
        raise UsageError("--threads must be from 1 to 256")
    torch.set_num_threads(args.threads)
    dataset = open_dataset(args.data, seed=args.seed if args.seed is not None else 42)
    return Trainer(dataset, config_from_args(args, dataset.train_size))


def _find_learning_rate(args: argparse.Namespace) -> int:
    if not 10 <= args.sweep_steps <= 100_000:
        raise UsageError("--sweep-steps must be from 10 to 100000")
    trainer = _trainer(args)
    finder = LearningRateFinder(trainer, steps=args.sweep_steps)
    print(
        f"{visible(trainer.dataset.name)}: {trainer.config.model}: {trainer.config.describe()}; "
        f"{args.sweep_steps} rates from {LOWEST:g} to {HIGHEST:g}",
        file=sys.stderr,
    )
    while not finder.done:
        finder.advance(10)
    sweep = finder.sweep()
    if args.json:
        result = {
            "suggested": sweep.suggested,
            "rule": RULE,
            "reason": sweep.reason,
            "rates": sweep.rates,
            "losses": sweep.losses,
            "smoothed": sweep.smoothed,
        }
        print(strict_json(result))
        return 0
    print("   rate  smoothed loss")
    for i in range(0, len(sweep.rates), max(1, len(sweep.rates) // 20)):
        print(f"{sweep.rates[i]:7.2g}  {sweep.smoothed[i]:.4f}")
    print(f"{sweep.reason}.")
    if sweep.suggested is None:
        print("no suggestion")
    else:
        print(f"suggested learning rate: {sweep.suggested:g} ({RULE})")
    return 0


def _restored(path: str, data: str | None) -> Trainer:
    """A checkpoint's run, on `data` or on the dataset it was trained on."""
    state = checkpoint.read(path)
    dataset = checkpoint.data_of(state, path, data)
    trainer = checkpoint.restore(state, dataset, path)
    warning = checkpoint.dataset_warning(state, dataset)
    if warning:
        print(f"warning: {visible(warning)}", file=sys.stderr)
    return trainer


def _score(args: argparse.Namespace) -> int:
    """Each name under the checkpoint's model, or under the counting models."""
    if args.checkpoint:
        trainers = [_restored(args.checkpoint, args.data)]
    else:
        dataset = open_dataset(args.data)
        trainers = [Trainer(dataset, preset("", f.name)) for f in FAMILIES if f.counts]
        for trainer in trainers:
            while trainer.stopped is None:
                trainer.run(1_000)
    traced, skipped = [], []
    for arg in args.names:
        for name in _stdin_lines() if arg == "-" else [arg]:
            try:
                traced.append((name, [trace(t, name) for t in trainers]))
            except ValueError as error:
                if arg != "-":  # a name asked for by itself
                    raise ValueError(f"{name!r}: {error}") from None
                skipped.append(f"{name!r}: {error}")
    if skipped:  # a list piped in: its other names are scored all the same
        more = f" (and {len(skipped) - 1:,} more)" if len(skipped) > 1 else ""
        print(f"warning: skipped {visible(skipped[0])}{more}", file=sys.stderr)
    if not traced:
        raise UsageError("no names to score on standard input")
    # Over several names, each model's loss on them all: -ln p per character predicted
    letters = sum(len(ts[0].letters) for _, ts in traced)
    overall = [sum(ts[i].total for _, ts in traced) / letters for i in range(len(trainers))]
    if args.json:
        record = {"names": [_trace_record(n, ts) for n, ts in traced]}
        if len(traced) > 1:
            record["overall"] = {
                "names": len(traced),
                "letters": letters,
                "means": overall,
                "skipped": len(skipped),
            }
        print(strict_json(record))
        return 0
    for name, traces in traced:
        print(f"{shown_name(name)}")
        print(f"  {'next':<12}" + "".join(f"{t.model + ' p  -ln p':>18}" for t in traces))
        widest = max(traces, key=lambda t: len(t.letters[0].context))
        for i, letter in enumerate(widest.letters):
            label = f"{''.join(letter.context[-8:])} → {letter.next}"  # shown as the vocabulary
            cells = "".join(
                f"{t.letters[i].probability:>10.4f}{t.letters[i].nll:>8.3f}" for t in traces
            )
            print(f"  {ljust_cells(label, 12)}{cells}")
        print(f"  {'sum':<12}" + "".join(f"{t.total:>18.3f}" for t in traces))
        print(f"  {'mean':<12}" + "".join(f"{t.mean:>18.4f}" for t in traces))
    if len(traced) > 1:
        also = f" ({len(skipped):,} skipped)" if skipped else ""
        print(f"{len(traced):,} names{also}, {letters:,} characters to predict")
        print(f"  {'mean':<12}" + "".join(f"{m:>18.4f}" for m in overall))
    return 0


def _stdin_lines() -> list[str]:
    """The names piped in, one a line, as a dataset's items are (stripped, blanks skipped)."""
    try:
        text = sys.stdin.buffer.read().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UsageError(f"standard input is not UTF-8 (byte {error.start + 1})") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def _trace_record(name: str, traces: list[NameTrace]) -> dict[str, object]:
    return {
        "name": name,
        "models": [
            {
                "model": t.model,
                "step": t.step,
                "nll": t.total,
                "mean": t.mean,
                "letters": [
                    {
                        "context": "".join(x.context),
                        "next": x.next,
                        "p": x.probability,
                        "nll": x.nll,
                    }
                    | ({} if x.count is None else {"count": x.count})
                    for x in t.letters
                ],
            }
            for t in traces
        ],
    }


def _sample(args: argparse.Namespace) -> int:
    if not 1 <= args.n <= 100_000:
        raise UsageError("-n must be from 1 to 100000")
    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise UsageError(f"--seed must be a whole number from 0 to 2**63 - 1, not {args.seed}")
    trainer = _restored(args.checkpoint, args.data)
    dataset = trainer.dataset
    options = SampleOptions(
        args.temperature, args.top_k, args.prefix, args.max_length, greedy=args.greedy
    )
    names = sample(trainer.model, dataset, args.n, options, seed=args.seed)
    if args.json:
        rows = [{"text": n.text, "logprob": n.logprob, "tag": n.tag, "cut": n.cut} for n in names]
        print(strict_json({"samples": rows}))
    else:
        for n in names:
            print(f"{ljust_cells(shown_name(n.text, n.cut), 20)} {n.logprob:8.2f}  {n.tag}")
    return 0

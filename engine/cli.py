"""The headless commands: train, sample and fetch-names, for scripts, benchmarks and tests."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import fields
from pathlib import Path
from typing import Any, NoReturn

import torch

from engine import checkpoint
from engine.checkpoint import CheckpointError
from engine.config import MODEL_PRESETS, MODELS, OPTIMIZERS, PRESETS, SCHEDULES, Config
from engine.dataset import DatasetError
from engine.sampling import SampleOptions, sample
from engine.sources import NAMES_URL, fetch_names, open_dataset
from engine.trainer import StepReport, Trainer

CHOICES = {"model": MODELS, "optimizer": OPTIMIZERS, "lr_schedule": SCHEDULES}


class UsageError(Exception):
    """Bad arguments or input: reported as one 'error:' line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="makemore-tui", description="Headless makemore-tui commands.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = commands.add_parser("train", help="train a model and report its losses")
    train.add_argument("--data", help="a text file, one item per line; 'names' for makemore's")
    train.add_argument("--preset", choices=sorted(PRESETS), help="start from these values")
    length = train.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, help="steps to train (default: the schedule's)")
    length.add_argument("--seconds", type=float, help="train for this long instead")
    train.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    train.add_argument("--save", metavar="FILE", help="write a checkpoint here")
    train.add_argument("--samples", type=int, default=10, help="names to sample at the end")
    train.add_argument("--json", action="store_true", help="end with one JSON line on stdout")
    for field in fields(Config):
        flag = "--" + field.name.replace("_", "-")
        kind = {"int": int, "float": float, "str": str}[field.type]
        train.add_argument(flag, type=kind, choices=CHOICES.get(field.name), dest=field.name)

    samp = commands.add_parser("sample", help="sample names from a checkpoint")
    samp.add_argument("--checkpoint", required=True, metavar="FILE")
    samp.add_argument("-n", type=int, default=20, help="how many names (default 20)")
    samp.add_argument("--temperature", type=float, default=1.0)
    samp.add_argument("--top-k", type=int)
    samp.add_argument("--prefix", default="")
    samp.add_argument("--max-length", type=int, default=32)
    samp.add_argument("--seed", type=int)
    samp.add_argument("--data", help="the dataset for tags (default: the one it was trained on)")
    samp.add_argument("--json", action="store_true", help="print one JSON line on stdout")

    fetch = commands.add_parser("fetch-names", help="download makemore's names.txt to the cache")
    fetch.add_argument("--url", default=NAMES_URL, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command == "train":
            return _train(args)
        if args.command == "sample":
            return _sample(args)
        path = fetch_names(args.url)
        print(f"names.txt is in {path}; use it with --data names")
        return 0
    except (UsageError, DatasetError, CheckpointError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


def config_from_args(args: argparse.Namespace) -> Config:
    base = PRESETS[args.preset or MODEL_PRESETS[args.model or "mlp"]]
    values = {f.name: getattr(args, f.name) for f in fields(Config)}
    return base.with_values(**{k: v for k, v in values.items() if v is not None})


def _train(args: argparse.Namespace) -> int:
    if args.steps is not None and args.steps < 0 or args.seconds is not None and args.seconds < 0:
        raise UsageError("--steps and --seconds must not be negative")
    if not 1 <= args.threads <= 256:
        raise UsageError("--threads must be from 1 to 256")
    torch.set_num_threads(args.threads)
    config = config_from_args(args)
    dataset = open_dataset(args.data, seed=config.seed)
    trainer = Trainer(dataset, config)
    steps = args.steps if args.steps is not None else (None if args.seconds else config.decay_steps)
    if config.model == "bigram" and args.steps is None and args.seconds is None:
        steps = math.ceil(trainer.n_train_items / config.batch_size)  # one epoch
    progress = _Progress(steps, args.seconds)
    print(
        f"{dataset.name}: {len(dataset.items):,} items, vocabulary {dataset.vocab.size}; "
        f"{config.model}: {config.describe()}",
        file=sys.stderr,
    )
    start = time.perf_counter()
    while trainer.stopped is None:
        elapsed = time.perf_counter() - start
        chunk = 100 if steps is None else min(100, steps - trainer.step)
        if chunk <= 0 or (args.seconds is not None and elapsed >= args.seconds):
            break
        report = trainer.run(chunk)
        progress.show(report, time.perf_counter() - start)
    seconds = time.perf_counter() - start
    progress.done()
    if trainer.stopped:
        print(trainer.stopped, file=sys.stderr)
    losses = trainer.evaluate(("train", "val", "test"))
    names = sample(trainer.model, dataset, args.samples, seed=config.seed) if args.samples else []
    if args.save:
        checkpoint.save(trainer, args.save)
    result: dict[str, Any] = {
        "model": config.model,
        "dataset": dataset.name,
        "steps": trainer.step,
        "seconds": round(seconds, 3),
        "steps_per_second": round(trainer.step / seconds, 1) if seconds else 0.0,
        "train_loss": losses["train"],
        "val_loss": losses["val"],
        "test_loss": losses["test"],
        "vocab_size": dataset.vocab.size,
        "config": config.as_dict(),
        "samples": [n.text for n in names],
        "stopped": trainer.stopped,
        "checkpoint": args.save,
    }
    print(
        f"{trainer.step:,} steps in {seconds:.1f} s; loss train {losses['train']:.4f}  "
        f"val {losses['val']:.4f}  test {losses['test']:.4f}"
        + (f"; saved {args.save}" if args.save else ""),
        file=sys.stderr if args.json else sys.stdout,
    )
    if names and not args.json:
        print(
            "samples: "
            + ", ".join(_show(n.text) + ("" if n.tag == "new" else f" ({n.tag})") for n in names)
        )
    if args.json:
        print(json.dumps(result))
    return 0


def _sample(args: argparse.Namespace) -> int:
    if not 1 <= args.n <= 100_000:
        raise UsageError("-n must be from 1 to 100000")
    state = checkpoint.read(args.checkpoint)
    data = args.data or state["dataset"]["path"]
    if data is None or not Path(data).is_file():
        raise UsageError(
            f"{args.checkpoint}: its dataset {data or '(none)'} is not there; name one with --data"
        )
    dataset = open_dataset(data, seed=state["dataset"]["seed"])
    trainer = checkpoint.restore(state, dataset, args.checkpoint)
    options = SampleOptions(args.temperature, args.top_k, args.prefix, args.max_length)
    names = sample(trainer.model, dataset, args.n, options, seed=args.seed)
    if args.json:
        rows = [{"text": n.text, "logprob": n.logprob, "tag": n.tag} for n in names]
        print(json.dumps({"samples": rows}))
    else:
        for n in names:
            print(f"{_show(n.text):<20} {n.logprob:8.2f}  {n.tag}")
    return 0


def _show(text: str) -> str:
    return text or "(empty)"


class _Progress:
    """One line on stderr, rewritten in place on a terminal, printed now and then otherwise."""

    def __init__(self, steps: int | None, seconds: float | None) -> None:
        self.steps, self.seconds = steps, seconds
        self.tty = sys.stderr.isatty()
        self.last = -math.inf

    def show(self, report: StepReport, elapsed: float) -> None:
        interval = 0.2 if self.tty else 5.0
        if elapsed - self.last < interval:
            return
        self.last = elapsed
        total = f"/{self.steps:,}" if self.steps else ""
        line = (
            f"step {report.step:,}{total}  loss {report.loss:.4f}  lr {report.learning_rate:.3g}  "
            f"{report.steps_per_second:,.0f} steps/s  {elapsed:.0f} s"
        )
        print(
            ("\r" + line + "\033[K") if self.tty else line,
            end="" if self.tty else "\n",
            file=sys.stderr,
            flush=True,
        )

    def done(self) -> None:
        if self.tty and self.last > -math.inf:
            print(file=sys.stderr)

"""The headless commands (train, lr-find, sample, fetch-names): for scripts, benchmarks, tests."""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import Field, fields
from functools import partial
from pathlib import Path
from typing import Any, NoReturn

import torch

from engine import checkpoint, freeze_survivors
from engine.checkpoint import CheckpointError
from engine.config import FROM_TEXT, RunConfig
from engine.dataset import SPLITS, DatasetError, visible
from engine.diagnostics import diagnose
from engine.families import FAMILIES, NAMES, preset, preset_names
from engine.families.base import Config
from engine.judge import Stop, StopReason
from engine.lr_finder import HIGHEST, LOWEST, RULE, STEPS, LearningRateFinder
from engine.memory import allocation_failure, failure_text
from engine.policy import RunPolicy, steps_per_call
from engine.protocol import Capability
from engine.sampling import SampleOptions, sample
from engine.sources import NAMES_URL, fetch_names, open_dataset
from engine.trainer import StepReport, Trainer

CALL_SECONDS = 0.2  # training between two looks at the clock and the progress line


class UsageError(Exception):
    """Bad arguments or input: reported as one 'error:' line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="makemore-tui", description="Headless makemore-tui commands.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = commands.add_parser("train", help="train a model and report its losses")
    _add_run_arguments(train)
    length = train.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, help="steps to train (default: the schedule's)")
    length.add_argument("--seconds", type=finite, help="train for this long instead")
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
    train.add_argument("--samples", type=int, default=10, help="names to sample at the end")
    train.add_argument("--json", action="store_true", help="end with one JSON line on stdout")
    train.add_argument(
        "--diagnostics",
        action="store_true",
        help="the MLP's activation and gradient statistics at the end (in the JSON)",
    )

    finder = commands.add_parser(
        "lr-find", help="sweep the learning rate on the model's first steps and suggest one"
    )
    _add_run_arguments(finder)
    finder.add_argument("--sweep-steps", type=int, default=STEPS, help=f"rates (default {STEPS})")
    finder.add_argument("--json", action="store_true", help="print one JSON line on stdout")

    samp = commands.add_parser("sample", help="sample names from a checkpoint")
    samp.add_argument("--checkpoint", required=True, metavar="FILE")
    samp.add_argument("-n", type=int, default=20, help="how many names (default 20)")
    samp.add_argument("--temperature", type=finite, default=1.0)
    samp.add_argument("--top-k", type=int)
    samp.add_argument("--prefix", default="")
    samp.add_argument("--max-length", type=int, default=32)
    samp.add_argument("--seed", type=int)
    samp.add_argument("--data", help="the dataset for tags (default: the one it was trained on)")
    samp.add_argument("--json", action="store_true", help="print one JSON line on stdout")

    fetch = commands.add_parser("fetch-names", help="download makemore's names.txt to the cache")
    fetch.add_argument("--url", default=NAMES_URL, help=argparse.SUPPRESS)
    return parser


def finite(text: str) -> float:
    """A float flag: a number, never nan or inf (`--seconds nan` would never end)."""
    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text}")
    return value


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The data, the preset, a flag for every hyperparameter, and the threads."""
    parser.add_argument("--data", help="a text file, one item per line; 'names' for makemore's")
    parser.add_argument("--model", choices=NAMES, help="the model family (default mlp)")
    parser.add_argument(
        "--preset",
        choices=preset_names(),
        help="start from these values: "
        + "; ".join(f"{f.name}: {', '.join(f.presets)}" for f in FAMILIES),
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    for field in setting_fields():
        flag = "--" + field.name.replace("_", "-")
        kind = finite if field.type == "float" else FROM_TEXT[field.type]
        choices = field.metadata.get("choices") or None
        parser.add_argument(flag, type=kind, choices=choices, dest=field.name)


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
            return _train(args)
        if args.command == "sample":
            return _sample(args)
        if args.command == "lr-find":
            return _find_learning_rate(args)
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


def config_from_args(args: argparse.Namespace, train_examples: int) -> Config:
    """The preset sized for the data, then the values given on the command line."""
    base = preset(args.preset or "", args.model or "").for_data(train_examples)
    values = {f.name: getattr(args, f.name) for f in setting_fields()}
    return base.with_values(**{k: v for k, v in values.items() if v is not None})


def _trainer(args: argparse.Namespace) -> Trainer:
    """The run the arguments describe, on their dataset."""
    if not 1 <= args.threads <= 256:
        raise UsageError("--threads must be from 1 to 256")
    torch.set_num_threads(args.threads)
    dataset = open_dataset(args.data, seed=args.seed if args.seed is not None else 42)
    return Trainer(dataset, config_from_args(args, int(dataset.item_offsets("train")[-1])))


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


def _train(args: argparse.Namespace) -> int:
    if args.steps is not None and args.steps < 0 or args.seconds is not None and args.seconds < 0:
        raise UsageError("--steps and --seconds must not be negative")
    if not 0 <= args.samples <= 100_000:
        raise UsageError("--samples must be from 0 to 100000")
    if args.save:  # before training: a run is never lost to a path that cannot take it
        checkpoint.check_target(args.save, replace=True, force=args.force)
    trainer = _trainer(args)
    dataset, config = trainer.dataset, trainer.config
    counting = trainer.family.counts
    if args.steps is not None:
        steps: int | None = args.steps
    elif counting or args.seconds:
        steps = None  # one epoch (it stops once it has counted every item), or the time
    else:
        steps = config.run.schedule_steps(trainer.train_examples)
    policy = RunPolicy(trainer, steps, early_stop=not args.no_early_stop)
    progress = _Progress(steps, args.seconds)
    print(
        f"{visible(dataset.name)}: {len(dataset.items):,} items, vocabulary {dataset.vocab.size}; "
        f"{config.model}: {config.describe()}",
        file=sys.stderr,
    )
    start = time.perf_counter()
    early_stop = interrupted = None
    # The run is saved whatever fails in or after it: an evaluation or sampling that runs out
    # of memory, a model that gives no valid probabilities, a terminal that cannot show a name.
    failures: list[str] = []
    per_call = 1  # steps per trainer.run(): as many as take CALL_SECONDS, once the speed is known
    try:
        while n := policy.next_steps(per_call):
            if args.seconds is not None and time.perf_counter() - start >= args.seconds:
                break
            report = trainer.run(n)
            per_call = steps_per_call(report.steps_per_second, CALL_SECONDS, 1000)
            progress.show(report, time.perf_counter() - start)
            if policy.val_due():
                trainer.evaluate(("val",))
                if early_stop := policy.stall():
                    break
    except KeyboardInterrupt:  # the run so far is reported, and saved if asked
        interrupted = Stop(StopReason.INTERRUPTED, f"interrupted (Ctrl+C) at step {trainer.step:,}")
    except Exception as error:
        failures.append(f"training stopped at step {trainer.step:,}: {failure_text(error)}")
    seconds = time.perf_counter() - start
    progress.done()
    stopped = trainer.stopped or early_stop or interrupted
    if stopped:
        print(stopped.text, file=sys.stderr)

    def attempt(what: str, action: Callable[[], Any], otherwise: Any = None) -> Any:
        try:
            return action()
        except Exception as error:
            failures.append(f"{what} failed: {failure_text(error)}")
            return otherwise

    def final_losses() -> dict[str, float]:
        trainer.evaluate(("val",))  # the last weights' val, for the best to be judged on
        if not args.keep_last:
            trainer.use_best_weights()
        return trainer.evaluate(("train", "val", "test"))

    unknown = dict.fromkeys(SPLITS, math.nan)
    losses = attempt("the final evaluation", final_losses, unknown)
    save_error = _save(trainer, args.save) if args.save else None
    names = []
    if args.samples:
        draw = partial(sample, trainer.model, dataset, args.samples, seed=config.run.seed)
        names = attempt("sampling", draw, [])
    if counting:
        weights = "counted"
    else:
        weights = "last" if args.keep_last else f"best (step {trainer.best_step:,})"
    result: dict[str, Any] = {
        "model": config.model,
        "dataset": dataset.name,
        "steps": trainer.step,
        "seconds": round(seconds, 3),
        "steps_per_second": round(trainer.step / seconds, 1) if seconds else 0.0,
        "initial_loss": trainer.initial_loss,
        "weights": "last" if args.keep_last else "best",
        "train_loss": losses["train"],
        "val_loss": losses["val"],
        "test_loss": losses["test"],
        "best_val_loss": trainer.best_val,
        "best_step": trainer.best_step,
        "best_test_loss": losses["test"] if not args.keep_last else None,
        "vocab_size": dataset.vocab.size,
        "parameters": trainer.parameter_count(),
        "evaluated_examples": {s: trainer.evaluated_examples(s) for s in SPLITS},
        "config": config.as_dict(),
        "samples": [n.text for n in names],
        "stopped": stopped.text if stopped else None,
        "stop_reason": (stopped.reason if stopped else StopReason.DONE).value,
        "checkpoint": args.save if args.save and not save_error else None,
    }
    if args.diagnostics and Capability.DIAGNOSTICS in trainer.family.capabilities:
        diagnostics = attempt("the diagnostics", lambda: _diagnostics(trainer))
        if diagnostics is not None:
            result["diagnostics"] = diagnostics
    unbounded = [k for k in SPLITS if not math.isfinite(losses[k])]
    if unbounded and losses is not unknown:  # null in the JSON: say why
        result["loss_note"] = f"{', '.join(unbounded)} loss infinite: " + (
            trainer.family.loss_note(config)
        )
    if args.keep_last:
        trainer.use_best_weights()
        result["best_test_loss"] = attempt(
            "the best weights' test loss", lambda: trainer.split_loss("test")
        )
    print(
        f"{trainer.step:,} steps in {seconds:.1f} s; {weights}: loss "
        f"train {losses['train']:.4f}  val {losses['val']:.4f}  test {losses['test']:.4f}"
        + (
            f"; saved {visible(args.save)} with the {weights} weights"
            if args.save and not save_error
            else ""
        ),
        file=sys.stderr if args.json else sys.stdout,
    )
    if trainer.evaluated_examples("train") < trainer.train_examples:
        print(
            f"losses on the first {trainer.evaluated_examples('train'):,} examples of each "
            "split (items shuffled)",
            file=sys.stderr if args.json else sys.stdout,
        )
    if names and not args.json:
        print(
            "samples: "
            + ", ".join(_show(n.text) + ("" if n.tag == "new" else f" ({n.tag})") for n in names)
        )
    if failures:
        result["errors"] = failures
    if args.json:
        print(strict_json(result))
    for failure in [*failures, *([save_error] if save_error else [])]:
        print(f"error: {visible(failure)}", file=sys.stderr)
    if failures or save_error:
        return 2
    return 130 if interrupted else 0


def _diagnostics(trainer: Trainer) -> dict[str, Any]:
    found = diagnose(trainer, {})
    return {
        "layers": [
            {
                "name": layer.name,
                "saturation": layer.saturation,
                "act_mean": layer.act_mean,
                "act_std": layer.act_std,
                "grad_std": layer.grad_std,
            }
            for layer in found.layers
        ],
        "weights": [
            {
                "name": w.name,
                "grad_to_data": w.grad_to_data,
                "update_to_data_log10": w.update_to_data_log10,
            }
            for w in found.weights
        ],
    }


def _save(trainer: Trainer, path: str) -> str | None:
    """Save; if that fails (a full disk, a directory gone read-only), save to the temporary
    directory instead, and say where: the run is never lost."""
    try:
        checkpoint.save(trainer, path)
        return None
    except OSError as error:
        fd, rescue = tempfile.mkstemp(prefix="makemore-tui-rescued-", suffix=".pt")
        os.close(fd)
        try:
            checkpoint.save(trainer, rescue)
        except OSError:
            Path(rescue).unlink(missing_ok=True)
            return f"cannot write {path} ({error.strerror or error}), nor a copy elsewhere"
        return f"cannot write {path} ({error.strerror or error}); the checkpoint is in {rescue}"


def strict_json(value: Any) -> str:
    """JSON that strict parsers read: an infinite or NaN loss is null (the text says why)."""

    def finite(item: Any) -> Any:
        if isinstance(item, float) and not math.isfinite(item):
            return None
        if isinstance(item, dict):
            return {k: finite(v) for k, v in item.items()}
        if isinstance(item, list):
            return [finite(v) for v in item]
        return item

    return json.dumps(finite(value), allow_nan=False)


def _sample(args: argparse.Namespace) -> int:
    if not 1 <= args.n <= 100_000:
        raise UsageError("-n must be from 1 to 100000")
    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise UsageError(f"--seed must be a whole number from 0 to 2**63 - 1, not {args.seed}")
    state = checkpoint.read(args.checkpoint)
    data = args.data or state["dataset"]["path"]
    if data is None or not args.data and not os.path.lexists(data):
        raise UsageError(
            f"{args.checkpoint}: its dataset {data or '(none)'} is not there; name one with --data"
        )
    dataset = open_dataset(data, seed=state["dataset"]["seed"])  # says what is wrong with it
    trainer = checkpoint.restore(state, dataset, args.checkpoint)
    warning = checkpoint.dataset_warning(state, dataset)
    if warning:
        print(f"warning: {visible(warning)}", file=sys.stderr)
    options = SampleOptions(args.temperature, args.top_k, args.prefix, args.max_length)
    names = sample(trainer.model, dataset, args.n, options, seed=args.seed)
    if args.json:
        rows = [{"text": n.text, "logprob": n.logprob, "tag": n.tag} for n in names]
        print(strict_json({"samples": rows}))
    else:
        for n in names:
            print(f"{_show(n.text):<20} {n.logprob:8.2f}  {n.tag}")
    return 0


def _show(text: str) -> str:
    return visible(text) or "(empty)"


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

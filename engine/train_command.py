"""The train command: a run from the command line, reported as lines and as JSON, sampled,
and saved whatever fails in or after it."""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from engine import checkpoint
from engine.cli_output import Progress, UsageError, shown_name, strict_json
from engine.dataset import SPLITS, visible
from engine.diagnostics import diagnose
from engine.judge import Stop, StopReason
from engine.memory import failure_text
from engine.policy import RunPolicy, steps_per_call
from engine.protocol import Capability, Sample
from engine.sampling import sample
from engine.trainer import Trainer
from engine.words import counted

CALL_SECONDS = 0.2  # training between two looks at the clock and the progress line


def train(args: argparse.Namespace, trainer_of: Callable[[argparse.Namespace], Trainer]) -> int:
    """The train command: the run the arguments describe (trainer_of), reported, sampled and
    saved whatever fails in or after it."""
    if args.steps is not None and args.seconds is not None:
        raise UsageError("give --steps or --seconds, not both")
    if args.seconds is not None and args.seconds < 0:
        raise UsageError("--seconds must not be negative")
    if not 0 <= args.samples <= 100_000:
        raise UsageError("--samples must be from 0 to 100000")
    if args.save:  # before training: a run is never lost to a path that cannot take it
        checkpoint.check_target(args.save, replace=True, force=args.force)
    trainer = trainer_of(args)
    dataset, config = trainer.dataset, trainer.config
    counting = trainer.family.counts
    if config.run.steps:  # the run's budget: --steps, or its preset's
        steps: int | None = config.run.steps
    elif counting or args.seconds:
        steps = None  # one epoch (it stops once it has counted every item), or the time
    else:
        steps = config.run.schedule_steps(trainer.epoch_size)
    policy = RunPolicy(trainer, steps, args.seconds, early_stop=not args.no_early_stop)
    progress = Progress(steps, args.seconds)
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
        while n := policy.next_steps(per_call, time.perf_counter() - start):
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
    progress.working("measuring the losses on train, val and test")
    losses = attempt("the final evaluation", final_losses, unknown)
    save_error = _save(trainer, args.save) if args.save else None
    names = []
    if args.samples:
        draw = partial(sample, trainer.model, dataset, args.samples, seed=config.run.seed)
        names = attempt("sampling", draw, [])
    if counting:  # cut short by --seconds or --steps, the counts are of part of the data
        share = min(1.0, trainer.epoch)
        weights = "counted" if share == 1 else f"counted {share:.1%} of the training split"
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
        "parameters": trainer.model.parameter_count(),
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
    progress.clear()
    print(
        f"{counted(trainer.step, 'step')} in {seconds:.1f} s; {weights}: loss "
        f"train {losses['train']:.4f}  val {losses['val']:.4f}  test {losses['test']:.4f}"
        + (
            f"; saved {visible(args.save)} with the {weights} weights"
            if args.save and not save_error
            else ""
        ),
        file=sys.stderr if args.json else sys.stdout,
    )
    cut = [
        f"{split} on the first {trainer.evaluated_examples(split):,} of its {every:,}"
        for split in SPLITS
        if trainer.evaluated_examples(split) < (every := len(trainer.dataset.examples(split)))
    ]
    if cut:
        print(
            f"losses measured on part of a large split (items shuffled): {'; '.join(cut)}",
            file=sys.stderr if args.json else sys.stdout,
        )
    if names and not args.json:
        print("samples: " + ", ".join(_tagged(n) for n in names))
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


def _tagged(name: Sample) -> str:
    return shown_name(name.text, name.cut) + ("" if name.tag == "new" else f" ({name.tag})")

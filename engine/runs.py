"""Every run of every session, one row each, kept in a small file: what was tried, and how
well it did (the seed post's exercise 2, "improve the neural network")."""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from engine.config import Config
from engine.protocol import RunRow
from engine.trainer import Trainer

KEEP_RUNS = 1000  # the file keeps the newest this many


def data_dir() -> Path:
    """Where the app keeps its runs: $MAKEMORE_TUI_HOME, or the XDG data directory."""
    if os.environ.get("MAKEMORE_TUI_HOME"):
        return Path(os.environ["MAKEMORE_TUI_HOME"])
    root = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(root) / "makemore-tui"


def runs_path() -> Path:
    return data_dir() / "runs.jsonl"


@dataclass
class Run:
    """One run as written to the file: a row of the table, and the values to bring it back."""

    id: str  # when it started, to the microsecond: unique within the file
    dataset: str
    config: dict[str, object]
    changes: dict[str, object]  # the values that differ from its preset's
    steps: int
    seconds: float
    best_val: float | None
    best_test: float | None  # of the weights of the best val loss
    parameters: int
    extra: dict[str, object] = field(default_factory=dict)  # room for later fields

    def row(self, current: bool) -> RunRow:
        config = self.config
        return RunRow(
            id=self.id,
            dataset=self.dataset,
            model=str(config["model"]),
            preset=str(config.get("preset") or ""),
            changes={
                k: f"{v:g}" if isinstance(v, float) else str(v) for k, v in self.changes.items()
            },
            steps=self.steps,
            seconds=self.seconds,
            best_val=self.best_val,
            best_test=self.best_test,
            parameters=self.parameters,
            current=current,
        )


class RunLog:
    """The runs of earlier sessions (read from the file) and of this one, newest last."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.runs: dict[str, Run] = {}
        if path is not None and path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    run = Run(**json.loads(line))
                except (ValueError, TypeError):  # a line from another version: skipped
                    continue
                self.runs[run.id] = run

    def record(self, trainer: Trainer) -> Run | None:
        """Add or update the row of this trainer's run; none before its first step."""
        if trainer.step == 0:
            return None
        has_best = trainer.best_val < math.inf
        run = Run(
            id=trainer.started,
            dataset=trainer.dataset.name,
            config=trainer.config.as_dict(),
            changes=trainer.config.differences(trainer.train_examples, trainer.dataset.vocab.size),
            steps=trainer.step,
            seconds=round(trainer.seconds, 1),
            best_val=trainer.best_val if has_best else None,
            best_test=trainer.best_test() if has_best else None,
            parameters=trainer.parameter_count(),
        )
        self.runs[run.id] = run
        return run

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        newest = list(self.runs.values())[-KEEP_RUNS:]
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text("".join(json.dumps(asdict(r)) + "\n" for r in newest), "utf-8")
        temporary.replace(self.path)

    def rows(self, current: set[str]) -> list[RunRow]:
        """Every run, the best val loss first; runs without one last."""
        rows = [run.row(run.id in current) for run in self.runs.values()]
        return sorted(rows, key=lambda r: (r.best_val is None, r.best_val or 0.0))

    def config_of(self, run_id: str) -> Config:
        if run_id not in self.runs:
            raise ValueError(f"no run {run_id}")
        known = {f.name for f in fields(Config)}
        return Config(**{k: v for k, v in self.runs[run_id].config.items() if k in known})

    def export_csv(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(
                ["id", "dataset", "model", "preset", "changes", "steps", "seconds"]
                + ["best_val", "best_test", "parameters"]
            )
            for row in self.rows(set()):
                changes = " ".join(f"{k}={v}" for k, v in row.changes.items())
                writer.writerow(
                    [row.id, row.dataset, row.model, row.preset, changes, row.steps, row.seconds]
                    + [row.best_val, row.best_test, row.parameters]
                )


def _text(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)

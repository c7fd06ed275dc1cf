"""Every run of every session, one row each, kept in a small file: what was tried, and how
well it did (the seed post's exercise 2, "improve the neural network")."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import math
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from engine.dataset import Dataset, visible
from engine.families import config_from_dict
from engine.families.base import Config
from engine.files import FileRefused, data_dir, read_regular, write_atomic
from engine.history import downsampled
from engine.kept import run_name
from engine.protocol import Curve, RunRow
from engine.trainer import Trainer

KEEP_RUNS = 1000  # the file keeps the newest this many
CURVE_POINTS = 100  # each run's train and val curves, downsampled to this many points


def runs_path() -> Path | None:
    directory = data_dir()
    return None if directory is None else directory / "runs.jsonl"


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

    @property
    def name(self) -> str:
        return run_name(self.config, self.changes)

    def trained_on(self, dataset: Dataset) -> bool:
        """Whether it trained on this data: the same items (a row written before the table
        kept their digest: the same file name)."""
        digest = self.extra.get("sha256")
        return digest == dataset.sha256 if isinstance(digest, str) else self.dataset == dataset.name

    def row(self, current: bool, kept: bool, same_data: bool = True) -> RunRow:
        config = self.config
        return RunRow(
            id=self.id,
            dataset=visible(self.dataset),
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
            kept=kept,
            same_data=same_data,
        )


class RunLog:
    """The runs of every session (read from the file) and of this one, newest last.

    Several sessions share the file (two apps, every browser of a `serve`): each appends the
    rows it changed, under a lock, and reads the others' before it trims the file; a row of
    a run that goes on is appended again, and the last one read is the run's. Recording is
    best effort: a file that cannot be read or written never stops a session's work."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.runs: dict[str, Run] = {}
        self.skipped = 0  # lines of the file that were not a run (another version, damage)
        self.failure: str | None = None  # why the file could not be read or written, if so
        self._own: set[str] = set()  # the runs of this session
        self._written: dict[str, Run] = {}  # each run as the file has it, as far as we know
        if path is not None:
            self._guarded(self._read)

    def record(self, trainer: Trainer) -> Run | None:
        """Add or update the row of this trainer's run; none before its first step."""
        if trainer.step == 0:
            return None
        has_best = trainer.best_val < math.inf
        run = Run(
            id=trainer.started,
            dataset=trainer.dataset.name,
            config=trainer.config.as_dict(),
            changes=trainer.config.differences(trainer.data_size, trainer.dataset.vocab.size),
            steps=trainer.step,
            seconds=round(trainer.seconds, 1),
            best_val=trainer.best_val if has_best else None,
            best_test=trainer.best_test() if has_best else None,
            parameters=trainer.model.parameter_count(),
            extra={
                "sha256": trainer.dataset.sha256,
                "curves": {
                    "train": downsampled(trainer.train_history, CURVE_POINTS),
                    "val": downsampled(trainer.val_history, CURVE_POINTS),
                },
            },
        )
        self.runs[run.id] = run
        self._own.add(run.id)
        return run

    def save(self) -> None:
        """Append the rows that changed, and take in those of the other sessions."""
        if self.path is not None:
            self._guarded(self._append)

    def forget(self, run_ids: set[str]) -> None:
        """Take these runs out, of the file too: it is written again without them."""
        for run_id in run_ids:
            self.runs.pop(run_id, None)
            self._own.discard(run_id)
        if self.path is not None:
            self._guarded(lambda: self._rewrite_without(run_ids))

    def _rewrite_without(self, run_ids: set[str]) -> None:
        assert self.path is not None
        if not os.path.lexists(self.path):
            return
        with _locked(self.path):
            _check_regular(self.path)
            theirs, self.skipped, _ = _parse(read_regular(self.path, MAX_RUNS_BYTES))
            left = [run for run in theirs.values() if run.id not in run_ids]
            _write(self.path, left)
        mine = {r.id: r for r in self.runs.values() if r.id in self._own}
        self.runs = {**{r.id: r for r in left}, **mine}
        self._written = {r.id: r for r in left}

    def _guarded(self, action: Callable[[], None]) -> None:
        try:
            action()
            self.failure = None
        except (OSError, FileRefused) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            self.failure = f"the runs table is not kept in {visible(str(self.path))}: {reason}"

    def _read(self) -> None:
        assert self.path is not None
        if os.path.lexists(self.path):
            _check_regular(self.path)
            self.runs, self.skipped, _ = _parse(read_regular(self.path, MAX_RUNS_BYTES))
            self._written = dict(self.runs)

    def _append(self) -> None:
        assert self.path is not None
        mine = {r.id: r for r in self.runs.values() if r.id in self._own}
        changed = [r for r in mine.values() if self._written.get(r.id) != r]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(self.path):
            theirs, lines = {}, 0
            if os.path.lexists(self.path):
                _check_regular(self.path)
                theirs, self.skipped, lines = _parse(read_regular(self.path, MAX_RUNS_BYTES))
            if lines + len(changed) > 2 * KEEP_RUNS:  # trim: the newest runs, rewritten
                _write(self.path, list({**theirs, **mine}.values())[-KEEP_RUNS:])
            elif changed:
                flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | NO_FOLLOW
                with os.fdopen(os.open(self.path, flags, 0o666), "ab") as file:
                    file.write("".join(json.dumps(asdict(r)) + "\n" for r in changed).encode())
                    file.flush()
                    os.fsync(file.fileno())
        self.runs = {**theirs, **mine}
        self._written = {**theirs, **{r.id: r for r in changed}}

    def rows(
        self, current: set[str], kept: set[str] = frozenset(), data: Dataset | None = None
    ) -> list[RunRow]:
        """Every run, the best val loss first, runs without one last; with `data`, the runs
        on it before the others (losses on other data do not compare), these by dataset.
        `current`: the runs of the session's models now; `kept`: those whose weights the
        session keeps."""
        rows = [
            run.row(run.id in current, run.id in kept, data is None or run.trained_on(data))
            for run in self.runs.values()
        ]
        return sorted(
            rows,
            key=lambda r: (
                not r.same_data,
                "" if r.same_data else r.dataset,
                r.best_val is None,
                r.best_val or 0.0,
            ),
        )

    def config_of(self, run_id: str) -> Config:
        return config_from_dict(self._run(run_id).config)

    def curves_of(self, run_id: str) -> tuple[Curve, Curve]:
        """Its train and val curves as recorded (none, for a row of an older version)."""
        curves = self._run(run_id).extra.get("curves")
        if not isinstance(curves, dict):
            return ([], []), ([], [])
        return _curve(curves.get("train")), _curve(curves.get("val"))

    def name_of(self, run_id: str) -> str:
        return self._run(run_id).name

    def _run(self, run_id: str) -> Run:
        if run_id not in self.runs:
            raise ValueError(f"no run {run_id}")
        return self.runs[run_id]

    def csv_text(self) -> str:
        table = io.StringIO()
        writer = csv.writer(table)
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
        return table.getvalue()


MAX_RUNS_BYTES = 64 * 2**20  # 2 x KEEP_RUNS rows are about 2 MiB: anything far larger is not ours
NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
# Each field's type in the file: a row of other types is skipped, never shown or brought back.
_TYPES: dict[str, tuple[type, ...]] = {
    "id": (str,),
    "dataset": (str,),
    "config": (dict,),
    "changes": (dict,),
    "steps": (int,),
    "seconds": (int, float),
    "best_val": (int, float, type(None)),
    "best_test": (int, float, type(None)),
    "parameters": (int,),
    "extra": (dict,),
}


def _parse(raw: bytes) -> tuple[dict[str, Run], int, int]:
    """The runs of the file's lines (the last line of a run is the run), how many lines were
    skipped (not UTF-8, not JSON, nested too deep, fields of other names or types), and how
    many lines there were."""
    runs: dict[str, Run] = {}
    skipped = lines = 0
    for line in raw.splitlines():
        if not line.strip():
            continue
        lines += 1
        try:
            values = json.loads(line.decode("utf-8"))
            run = _run(values)
        except (ValueError, TypeError, RecursionError):
            skipped += 1
            continue
        runs.pop(run.id, None)  # a run appended again is at its newest place
        runs[run.id] = run
    return runs, skipped, lines


def _write(path: Path, runs: list[Run]) -> None:
    """The file as these runs alone, one line each."""
    text = "".join(json.dumps(asdict(run)) + "\n" for run in runs).encode()
    write_atomic(path, lambda file: file.write(text))


def _run(values: object) -> Run:
    if not isinstance(values, dict) or set(values) - set(_TYPES):
        raise ValueError("not a run")
    for name, kinds in _TYPES.items():
        if name in values and (
            not isinstance(values[name], kinds) or isinstance(values[name], bool)
        ):
            raise TypeError(name)
    if not isinstance(values.get("config", {}).get("model"), str):
        raise TypeError("config")
    return Run(**values)


def _curve(value: object) -> Curve:
    """A curve as the file has it, or none where it is not two lists of numbers."""
    if (
        isinstance(value, list | tuple)  # a tuple until it has been through the file
        and len(value) == 2
        and all(isinstance(part, list) for part in value)
        and len(value[0]) == len(value[1])
        and all(isinstance(v, int | float) for part in value for v in part)
    ):
        return list(value[0]), list(value[1])
    return [], []


def _check_regular(path: Path) -> None:
    mode = os.lstat(path).st_mode
    if not stat.S_ISREG(mode):
        kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
        raise FileRefused(f"{kind}, left as it is")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """The runs file to this process alone, among the sessions that take the same lock."""
    lock = path.with_name(f".{path.name}.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | NO_FOLLOW, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)

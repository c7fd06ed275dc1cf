"""One interactive session: a dataset, a trainer per model, the sampling options and the names
made so far; and the views the app draws of them. The one facade the engine server drives.
"""

from __future__ import annotations

import csv
import io
import math
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import torch

from engine import checkpoint
from engine.dataset import Dataset, visible
from engine.diagnostics import diagnose
from engine.errors import AskFirst
from engine.families import FAMILIES, NAMES, changes_in_words, family, switch_preset
from engine.families.base import NEW_MODEL_MARK
from engine.files import Exists, FileRefused, check_target, expand, write_atomic
from engine.history import LossHistory
from engine.inside import inside_view
from engine.kept import KEPT_NOTE, KeptRuns, run_name
from engine.lr_finder import LearningRateFinder
from engine.protocol import (
    BigramView,
    Capability,
    Curve,
    DiagnosticsView,
    EmbeddingView,
    GeneratorView,
    HyperparameterView,
    InsideView,
    LossView,
    RunsView,
    Sample,
    SamplingView,
    StatusView,
    TraceView,
    View,
)
from engine.runs import RunLog, runs_path
from engine.sampling import SAMPLING_HINTS, SampleOptions, StreamState, stream
from engine.sources import open_dataset
from engine.trace import trace
from engine.trainer import Evaluation, StepReport, Trainer
from engine.tries import TRIES_VIEW, tried
from engine.views import EMBEDDING_HINT, FAMILIES_VIEW, bigram_source, bigram_view, embedding_2d
from engine.words import counted, listed

KEEP_NAMES = 200  # finished names remembered, newest first, for the export
DIAGNOSTICS_SECONDS = 1.0  # the diagnostics view is made at most this often while training
# Quitting asks first for a run that trained this long since it was last saved: one that
# trained less is quicker to train again than to save.
ASK_BEFORE_LOSING_SECONDS = 10.0
EMBEDDING_POINTS = 100  # the embedding panel's points, at most
PRESET_LESSONS = {  # "model preset" → what it teaches: for the help screen and the form
    f"{f.name} {name}": preset.lesson for f in FAMILIES for name, preset in f.presets.items()
}


@dataclass(frozen=True)
class MadeName:
    """A name the session made, with what made it: for the export."""

    HEADER = ("name", "logprob", "tag", "model", "step", "temperature", "top_k", "prefix")
    sample: Sample
    model: str
    step: int
    options: SampleOptions

    def row(self) -> list[str]:
        s, o = self.sample, self.options
        top_k = "" if o.top_k is None else str(o.top_k)
        return [s.text, f"{s.logprob:.4f}", s.tag, self.model, str(self.step)] + [
            f"{o.temperature:g}",
            top_k,
            o.prefix,
        ]


@dataclass
class Session:
    dataset: Dataset
    trainers: dict[str, Trainer] = field(default_factory=dict)
    active: str = NAMES[0]
    options: SampleOptions = field(default_factory=SampleOptions)
    sample_seed: int = 0
    names: deque[MadeName] = field(default_factory=lambda: deque(maxlen=KEEP_NAMES))
    runs: RunLog = field(default_factory=lambda: RunLog(runs_path()))
    finder: LearningRateFinder | None = None  # a learning-rate sweep under way or shown
    warning: str | None = None  # about the checkpoint it opened with, for the user
    # A run's id (Trainer.started) -> its step and seconds trained when last saved or loaded
    saved_at: dict[str, tuple[int, float]] = field(default_factory=dict)
    kept: KeptRuns = field(default_factory=KeptRuns)  # replaced runs, weights and all
    notice: str | None = None  # for the user, once: a kept run that had to be dropped
    compared: tuple[str, ...] = ()  # runs whose curves the loss panel sets side by side
    watching: bool = False  # the diagnostics screen is open: its view is made with the others
    inside: str | None = None  # the name a sequence model's inside screen shows, while open
    # Each weight's update:data ratios so far, of the run they were measured in
    _updates: tuple[str, dict[str, list[tuple[int, float]]]] = ("", {})
    _last_diagnostics: tuple[float, DiagnosticsView] | None = None  # (when, what)
    _last_inside: tuple[float, InsideView] | None = None  # (when, what)
    _bigram_cache: tuple[tuple[object, ...], BigramView] | None = None  # (what it shows, view)
    _seeded: torch.Generator = field(default_factory=torch.Generator)  # options.seed's draws
    _presets_cache: tuple[tuple[object, int], dict[str, dict[str, str]]] | None = None

    @classmethod
    def open(cls, data: str | None = None, checkpoint_path: str | None = None) -> Session:
        if checkpoint_path is not None:
            state = checkpoint.read(checkpoint_path)
            dataset = checkpoint.data_of(state, checkpoint_path, data)
            trainer = checkpoint.restore(state, dataset, checkpoint_path)
            session = cls(dataset, {trainer.config.model: trainer}, active=trainer.config.model)
            session._mark_saved(trainer)
            session.warning = checkpoint.dataset_warning(state, dataset)
            return session
        return cls(open_dataset(data))

    @property
    def trainer(self) -> Trainer:
        if self.active not in self.trainers:
            self.trainers[self.active] = Trainer(self.dataset, family(self.active).preset())
        return self.trainers[self.active]

    def next_model(self) -> str | None:
        """Switch to the next model that can run on this data; why any was skipped (one too
        large for the memory, as the neural bigram at |V| = 20,000), or None."""
        skipped = []
        for _ in NAMES:
            self.active = NAMES[(NAMES.index(self.active) + 1) % len(NAMES)]
            try:
                self.trainer  # noqa: B018 (made now: it may not fit)
            except ValueError as error:
                skipped.append(f"Skipped the {self.active}: {error}.")
                continue
            break
        return " ".join(skipped) or None

    def select_model(self, name: str, preset: str = "") -> None:
        """Switch to this model, if it can run on this data (see next_model); one not made
        yet is made with `preset`, if given."""
        family(name)  # a ValueError names the ones there are
        previous, self.active = self.active, name
        try:
            if preset and name not in self.trainers:
                self.trainers[name] = Trainer(self.dataset, family(name).preset(preset))
            self.trainer  # noqa: B018 (made now: it may not fit)
        except ValueError as error:
            self.active = previous
            raise ValueError(f"The {name} cannot run here: {error}.") from None

    def train(self, steps: int, cancel: threading.Event | None = None) -> StepReport:
        return self.trainer.run(steps, cancel)

    def reset(self, confirmed: bool = False) -> None:
        """Start the current model over; a trained run not saved since is replaced only once
        the user has confirmed (AskFirst). It is kept (KeptRuns)."""
        trainer = self.trainer
        if not confirmed and self._unsaved(trainer):
            raise AskFirst(
                f"Reset the {self.active}? Its {_start_over(trainer.step)} (not saved); {KEPT_NOTE}"
            )
        self._replace(Trainer(self.dataset, trainer.config))

    def reconfigure(self, values: dict[str, str], confirmed: bool = False) -> bool:
        """Apply hyperparameters typed in a form; returns True when they need a new model,
        which replaces a trained run not saved since only once the user has confirmed
        (AskFirst). A ValueError says what is wrong and leaves all as it was."""
        unknown = set(values) - set(self.trainer.family.form())
        if unknown:
            raise ValueError(f"the {self.active} has no {', '.join(sorted(unknown))} to set")
        trainer = self.trainer
        config = switch_preset(trainer.config, values, trainer.data_size)
        if not trainer.config.needs_new_model(config):
            return trainer.reconfigure(config)
        if not confirmed and self._unsaved(trainer):
            raise AskFirst(
                f"{self.changes_in_words(values)} starts a new {self.active}: its "
                f"{_start_over(trainer.step)} (not saved); {KEPT_NOTE} Go on?"
            )
        self._replace(Trainer(self.dataset, config))
        return True

    def changes_in_words(self, values: dict[str, str]) -> str:
        """What a form's values change in the current model's settings, in a few words."""
        return changes_in_words(self.trainer.config, values, self._preset_values())

    def _unsaved(self, trainer: Trainer) -> bool:
        """It has trained since it was last saved or loaded, if ever."""
        return bool(trainer.step) and self._saved(trainer)[0] != trainer.step

    def _saved(self, trainer: Trainer) -> tuple[int, float]:
        """Its step and seconds trained when last saved or loaded; (0, 0.0) if never."""
        return self.saved_at.get(trainer.started, (0, 0.0))

    def _mark_saved(self, trainer: Trainer) -> None:
        self.saved_at[trainer.started] = (trainer.step, trainer.seconds)

    def unsaved_work(self) -> str | None:
        """What quitting now would lose, in a few words: the runs, current or kept, that trained
        ASK_BEFORE_LOSING_SECONDS or more since they were last saved; None if there are none."""
        trainers = [*self.trainers.values(), *self.kept.trainers()]
        since_saved = [(t, t.seconds - self._saved(t)[1]) for t in trainers if self._unsaved(t)]
        lost = [(t, s) for t, s in since_saved if s >= ASK_BEFORE_LOSING_SECONDS]
        if not lost:
            return None
        runs = listed([f"the {t.config.model}'s {counted(t.step, 'step')}" for t, _ in lost])
        return f"{runs} ({_duration(sum(s for _, s in lost))} of training)"

    def _replace(self, trainer: Trainer) -> None:
        """This run in its model's place, and current; the run it replaces is kept."""
        model = trainer.config.model
        if model in self.trainers and self.trainers[model] is not trainer:
            self._keep_run(self.trainers[model])
        self.trainers[model] = trainer
        self.active = model

    def set_sampling(self, values: dict[str, str]) -> None:
        """Sampling options typed in a form; a ValueError (bad value, unknown prefix) changes
        nothing."""
        options = self.options.with_text(values)
        self.dataset.vocab.encode(options.prefix)
        options.cut(self.dataset)  # a prefix as long as the cut is refused here, not at g
        self.options = options
        if options.seed is not None:  # the names from this seed on, again
            self._seeded = torch.Generator().manual_seed(options.seed)

    def nudge_temperature(self, up: bool) -> None:
        self.options = self.options.nudged(up)

    def open_dataset(self, path: str) -> None:
        """Start over on another file; on a DatasetError the current session stays as it was."""
        self._switch_to(open_dataset(path))

    def _switch_to(self, dataset: Dataset) -> None:
        """Another dataset, its models not made yet; the runs trained so far are kept."""
        for trainer in self.trainers.values():
            self._keep_run(trainer)
        self.dataset, self.trainers = dataset, {}
        self.options = SampleOptions(self.options.temperature, self.options.top_k)
        self.names.clear()

    def load_checkpoint(self, path: str) -> str | None:
        """Load a run; returns a warning if it was trained on another version of the data. A
        run whose characters are not these data's brings its own data back where that file
        still is (the runs so far are kept, as by open_dataset)."""
        state = checkpoint.read(path)
        dataset = self.dataset
        if checkpoint.checkpoint_vocab(state) != dataset.vocab:
            with suppress(checkpoint.CheckpointError):  # not there: restore says what differs
                dataset = checkpoint.data_of(state, path)
        trainer = checkpoint.restore(state, dataset, path)
        if dataset is not self.dataset:
            self._switch_to(dataset)
        self._replace(trainer)
        self._mark_saved(trainer)
        return checkpoint.dataset_warning(state, self.dataset)

    def find_learning_rate(self) -> None:
        """Start a sweep on a copy of the current model (a ValueError for a counting one)."""
        self.finder = LearningRateFinder(self.trainer)

    def record_runs(self) -> None:
        """Bring this session's rows of the runs table up to date, in the file too."""
        for trainer in self.trainers.values():
            self.runs.record(trainer)
        self.runs.save()

    def _keep_run(self, trainer: Trainer) -> None:
        """Its row and its weights, before the run is replaced."""
        if self.runs.record(trainer):
            self.runs.save()
        self.notice = self.kept.keep(trainer) or self.notice

    def runs_view(self) -> RunsView:
        self.record_runs()
        current = {t.started for t in self.trainers.values()}
        where = "nowhere (no home directory)" if self.runs.path is None else str(self.runs.path)
        rows = self.runs.rows(current, self.kept.ids(), self.dataset)
        return RunsView(rows, visible(where), self.runs.skipped)

    def restore_run(self, run_id: str) -> str:
        """An earlier run current again: itself, where its weights are kept (on its own
        dataset), else a new run on this dataset with its values. Says which."""
        name = self.runs.name_of(run_id)
        for trainer in self.trainers.values():
            if trainer.started == run_id:
                self.active = trainer.config.model
                return f"The {name} run is the current one."
        kept = self.kept.take(run_id)
        if kept is None:
            self._replace(Trainer(self.dataset, self.runs.config_of(run_id)))
            return f"A new run with the values of {name}, from step 0."
        if kept.dataset is not self.dataset:
            self._switch_to(kept.dataset)
        self._replace(kept)
        return f"Brought back the {name} run, at step {kept.step:,}."

    def forget_runs(self, run_ids: tuple[str, ...], confirmed: bool = False) -> str:
        """Take runs out of the table and its file, and their kept weights with them, once
        the user has confirmed (AskFirst); a current run stays, its row written as it trains."""
        current = {t.started for t in self.trainers.values()}
        chosen = [i for i in dict.fromkeys(run_ids) if i in self.runs.runs]
        gone = [i for i in chosen if i not in current]
        stays = (
            " The current run stays: its row is the run as it trains."
            if current & set(chosen)
            else ""
        )
        if not gone:
            raise ValueError(stays.strip() or "no such run in the table")
        weights = sum(i in self.kept for i in gone)
        if len(gone) == 1:
            runs = f"the run {self.runs.name_of(gone[0])}"
            leave = "Its row goes from the runs table and its file" + (
                "; its kept weights are deleted" if weights else ""
            )
        else:
            runs = f"{len(gone)} runs"
            also = f"; the kept weights of {weights} of them are deleted" if weights else ""
            leave = f"Their rows go from the runs table and its file{also}"
        if not confirmed:
            raise AskFirst(f"Forget {runs} for good? {leave}.{stays}")
        for run_id in gone:
            self.kept.take(run_id)
        self.runs.forget(set(gone))
        return f"Forgot {runs}.{stays}"

    def try_change(self, index: int) -> str:
        """A new run of the post's net with one change (engine/tries.py); the run it replaces
        is kept."""
        trainer = Trainer(self.dataset, tried(index))
        self._replace(trainer)
        changes = trainer.config.differences(trainer.data_size, self.dataset.vocab.size)
        return f"A new run: {run_name(trainer.config.as_dict(), changes)}."

    def trace(self, name: str) -> TraceView:
        """The name under every model that has trained, and the uniform, which needs no
        training; a character not in the vocabulary is said in `error`."""
        trainers = {"uniform": Trainer(self.dataset, family("uniform").preset())}
        trainers |= {n: t for n, t in self.trainers.items() if t.step}
        vocab = self.dataset.vocab
        try:
            return TraceView(
                vocab.shown(vocab.encode(name)), [trace(t, name) for t in trainers.values()]
            )
        except ValueError as error:
            return TraceView(visible(name), [], str(error))

    def export_runs(self, path: str, replace: bool = False) -> Path:
        """Write the runs table as CSV to a new path, or over a regular file once the user
        agreed (files.Exists until `replace`); never through a link, into a FIFO or device."""
        self.record_runs()
        target = check_target(path, lambda _: True, "file", replace)
        text = self.runs.csv_text()
        write_atomic(target, lambda file: file.write(text.encode()))
        return target

    def save_checkpoint(self, path: str, replace: bool = False) -> None:
        """Save to a new path or over a checkpoint (files.Exists until `replace`)."""
        checkpoint.save(self.trainer, checkpoint.check_target(path, replace))
        self._mark_saved(self.trainer)

    def stream_names(self, n: int) -> Iterator[StreamState | list[Sample]]:
        """Names from the active model, growing letter by letter (a StreamState each step),
        then the finished Samples, which the session keeps; each call draws new names,
        reproducibly."""
        self.sample_seed += 1
        trainer, options = self.trainer, self.options
        seeded = self._seeded if options.seed is not None else None
        names = stream(trainer.model, self.dataset, n, options, self.sample_seed, seeded)
        for event in names:
            if isinstance(event, list):
                self.names.extendleft(
                    MadeName(s, self.active, trainer.step, options) for s in event
                )
            yield event

    def evaluation(self) -> Evaluation:
        """The val loss (for the curve), a chunk at a time; the train loss is the smoothed
        batch loss: a pass over the whole training split would cost most of the time."""
        return self.trainer.evaluation(("val",))

    def export(self, stem: str, replace: bool = False) -> list[Path]:
        """Write the names made so far (with tag and log-probability) and the loss curves of
        every run it has (each named, with its id); an
        existing file is replaced only with `replace` (files.Exists until then)."""
        if stem.endswith(os.sep):  # a folder, as Tab completes one: it names no files
            raise FileRefused(f"{stem}: a folder; add a name for the files, as {stem}makemore")
        base = expand(stem)
        targets = [base.with_name(base.name + suffix) for suffix in ("-names.tsv", "-loss.csv")]
        if not replace and any(os.path.lexists(t) for t in targets):
            shown = " and ".join(str(t) for t in targets if os.path.lexists(t))
            raise Exists(f"{shown} exist{'s' if ' and ' not in shown else ''}. Replace?")
        names_path, loss_path = (
            check_target(t, lambda _: True, "file", replace=True) for t in targets
        )
        table = io.StringIO()  # csv quotes a name with a tab, a quote or a line break in it
        writer = csv.writer(table, delimiter="\t", lineterminator="\n")
        writer.writerow(MadeName.HEADER)
        writer.writerows(name.row() for name in self.names)
        write_atomic(names_path, lambda file: file.write(table.getvalue().encode()))
        curves = io.StringIO()  # every run this session has: the current ones, then the kept
        writer = csv.writer(curves, lineterminator="\n")
        writer.writerow(["model", "split", "step", "loss", "run", "run_id"])
        for trainer in [*self.trainers.values(), *self.kept.trainers()]:
            config = trainer.config
            changes = config.differences(trainer.data_size, self.dataset.vocab.size)
            run = run_name(config.as_dict(), changes)
            for split, history in (("train", trainer.train_history), ("val", trainer.val_history)):
                writer.writerows(
                    [config.model, split, f"{s:g}", f"{v:.6f}", run, trainer.started]
                    for s, v in zip(history.steps, history.values, strict=True)
                )
        write_atomic(loss_path, lambda file: file.write(curves.getvalue().encode()))
        return [names_path, loss_path]

    def views(self, running: bool, steps_per_second: float | None) -> list[View]:
        """What every panel shows now; the server sends those that changed."""
        trainer, dataset = self.trainer, self.dataset
        points = embedding_2d(trainer.model)
        options = self.options
        val = trainer.last_val
        has_best = trainer.best_val < math.inf
        return [
            FAMILIES_VIEW,
            TRIES_VIEW,
            StatusView(
                running=running,
                steps_per_second=steps_per_second if running else None,
                model=self.active,
                step=trainer.step,
                budget=trainer.config.run.budget,
                epoch=trainer.epoch,
                loss=_recent(trainer.train_history),
                val_loss=val[1] if val else None,
                val_step=val[0] if val else None,
                best_val=trainer.best_val if has_best else None,
                best_step=trainer.best_step if has_best else None,
                overfitting_since=trainer.overfitting_since,
                description=trainer.config.describe(),
                dataset=visible(dataset.name),
                items=len(dataset.items),
                vocab_size=dataset.vocab.size,
                unsaved=self.unsaved_work(),
            ),
            self._compared_view(running) if self.compared else self._loss_view(running),
            EmbeddingView(
                points=self._embedding_points(points) if points is not None else None,
                size=None if points is None else trainer.model.embedding_table().shape[1],
                vocab_size=dataset.vocab.size,
                training=running,
                hint=EMBEDDING_HINT,
                vowels=self._vowels(),
            ),
            self._bigram_view(),
            GeneratorView(
                self.active,
                options.temperature,
                options.top_k,
                options.prefix,
                options.greedy,
                options.seed,
            ),
            HyperparameterView(
                title=f"Hyperparameters of the {self.active}",
                values=trainer.config.editable(),
                help=trainer.config.editing_help(),
                hints=trainer.config.hints(),
                choices=trainer.config.choices(),
                renewing=trainer.config.renewing(),
                mark=NEW_MODEL_MARK,
                lessons=PRESET_LESSONS,
                model=self.active,
                presets=self._preset_values(),
            ),
            SamplingView(
                title="Sampling",
                values=options.as_text(),
                help="Enter draws with these values.",
                hints=SAMPLING_HINTS,
                choices={"greedy": ("no", "yes")},
            ),
            *([self.finder.sweep()] if self.finder else []),
            *(
                [self._diagnostics(running)]
                if self.watching and Capability.DIAGNOSTICS in trainer.family.capabilities
                else []
            ),
            *([self._inside(running)] if self.inside is not None and self._has_inside() else []),
        ]

    def _references(self) -> dict[str, float]:
        """The val loss of each counting model that has counted its epoch: the bars."""
        return {
            name: t.best_val
            for name, t in self.trainers.items()
            if t.family.counts and t.stopped and t.best_val < math.inf
        }

    def _loss_view(self, running: bool) -> LossView:
        """Every model's current run."""
        trainer = self.trainer
        has_best = trainer.best_val < math.inf and not trainer.family.counts
        return LossView(
            model=self.active,
            models=list(NAMES),
            loss=_recent(trainer.train_history),
            train_curves={n: _curve(t.train_history) for n, t in self.trainers.items() if t.step},
            val_curves={
                n: _curve(t.val_history) for n, t in self.trainers.items() if len(t.val_history)
            },
            references=self._references(),
            best=(trainer.best_step, trainer.best_val) if has_best else None,
            first_loss=None if trainer.family.counts else trainer.initial_loss,
            training=running,
        )

    def compare_runs(self, run_ids: tuple[str, ...]) -> None:
        """The loss panel draws these runs' curves side by side (none: each model's current
        run again); a ValueError for a run that is not in the table."""
        self.record_runs()  # the curves of the runs going on, as they are now
        for run_id in run_ids:
            self.runs.name_of(run_id)
        self.compared = run_ids

    def _compared_view(self, running: bool) -> LossView:
        """The compared runs, each labelled by what it changed: a run of this session live."""
        live = {t.started: t for t in [*self.trainers.values(), *self.kept.trainers()]}
        labels, train, val = [], {}, {}
        for run_id in self.compared:
            label = f"{len(labels) + 1}:{self.runs.name_of(run_id)}"
            labels.append(label)
            if run_id in live:
                history = live[run_id]
                train[label], val[label] = (
                    _curve(history.train_history),
                    _curve(history.val_history),
                )
            else:
                train[label], val[label] = self.runs.curves_of(run_id)
        references = self._references()  # the bars, styled after the runs
        return LossView(
            model=labels[0],
            models=[*labels, *references],
            loss=None,
            train_curves={k: v for k, v in train.items() if v[0]},
            val_curves={k: v for k, v in val.items() if v[0]},
            references=references,
            best=None,
            training=running,
            compared=True,
        )

    def _preset_values(self) -> dict[str, dict[str, str]]:
        """Made once per model and data: a preset sized for the data builds its shape."""
        trainer = self.trainer
        key = (trainer.family, trainer.data_size)
        if self._presets_cache is None or self._presets_cache[0] != key:
            self._presets_cache = (key, trainer.config.preset_values(trainer.data_size))
        return self._presets_cache[1]

    def _diagnostics(self, running: bool) -> DiagnosticsView:
        """Made again after each step while paused, and at most every DIAGNOSTICS_SECONDS
        while training: a batch's forward and backward pass, and a large view to draw."""
        trainer = self.trainer
        if self._updates[0] != trainer.started:  # another run: its own curves
            self._updates, self._last_diagnostics = (trainer.started, {}), None
        last = self._last_diagnostics
        now = time.perf_counter()
        due = not running or now - last[0] >= DIAGNOSTICS_SECONDS if last else True
        if last is None or (last[1].step != trainer.step and due):
            self._last_diagnostics = last = (now, diagnose(trainer, self._updates[1]))
        return last[1]

    def watch_inside(self, on: bool, name: str) -> None:
        """Show `name` (the first training item if empty) inside the active model while
        `on`; a ValueError names a character not in the vocabulary."""
        if on:
            name = name or self.dataset.items_of("train")[0]
            self.dataset.vocab.encode(name)
        self.inside, self._last_inside = (name if on else None), None

    def _has_inside(self) -> bool:
        return bool({Capability.ATTENTION, Capability.STATES} & self.trainer.family.capabilities)

    def _inside(self, running: bool) -> InsideView:
        """Made again after each step while paused, and at most every DIAGNOSTICS_SECONDS
        while training: a forward pass of one name."""
        trainer, last, now = self.trainer, self._last_inside, time.perf_counter()
        due = not running or last is None or now - last[0] >= DIAGNOSTICS_SECONDS
        fresh = last is not None and (last[1].model, last[1].step) == (self.active, trainer.step)
        if last is None or (not fresh and due):
            self._last_inside = last = (now, inside_view(trainer, self.inside))
        return last[1]

    def _embedding_points(self, points: torch.Tensor) -> list[tuple[str, float, float]]:
        """Each token's point, labelled; of the EMBEDDING_POINTS commonest in train only, for a
        larger vocabulary: more labels than that are not read in a panel, and slow to draw."""
        vocab = self.dataset.vocab
        tokens = self.dataset.examples("train").commonest(vocab.size, EMBEDDING_POINTS)
        placed = zip(tokens, points[tokens].tolist(), strict=True)
        return [(vocab.symbol(i), x, y) for i, (x, y) in placed]

    def _vowels(self) -> tuple[str, ...]:
        vocab = self.dataset.vocab
        return tuple(vocab.symbol(i) for i in vocab.vowels)

    def _bigram_view(self) -> BigramView:
        """Built again only when the table drawn has changed: it stands still while a net
        trains."""
        source = bigram_source(self.active, self.trainers)
        key = (self.active, self.dataset, source, source and source.step, source and source.config)
        if self._bigram_cache is None or self._bigram_cache[0] != key:
            model = source.model if source else None
            counted = ""
            if source is not None and source.family.counts:
                counted = self.dataset.describe_items(source.counted_split)
            view = bigram_view(self.active, model, self.dataset.vocab, counted)
            self._bigram_cache = (key, view)
        return self._bigram_cache[1]


def _recent(history: LossHistory, points: int = 20) -> float | None:
    """The training loss now: the mean of the curve's last points, as one batch is noisy."""
    last = history.values[-points:]
    return sum(last) / len(last) if last else None


def _curve(history: LossHistory) -> Curve:
    return list(history.steps), list(history.values)


def _duration(seconds: float) -> str:
    """12 s, 4 min 5 s, 2 h 3 min."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def _start_over(steps: int) -> str:
    """'1 step starts over', '600 steps start over'."""
    return f"{counted(steps, 'step')} {'starts' if steps == 1 else 'start'} over"

"""The engine's loop: it owns the session, trains, samples and saves on command, and reports
what it did as records (engine/protocol.py) over its connection to the app. Nothing here
imports Textual."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from multiprocessing.connection import Connection

from engine.checkpoint import save as save_checkpoint
from engine.commands import (
    CloseLesson,
    Command,
    CompareRuns,
    EndLearningRateSearch,
    Export,
    ExportRuns,
    FindLearningRate,
    ForgetRuns,
    Generate,
    Lesson,
    ListRuns,
    Load,
    NextModel,
    NudgeTemperature,
    OpenDataset,
    Quit,
    Reconfigure,
    Request,
    Reset,
    RestoreRun,
    RunSteps,
    Save,
    SelectModel,
    SetSampling,
    Step,
    ToggleRunning,
    TraceName,
    TryChange,
    WatchDiagnostics,
    WatchInside,
)
from engine.dataset import Dataset, pasteable, visible
from engine.errors import AskFirst
from engine.judge import StopReason
from engine.lesson import Guide
from engine.memory import failure_text
from engine.policy import EvaluationsOnTime, RunPolicy, steps_per_call
from engine.protocol import Answer, Idle, Names, Note, Record, Sample, View
from engine.sampling import StreamState
from engine.session import Session
from engine.tries import TRIES

CHUNK_SECONDS = 0.03  # training time between two looks at the commands
SNAPSHOT_SECONDS = 0.33  # panels refresh 3 times a second while training
COUNT_STEP_SECONDS = 0.04  # the counting models, paced so that their counting can be watched
LETTER_SECONDS = 0.066  # names grow at 15 letters a second: readable, and light on the UI
AUTO_NAME_SECONDS = 0.5  # while training, a new name this often
# The commands that an evaluation under way goes on through: they leave the weights as they are.
LEAVE_THE_WEIGHTS = (
    ToggleRunning,
    Generate,
    NudgeTemperature,
    SetSampling,
    Save,
    Export,
    FindLearningRate,
    EndLearningRateSearch,
    ListRuns,
    WatchDiagnostics,
    WatchInside,
    ExportRuns,
    ForgetRuns,
    CloseLesson,
    Quit,
)
POLL_SECONDS = 0.1  # how long an idle engine waits for a command before looking again
AUTOSAVE_SECONDS = 10.0  # while training, the run is saved for a restart at least this often


def shown(record: Record) -> Record:
    """The record with its lines for the user made safe to show: a path or a dataset's name
    from a file or a checkpoint may hold escape sequences (an OSC 52 clipboard write)."""
    match record:
        case Note(text, severity):
            return Note(visible(text), severity)
        case Answer(serial, error, question):
            return Answer(serial, error and visible(error), question and visible(question))
    return record


def _shown(sample: Sample) -> Sample:
    """A generated name made safe to show, and what copying it gives where that differs."""
    text, copy = visible(sample.text), pasteable(sample.text)
    return replace(sample, text=text, copy=copy if copy != text else None)


class EngineLoop:
    """Trains in chunks of about CHUNK_SECONDS and serves requests between them, so a request
    waits at most that long."""

    def __init__(
        self,
        session: Session,
        connection: Connection,
        cancel: threading.Event,
        autosave: str | None = None,
    ) -> None:
        self.session = session
        self._connection, self._cancel = connection, cancel
        self._autosave = autosave
        self._autosaved = (0.0, 0)  # when, and at which step of which run
        self._running = False
        self._stream: Iterator[StreamState | list[Sample]] | None = None
        self._chunk = 1  # steps per chunk, sized to take CHUNK_SECONDS
        self._steps_per_second: float | None = None  # while running only: no clock otherwise
        self._dirty = True  # the views may have changed
        self._sent: dict[type, View] = {}  # the last view of each kind sent
        self._answered = 0  # serial of the last request answered
        self._idle_reported = -1
        self._policy: RunPolicy | None = None  # of the current trainer
        self.evaluations = EvaluationsOnTime()
        self._said: set[str] = set()  # the warnings said once
        self.lesson = Guide()

    def run(self) -> None:
        session = self.session
        last_views = last_letter = last_name = 0.0
        while not self._cancel.is_set():
            busy = self._running or self._stream is not None or self._finding()
            evaluating = self.evaluations.current is not None
            self._serve_requests(block=not busy and not self._dirty and not evaluating)
            now = time.perf_counter()
            finding = self._finding()  # a request may have started a sweep
            try:
                if finding:
                    self._sweep_chunk()
                if self.evaluations.current is not None:  # the weights wait for it
                    self._evaluation_chunk()
                elif self._running:
                    self._train_chunk()
                    if self._running and self.evaluations.due(self.policy, now):
                        self._evaluate(judging=True)
                    if self._stream is None and now - last_name >= AUTO_NAME_SECONDS:
                        self._stream = session.stream_names(1)
                        last_name = now
                    self._save_for_restart(now)
                if self._stream is not None and now - last_letter >= LETTER_SECONDS:
                    self._advance_stream()
                    last_letter = now
                if self._dirty or (
                    (self._running or finding) and now - last_views >= SNAPSHOT_SECONDS
                ):
                    self._send_views()
                    last_views = now
            except (EOFError, ConnectionError):  # the app has gone
                raise
            except Exception as failure:  # one failing step never ends the session
                self._running, session.finder, self._stream = False, None, None
                self.evaluations.drop()
                self._dirty = True
                self._report(Note(f"Stopped: {failure_text(failure)}", "error"))
            if self._stream is not None and not self._running:
                time.sleep(LETTER_SECONDS / 4)  # only letters to stream: wait for the next
            elif (
                not self._running
                and not self._finding()
                and self.evaluations.current is None
                and self._answered != self._idle_reported
            ):
                self._report(Idle(self._answered))
                self._idle_reported = self._answered

    def _save_for_restart(self, now: float, pausing: bool = False) -> None:
        """The run as it is, for the app to restart from if this process dies (or to keep, if
        the app is killed): now and then while training, and as it pauses."""
        when, step = self._autosaved
        trainer = self.session.trainer
        due = pausing or now - when >= AUTOSAVE_SECONDS
        if self._autosave and due and trainer.step != step:
            self._autosaved = (now, trainer.step)
            try:
                save_checkpoint(trainer, self._autosave)
            except OSError as error:  # best effort: a full /tmp never stops the run
                self._say_once(
                    "The run is not saved for a restart should the engine die "
                    f"({error.strerror or error}); training goes on."
                )

    def _say_once(self, text: str | None) -> None:
        """A warning the user needs to hear once, not at every try (a full disk)."""
        if text is not None and text not in self._said:
            self._said.add(text)
            self._report(Note(text, "warning"))

    def _finding(self) -> bool:
        """A learning-rate sweep is under way."""
        return self.session.finder is not None and not self.session.finder.done

    def _report(self, record: Record) -> None:
        self._connection.send(shown(record))

    def _send_views(self) -> None:
        """Only the views that changed: the bigram table stands still while the MLP trains."""
        views = self.session.views(self._running, self._steps_per_second)
        for view in [*views, self.lesson.view(self.session)]:
            if self._sent.get(type(view)) != view:
                self._report(view)
                self._sent[type(view)] = view
        self._dirty = False

    def _serve_requests(self, block: bool) -> None:
        """Do every request waiting; if `block`, wait a little for one."""
        if not self._connection.poll(POLL_SECONDS if block else 0):
            return
        while True:
            request: Request = self._connection.recv()
            error = question = None
            try:
                if not isinstance(request.command, LEAVE_THE_WEIGHTS):
                    self._finish_evaluation()
                self._do(request.command)
            except AskFirst as ask:
                question = str(ask)
            except (EOFError, ConnectionError):  # the app has gone
                raise
            except Exception as failure:  # a bad value, file or checkpoint: say so, carry on
                error = failure_text(failure)
            self._report(Answer(request.serial, error, question))
            self._say_once(self.session.runs.failure)
            if self.session.notice:
                self._report(Note(self.session.notice, "warning"))
                self.session.notice = None
            self._answered = request.serial
            self._dirty = True
            if not self._connection.poll():
                return

    def _do(self, command: Command) -> None:
        session = self.session
        match command:
            case ToggleRunning():
                self._set_running(not self._running)
            case Step(steps):
                report = session.train(steps, self._cancel)
                self._evaluate(judging=False)
                self._save_for_restart(time.perf_counter())  # a run stepped by n is kept too
                if report.stopped:
                    self._report(Note(report.stopped.text))
            case Lesson(move, confirmed):
                self._stream = self._named(self.lesson.go(session, move, confirmed))
            case CloseLesson():
                self.lesson.open = False
            case RunSteps(steps):
                if "steps" in session.trainer.family.form():  # a counting model counts once
                    session.reconfigure({"steps": str(session.trainer.step + steps)})
                self._set_running(True)
            case SelectModel(model):
                session.select_model(model)
                self._clear_names()
            case NextModel():
                skipped = session.next_model()
                self._clear_names()
                if skipped:
                    self._report(Note(skipped, "warning"))
            case Reset(confirmed):
                session.reset(confirmed)
                self._clear_names()
                self._report(Note("Reset: the model starts over from its seed."))
            case Generate(count):
                self._stream = session.stream_names(count)
            case NudgeTemperature(up):
                session.nudge_temperature(up)
            case SetSampling(values, draw):
                session.set_sampling(values)
                if draw:
                    self._stream = session.stream_names(draw)
            case Reconfigure(values, confirmed):
                changes = session.changes_in_words(values)
                new_model = session.reconfigure(values, confirmed)
                if new_model:
                    self._clear_names()
                what = "new model, from step 0" if new_model else "applies from the next step"
                self._report(Note(f"{changes}: {what}"))
            case OpenDataset(path):
                session.open_dataset(path)
                self._clear_names()
                if self.lesson.open:  # its step set up again, on these data
                    self._stream = self._named(self.lesson.go(session, 0))
                dataset = session.dataset
                self._report(
                    Note(
                        f"Opened {path}: {len(dataset.items):,} items, "
                        f"vocabulary {dataset.vocab.size}."
                    )
                )
            case Save(path, replace):
                session.save_checkpoint(path, replace)
                self._report(
                    Note(f"Saved {session.active} at step {session.trainer.step:,} to {path}.")
                )
            case Load(path):
                data = session.dataset
                warning = session.load_checkpoint(path)
                self._clear_names()
                self._say_data_came_back(data)
                if warning:
                    self._report(Note(warning, "warning"))
                self._report(
                    Note(f"Loaded {path}: {session.active} at step {session.trainer.step:,}.")
                )
            case Export(stem, replace):
                written = session.export(stem, replace)
                self._report(Note("Wrote " + " and ".join(str(p) for p in written)))
            case FindLearningRate():
                self._set_running(False)
                session.find_learning_rate()
            case EndLearningRateSearch():
                session.finder = None
            case ListRuns():
                self._report(session.runs_view())
            case RestoreRun(run_id):
                self._set_running(False)
                data = session.dataset
                restored = session.restore_run(run_id)
                self._clear_names()
                self._say_data_came_back(data)
                self._report(Note(restored))
            case CompareRuns(run_ids):
                session.compare_runs(run_ids)
            case ForgetRuns(run_ids, confirmed):
                self._report(Note(session.forget_runs(run_ids, confirmed)))
                self._report(session.runs_view())
            case TryChange(index):
                self._report(Note(session.try_change(index)))
                self._clear_names()
                self._set_running(not TRIES[index].finds_rate)
            case TraceName(name):
                self._report(session.trace(name))
            case WatchDiagnostics(on):
                session.watching = on
            case WatchInside(on, name):
                session.watch_inside(on, name)
            case ExportRuns(path, replace):
                self._report(Note(f"Wrote {session.export_runs(path, replace)}"))
            case Quit():
                self._cancel.set()

    def _named(self, names: int) -> Iterator[StreamState | list[Sample]] | None:
        """A lesson step's names, drawn afresh (none: the stream as it is)."""
        if not names:
            return self._stream
        self._clear_names()
        return self.session.stream_names(names)

    def _say_data_came_back(self, before: Dataset) -> None:
        """A run of other characters brings its own data with it (load, the runs table): the
        learner is told, or the list would change under them unsaid."""
        data = self.session.dataset
        if data is not before:
            self._report(
                Note(
                    f"Opened {data.path or data.name}, the data this run was trained on; "
                    f"the runs on {before.name} are kept (t)."
                )
            )

    def _clear_names(self) -> None:
        """Another model, or the same one started over: the names shown were not its own."""
        self._stream = None
        self._report(Names(clear=True))

    @property
    def policy(self) -> RunPolicy:
        """The run policy of the current trainer: its budget is the run's `steps`."""
        trainer = self.session.trainer
        if self._policy is None or self._policy.trainer is not trainer:
            self._policy = RunPolicy(trainer)
        return self._policy

    def _pause_if_stalled(self) -> None:
        """Pause once when the run starts to overfit, or once val has stopped improving
        (converged); the user may go on."""
        stall = self.policy.stall(once=True)
        if stall is None:
            return
        self._running = False
        why = stall.text[:1].upper() + stall.text[1:]
        self._report(Note(f"{why}. Paused; the best weights are kept. Space goes on.", "warning"))

    def _set_running(self, running: bool) -> None:
        session = self.session
        stopped = session.trainer.stopped
        if self._running and not running:  # the val loss shown while paused is for this step
            self._evaluate(judging=False)
            self._save_for_restart(time.perf_counter(), pausing=True)
        if running and stopped is None and self.policy.at_budget():
            session.reconfigure({"steps": "0"})
            self._report(Note(f"Past its budget of {session.trainer.step:,} steps: no budget now."))
        self._running = running and stopped is None
        if running and stopped:
            self._report(Note(stopped.text))
        self._steps_per_second = None

    def _train_chunk(self) -> None:
        session = self.session
        started = time.perf_counter()
        counting = session.trainer.family.counts
        if counting:  # one epoch is a blink; let the learner watch it count
            time.sleep(COUNT_STEP_SECONDS)
            self._chunk = 1
        steps = self.policy.next_steps(self._chunk)
        report = session.train(steps, self._cancel)
        if report.steps_per_second > 0:
            # What the user watches: the paced rate of the counting models, not their compute
            paced = steps / (time.perf_counter() - started)
            self._steps_per_second = paced if counting else report.steps_per_second
            # Size the next chunk to take about CHUNK_SECONDS (the bigram's pace is set above).
            self._chunk = steps_per_call(report.steps_per_second, CHUNK_SECONDS, 10_000)
        if report.stopped:
            self._running = False
            self._evaluate(judging=False)
            diverged = report.stopped.reason is StopReason.DIVERGED
            self._report(Note(report.stopped.text, "warning" if diverged else "information"))
            self._dirty = True
        elif self.policy.at_budget():
            self._running = False
            self._evaluate(judging=False)
            step = session.trainer.step
            self._report(
                Note(
                    f"Step {step:,}/{step:,}: the run's budget. Paused. Space goes on with no "
                    "budget; Ctrl+P, Run N steps, adds N."
                )
            )
            self._dirty = True

    def _evaluate(self, judging: bool) -> None:
        """Start measuring val at this step (EvaluationsOnTime); `judging`: pause the run if it
        has stalled, once measured."""
        self.evaluations.start(self.session.evaluation, judging)

    def _finish_evaluation(self) -> None:
        """The evaluation under way done now, before a command changes the weights."""
        while self.evaluations.current is not None:
            self._evaluation_chunk()

    def _evaluation_chunk(self) -> None:
        """About CHUNK_SECONDS of the evaluation under way; its figures once it is done."""
        if self.evaluations.advance(CHUNK_SECONDS):
            self._dirty = True
            trainer = self.session.trainer
            if trainer.last_val is not None and not math.isfinite(trainer.last_val[1]):
                self._say_once(f"val loss infinite: {trainer.family.loss_note(trainer.config)}.")
            if self.evaluations.judging:
                self._pause_if_stalled()

    def _sweep_chunk(self) -> None:
        """About CHUNK_SECONDS of the learning-rate sweep; the last view once it is done."""
        finder = self.session.finder
        assert finder is not None
        start = time.perf_counter()
        while not finder.done and time.perf_counter() - start < CHUNK_SECONDS:
            finder.advance(1)
        self._dirty = self._dirty or finder.done

    def _advance_stream(self) -> None:
        assert self._stream is not None
        try:
            event = next(self._stream)
        except ValueError as error:  # the model cannot be sampled: say so, the session lives
            self._stream = None
            self._report(Note(str(error), "error"))
            self._report(Names())
            return
        if isinstance(event, list):  # the finished Samples
            shown = [_shown(s) for s in event]
            self._report(Names(finished=shown))
            self._stream = None
            self._dirty = True  # the lesson's caption may name them
        else:
            self._report(Names(growing=[visible(text) for text in event.texts]))

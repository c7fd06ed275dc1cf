"""The commands that cross the pipe from the app to the engine process: plain frozen
dataclasses, each a request of the user's as typed (text). The engine decides what they do
and reports it as records (engine/protocol.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ToggleRunning:
    """Start training, or pause it."""


@dataclass(frozen=True)
class Step:
    steps: int = 1


@dataclass(frozen=True)
class RunSteps:
    """Train this many steps more, then pause: the run's budget moved on."""

    steps: int


@dataclass(frozen=True)
class Lesson:
    """Open the lesson at the step it was left at, moved by `move` steps; a run the step
    would replace is replaced once the user `confirmed`."""

    move: int = 0
    confirmed: bool = False


@dataclass(frozen=True)
class CloseLesson:
    """Leave the lesson, everything as it is; Lesson comes back to the same step."""


@dataclass(frozen=True)
class NextModel:
    """Switch to the next model; each keeps its own run."""


@dataclass(frozen=True)
class SelectModel:
    """Switch to this model (one of FamiliesView's); each keeps its own run."""

    model: str


@dataclass(frozen=True)
class Reset:
    """The current model starts over from its seed (a trained run that was not saved: once
    the user confirmed)."""

    confirmed: bool = False


@dataclass(frozen=True)
class Generate:
    count: int


@dataclass(frozen=True)
class NudgeTemperature:
    up: bool


@dataclass(frozen=True)
class SetSampling:
    values: dict[str, str]  # field name -> text typed in the form
    draw: int = 0  # names to draw with them, once they are set


@dataclass(frozen=True)
class Reconfigure:
    values: dict[str, str]  # hyperparameter -> text typed in the form
    confirmed: bool = False  # a trained run it would replace: the user agreed


@dataclass(frozen=True)
class OpenDataset:
    path: str


@dataclass(frozen=True)
class Save:
    path: str
    replace: bool = False  # an existing checkpoint there: replaced only once the user agreed


@dataclass(frozen=True)
class Load:
    path: str


@dataclass(frozen=True)
class Export:
    stem: str  # writes STEM-names.tsv and STEM-loss.csv
    replace: bool = False  # existing files there: replaced only once the user agreed


@dataclass(frozen=True)
class FindLearningRate:
    """Pause, and sweep the rate on a copy of the current model: RateSweepView reports it."""


@dataclass(frozen=True)
class EndLearningRateSearch:
    pass


@dataclass(frozen=True)
class ListRuns:
    """Report every run so far, this session's brought up to date: a RunsView."""


@dataclass(frozen=True)
class RestoreRun:
    """A new run of the current dataset with the settings of an earlier one."""

    run_id: str


@dataclass(frozen=True)
class ExportRuns:
    path: str  # a CSV file
    replace: bool = False  # an existing file there: replaced only once the user agreed


@dataclass(frozen=True)
class ForgetRuns:
    """Take these runs out of the runs table and its file, once the user `confirmed`."""

    run_ids: tuple[str, ...]
    confirmed: bool = False


@dataclass(frozen=True)
class CompareRuns:
    """The loss panel draws these runs' curves side by side; none: the current runs again."""

    run_ids: tuple[str, ...]


@dataclass(frozen=True)
class TryChange:
    """A new run of the post's net with one thing changed (engine/tries.py)."""

    index: int


@dataclass(frozen=True)
class TraceName:
    """A name letter by letter under every model that has trained (a TraceView)."""

    name: str


@dataclass(frozen=True)
class WatchDiagnostics:
    """Report DiagnosticsView while `on` (the diagnostics screen is open), a few times a
    second while training: it costs a batch's forward and backward pass each time."""

    on: bool


@dataclass(frozen=True)
class WatchInside:
    """Report InsideView of `name` (the first training item if empty) while `on` (the
    screen of a sequence model's inside is open), a few times a second while training."""

    on: bool
    name: str = ""


@dataclass(frozen=True)
class Quit:
    pass


Command = (
    ToggleRunning
    | Step
    | RunSteps
    | Lesson
    | CloseLesson
    | NextModel
    | SelectModel
    | Reset
    | Generate
    | NudgeTemperature
    | SetSampling
    | Reconfigure
    | OpenDataset
    | Save
    | Load
    | Export
    | FindLearningRate
    | EndLearningRateSearch
    | ListRuns
    | RestoreRun
    | ExportRuns
    | ForgetRuns
    | TraceName
    | TryChange
    | CompareRuns
    | WatchDiagnostics
    | WatchInside
    | Quit
)


@dataclass(frozen=True)
class Request:
    """A command as sent: numbered, so that its answer can be matched to it."""

    serial: int
    command: Command

"""Records of the real engine, replayed by tests/fake_engine.py so that most UI tests need no
torch and no process. `python tests/recording.py` writes them again after a change to what the
engine reports; a slow test checks that they are current."""

from __future__ import annotations

import os
import pickle
import tempfile
import threading
from multiprocessing import Pipe
from pathlib import Path

from engine.commands import (
    Command,
    FindLearningRate,
    Generate,
    Lesson,
    OpenDataset,
    Reconfigure,
    Request,
    SelectModel,
    Step,
    TraceName,
    WatchDiagnostics,
    WatchInside,
)
from engine.protocol import Answer, Idle, Record

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PATH = FIXTURES / "recording.pickle"
SMALL = "tests/fixtures/names300.txt"  # 300 of the embedded names; relative: the same everywhere
MLP = [SelectModel("mlp")]
# makemore's names.txt, beside the project as on the machines that build it: the lesson's data
NAMES_TXT = [OpenDataset("../shared/data/names.txt")]
# A net with no prior and no regularisation: on 300 names it overfits within a few hundred steps.
BARE = Reconfigure(
    {
        "n_hidden": "256",
        "dropout": "0",
        "prior_order": "0",
        "lr_schedule": "constant",
        "weight_decay": "0",
        "patience": "3",
    }
)
# Each: the commands sent to a fresh engine on the embedded dataset, one after the other.
SCENARIOS: dict[str, list[Command]] = {
    "start": [],
    "bigram 120 steps": [Step(120)],
    "mlp 600 steps": [Step(210), *MLP, *[Step(100)] * 6],
    "mlp": MLP,
    "mlp 1500 steps, 9 names": [*MLP, Step(1500), Generate(9)],
    "mlp 1500 steps, 21 names": [*MLP, Step(1500), Generate(21)],
    "mlp, block_size 0": [*MLP, Reconfigure({"block_size": "0"})],
    # bigram and ngram counted, then the mlp: both bars, and the best val loss marked
    "counted, then mlp 600 steps": [
        Step(210),
        SelectModel("ngram"),
        Step(300),
        SelectModel("mlp"),
        *[Step(100)] * 6,
    ],
    "300 names, overfitting": [OpenDataset(SMALL), *MLP, BARE, *[Step(50)] * 30],
    "counted, mlp 600 steps, emma traced": [
        Step(210),
        SelectModel("ngram"),
        Step(300),
        SelectModel("mlp"),
        *[Step(100)] * 6,
        TraceName("emma"),
    ],
    "bigram counted": [Step(210)],
    # The seed post's net: randn init, ReLU, full batch: a first loss in the tens
    "seed preset 40 steps": [*MLP, Reconfigure({"preset": "seed"}), *[Step(5)] * 8],
    "small preset, lr finder": [*MLP, Reconfigure({"preset": "small"}), FindLearningRate()],
    # Inside the MLP: the lecture's net after a while, and tanh on the seed's randn init
    "diagnostics, lecture": [
        *MLP,
        Reconfigure({"preset": "lecture"}),
        Step(300),
        WatchDiagnostics(True),
    ],
    "diagnostics, randn init and tanh": [
        *MLP,
        Reconfigure({"preset": "seed"}),
        Reconfigure({"activation": "tanh", "batch_size": "32"}),
        Step(20),
        WatchDiagnostics(True),
    ],
    # BatchNorm inside: the lecture's MLP with it (part 3), and the WaveNet's levels (part 5)
    "diagnostics, batchnorm": [
        *MLP,
        Reconfigure({"preset": "batchnorm"}),
        Step(300),
        WatchDiagnostics(True),
    ],
    "diagnostics, wavenet": [
        SelectModel("wavenet"),
        Reconfigure({"preset": "lecture"}),
        Step(300),
        WatchDiagnostics(True),
    ],
    # Inside makemore's sequence models: a Transformer's heads and a GRU's state and gates
    "inside, transformer": [
        SelectModel("transformer"),
        Reconfigure({"preset": "makemore"}),
        Step(300),
        WatchInside(True, "emma"),
    ],
    "inside, gru": [
        SelectModel("gru"),
        Reconfigure({"preset": "makemore"}),
        Step(300),
        WatchInside(True, "emma"),
    ],
    # The lesson on names.txt, at the steps with a figure to see
    "lesson, counting": [*NAMES_TXT, Lesson(2)],
    "lesson, N": [*NAMES_TXT, Lesson(3)],
    "lesson, P": [*NAMES_TXT, Lesson(5)],
    "lesson, first loss": [*NAMES_TXT, Lesson(12), Step(1)],
    # past the post: the saturating net with BatchNorm, after a few hundred steps
    "lesson, BatchNorm": [*NAMES_TXT, Lesson(20), Step(300)],
    # a trained 2-D embedding: the small preset's
    "lesson, scatter": [
        *NAMES_TXT,
        *MLP,
        Reconfigure({"preset": "small"}),
        Step(3000),
        Lesson(18),
    ],
}


def record(commands: list[Command]) -> list[Record]:
    """What the engine reports for these commands, in order, until it is idle after the last.
    Run from the project's root, where the relative paths of the scenarios lead."""
    import torch

    from engine.loop import EngineLoop
    from engine.session import Session

    torch.set_num_threads(1)
    ours, theirs = Pipe()
    cancel = threading.Event()
    loop = threading.Thread(target=EngineLoop(Session.open(), theirs, cancel).run)
    loop.start()
    for serial, command in enumerate(commands, 1):
        ours.send(Request(serial, command))
    records: list[Record] = []
    while True:
        record = ours.recv()
        records.append(record)
        if isinstance(record, Idle) and record.serial == len(commands):
            break
    cancel.set()
    loop.join()
    return records


def compared_runs() -> list[Record]:
    """Three runs of the mlp, then their curves side by side in the loss panel (a session of
    its own: CompareRuns names runs by when they started)."""
    import torch

    from engine.session import Session

    torch.set_num_threads(1)
    session = Session.open()
    session.select_model("mlp", "lecture")
    for values in ({}, {"n_hidden": "50"}, {"n_embd": "4"}):
        session.reconfigure(values, confirmed=True)
        for _ in range(4):
            session.train(100)
            session.trainer.evaluate(("val",))
    runs = session.runs_view()
    session.compare_runs(tuple(row.id for row in runs.rows if row.model == "mlp"))
    return session.views(False, None)  # not the runs table: its ids and times are the clock's


def record_all() -> dict[str, list[Record]]:
    root = os.getcwd()
    os.chdir(FIXTURES.parent.parent)
    home = os.environ.get("MAKEMORE_TUI_HOME")
    try:
        with tempfile.TemporaryDirectory() as runs:  # the runs table's file: not the user's
            os.environ["MAKEMORE_TUI_HOME"] = runs
            recorded = {name: record(commands) for name, commands in SCENARIOS.items()}
            return recorded | {"three runs compared": compared_runs()}
    finally:
        os.chdir(root)
        if home is None:
            os.environ.pop("MAKEMORE_TUI_HOME", None)
        else:
            os.environ["MAKEMORE_TUI_HOME"] = home


def load() -> dict[str, list[Record]]:
    with PATH.open("rb") as file:
        return pickle.load(file)


def error_of(records: list[Record]) -> str:
    """The error the last command was answered with."""
    return next(r.error for r in reversed(records) if isinstance(r, Answer) and r.error)


if __name__ == "__main__":
    PATH.parent.mkdir(exist_ok=True)
    PATH.write_bytes(pickle.dumps(record_all()))
    print(f"wrote {PATH}")

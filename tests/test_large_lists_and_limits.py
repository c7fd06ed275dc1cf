"""Faults that lose work (the large-lists issue): a split larger than the evaluation sample,
memory limits of the process's own, and a run that has stopped improving. Each test failed
before its fix."""

from __future__ import annotations

import json
import math
import random
import resource
import subprocess
import sys
import threading
from multiprocessing import Pipe
from pathlib import Path

import pytest
import torch.nn.functional as F

from engine import checkpoint, families, memory
from engine.cli import main
from engine.commands import ListRuns, NextModel, OpenDataset, Request, Step, ToggleRunning
from engine.dataset import Dataset, load_dataset
from engine.protocol import Answer, Idle, Note, StatusView
from engine.sources import DEFAULT_DATASET
from engine.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]
NAMES300 = ROOT / "tests" / "fixtures" / "names300.txt"
ALLOCATOR = (
    "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: "
    "you tried to allocate 8589934592 bytes. Error code 12 (Cannot allocate memory)"
)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error:")]


@pytest.fixture(scope="module")
def large_list(tmp_path_factory) -> Path:
    """90,000 distinct names made of halves of the embedded ones: a training split of about
    560,000 examples, more than twice the 262,144 that a loss is measured on."""
    names = [line for line in DEFAULT_DATASET.read_text().split() if line]
    rng, made = random.Random(0), set()
    while len(made) < 90_000:
        a, b = rng.choice(names), rng.choice(names)
        made.add(a[: max(1, len(a) // 2)] + b[len(b) // 2 :])
    path = tmp_path_factory.mktemp("large") / "large.txt"
    path.write_text("\n".join(sorted(made)) + "\n")
    return path


# A split larger than the evaluation sample


def test_a_split_larger_than_the_evaluation_sample_is_evaluated_with_its_own_prior(monkeypatch):
    """The train split's prior is kept whole; the last chunk of the evaluated examples took
    the prior's rows past them (a size mismatch), on any list of over 262,144 examples."""
    monkeypatch.setattr("engine.evaluation.EVAL_EXAMPLES", 1000)
    names = NAMES300.read_text().split()
    trainer = Trainer(Dataset.from_items(names, name="300"), families.preset("default"))
    assert trainer.evaluated_examples("train") == 1000 < trainer.train_examples
    trainer.run(20)
    losses = trainer.evaluate(("train", "val", "test"))
    # The same first 1,000 examples, one at a time, each with its own left-out prior
    examples = trainer.dataset.examples("train")
    x, y = examples.batch(slice(1000), trainer.model.block_size)
    prior = trainer.prior_of_rows("train", slice(1000), x, y)
    with trainer.averaged():
        expected = trainer.model(x, prior).log_softmax(1).gather(1, y[:, None]).mean()
    assert losses["train"] == pytest.approx(-expected.item(), rel=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("preset", "keep_last"), [("default", False), ("lecture", True), ("strong", True)]
)
def test_train_on_90000_items_saves_reports_and_samples(
    capsys, tmp_path, large_list, preset, keep_last
):
    save = tmp_path / "run.pt"
    argv = ["train", "--data", str(large_list), "--preset", preset, "--steps", "20"]
    argv += ["--save", str(save), "--json"] + (["--keep-last"] if keep_last else [])
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    result = json.loads(out.splitlines()[-1])
    assert result["evaluated_examples"]["train"] == 262_144
    assert 1.5 < result["test_loss"] < 3.5 and result["checkpoint"] == str(save)
    code, out, err = run(capsys, "sample", "--checkpoint", str(save), "-n", "5", "--json")
    assert code == 0 and len(json.loads(out)["samples"]) == 5


# Memory


def test_the_available_memory_is_the_least_of_the_system_rlimits_and_cgroups(tmp_path):
    proc, cgroups = tmp_path / "proc", tmp_path / "cgroup"
    (proc / "self").mkdir(parents=True)
    (proc / "meminfo").write_text("MemTotal: 25000000 kB\nMemAvailable: 20971520 kB\n")
    (proc / "self" / "status").write_text("VmSize: 1048576 kB\nVmData: 524288 kB\n")
    (proc / "self" / "cgroup").write_text("0::/user.slice/session\n")
    assert memory.available_memory(proc, cgroups) == 20 * 2**30
    # cgroup v2: the least headroom of the group and the groups above it
    session, user = cgroups / "user.slice" / "session", cgroups / "user.slice"
    session.mkdir(parents=True)
    for group, limit, current in ((session, "max", 2**30), (user, str(6 * 2**30), 2 * 2**30)):
        (group / "memory.max").write_text(limit + "\n")
        (group / "memory.current").write_text(f"{current}\n")
    (user / "memory.stat").write_text(f"anon 123\ninactive_file {2**30}\n")  # can be dropped
    assert memory.available_memory(proc, cgroups) == 5 * 2**30
    # cgroup v1, as in a container
    (proc / "self" / "cgroup").write_text("5:cpu:/\n4:memory:/docker/abc\n")
    group = cgroups / "memory" / "docker" / "abc"
    group.mkdir(parents=True)
    (group / "memory.limit_in_bytes").write_text(f"{3 * 2**30}\n")
    (group / "memory.usage_in_bytes").write_text(f"{2**30}\n")
    (cgroups / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    (cgroups / "memory" / "memory.usage_in_bytes").write_text("1\n")
    assert memory.available_memory(proc, cgroups) == 2 * 2**30


def test_the_address_space_limit_counts_what_the_process_already_maps(tmp_path, monkeypatch):
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "status").write_text("VmSize: 1048576 kB\nVmData: 524288 kB\n")
    limits = {resource.RLIMIT_AS: 4 * 2**30, resource.RLIMIT_DATA: resource.RLIM_INFINITY}
    monkeypatch.setattr(resource, "getrlimit", lambda kind: (limits[kind], limits[kind]))
    assert memory.available_memory(proc, tmp_path) == 3 * 2**30


@pytest.mark.slow
def test_a_net_too_large_for_an_address_space_limit_is_one_error_line():
    """`prlimit --as=4294967296 makemore-tui train --n-hidden 1000000`: a traceback before."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2**32, 2**32))

    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", "train", "--n-hidden", "1000000", "--steps", "5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        preexec_fn=limit,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    (line,) = errors(done.stderr)
    assert "GiB of memory" in line and "Traceback" not in done.stderr


def test_an_allocation_failure_before_training_is_one_error_line(capsys, monkeypatch):
    def fail(self):
        raise RuntimeError(ALLOCATOR)

    monkeypatch.setattr(Trainer, "reset", fail)
    code, _, err = run(capsys, "train", "--data", str(NAMES300), "--steps", "5")
    assert code == 2
    (line,) = errors(err)
    assert line.startswith("error: out of memory: 8.0 GiB could not be allocated;")


def test_a_failure_after_training_still_saves_and_reports(capsys, tmp_path, monkeypatch):
    """Sampling (or the final evaluation) out of memory: the run is saved and its figures
    printed; the error is said, once each."""

    def fail(*args, **kwargs):
        raise RuntimeError(ALLOCATOR)

    monkeypatch.setattr("engine.train_command.sample", fail)
    save = tmp_path / "run.pt"
    argv = ["train", "--data", str(NAMES300), "--steps", "50", "--save", str(save), "--json"]
    code, out, err = run(capsys, *argv)
    assert code == 2
    result = json.loads(out.splitlines()[-1])
    assert result["test_loss"] > 0 and result["checkpoint"] == str(save)
    assert checkpoint.read(save)["run"]["step"] == 50
    (line,) = errors(err)
    assert line.startswith("error: sampling failed: out of memory: 8.0 GiB")
    real = Trainer.split_loss_chunks
    monkeypatch.setattr(
        Trainer,
        "split_loss_chunks",
        lambda self, split, *model: fail() if split == "test" else real(self, split, *model),
    )
    save.unlink()
    code, out, err = run(capsys, *argv[:-1], "--samples", "0")
    assert code == 2 and checkpoint.read(save)["run"]["step"] == 50
    (line,) = errors(err)
    assert line.startswith("error: the final evaluation failed: out of memory")


def test_a_failure_while_training_saves_the_run_so_far(capsys, tmp_path, monkeypatch):
    real_run = Trainer.run

    def fail_at_step_40(self, steps, cancel=None):
        if self.step >= 40:
            raise RuntimeError(ALLOCATOR)
        return real_run(self, min(steps, 40 - self.step), cancel)

    monkeypatch.setattr(Trainer, "run", fail_at_step_40)
    save = tmp_path / "run.pt"
    argv = ["train", "--data", str(NAMES300), "--steps", "100", "--save", str(save)]
    code, out, err = run(capsys, *argv)
    assert code == 2 and checkpoint.read(save)["run"]["step"] == 40 and "samples: " in out
    (line,) = errors(err)
    assert line.startswith("error: training stopped at step 40: out of memory: 8.0 GiB")


def test_a_diverged_run_is_saved_though_it_cannot_be_sampled(capsys, tmp_path):
    save = tmp_path / "d.pt"
    argv = ["train", "--data", str(NAMES300), "--model", "mlp", "--learning-rate", "100"]
    code, out, err = run(capsys, *argv, "--steps", "50", "--samples", "3", "--save", str(save))
    assert save.is_file(), err
    assert code in (0, 2) and "Traceback" not in err


@pytest.mark.slow
def test_a_name_the_terminal_cannot_show_is_escaped_not_fatal(tmp_path):
    cyrillic = tmp_path / "ru.txt"
    cyrillic.write_text("\n".join(["анна", "мария", "ольга", "ирина", "елена"] * 20) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", "train", "--data", str(cyrillic), "--model", "bigram"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONIOENCODING": "ascii", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "samples: " in done.stdout and "\\u04" in done.stdout


def test_the_engine_says_an_allocation_failure_and_lives(monkeypatch):
    from engine.session import Session

    def fail(self, steps, cancel=None):
        raise RuntimeError(ALLOCATOR)

    monkeypatch.setattr(Session, "train", fail)
    notes = _engine_notes([ToggleRunning()], until=lambda note: "out of memory" in note.text)
    assert notes[-1].text.startswith("Stopped: out of memory: 8.0 GiB could not be allocated")


# A run that has stopped improving


@pytest.mark.slow
def test_a_run_that_stops_improving_converges_and_says_so(capsys):
    """300 names: the best val came at step 3,050 and the 60 s run went on to 344,400."""
    code, out, err = run(capsys, "train", "--data", str(NAMES300), "--seconds", "60", "--json")
    result = json.loads(out.splitlines()[-1])
    assert code == 0 and result["stop_reason"] == "converged"
    assert result["stopped"].startswith("converged at step")
    assert result["best_step"] < result["steps"] < 20_000


@pytest.mark.slow
def test_converged_waits_for_the_end_of_the_schedule():
    trainer = Trainer(load_dataset(NAMES300), families.preset("default"))
    end = trainer.config.run.schedule_steps(trainer.train_examples)
    while trainer.step < end:
        trainer.run(trainer.eval_every)
        trainer.evaluate(("val",))
        assert not trainer.converged or trainer.step >= end


@pytest.mark.slow
def test_the_app_pauses_once_when_the_run_converges():
    notes = _engine_notes(
        [OpenDataset(str(NAMES300)), NextModel(), NextModel(), ToggleRunning()],
        until=lambda note: note.text.startswith("Converged"),
    )
    assert "Paused; the best weights are kept. Space goes on." in notes[-1].text


def _engine_notes(commands, until, timeout: float = 120.0) -> list[Note]:
    """The notes an engine sends for these commands, until one satisfies `until`."""
    from engine.loop import EngineLoop
    from engine.session import Session

    ours, theirs = Pipe()
    cancel = threading.Event()
    loop = threading.Thread(target=EngineLoop(Session.open(), theirs, cancel).run)
    loop.start()
    notes: list[Note] = []
    try:
        for serial, command in enumerate(commands, 1):
            ours.send(Request(serial, command))
        while not notes or not until(notes[-1]):
            assert ours.poll(timeout), f"no such note: {notes}"
            record = ours.recv()
            if isinstance(record, Note):
                notes.append(record)
        assert loop.is_alive()  # the engine goes on
    finally:
        cancel.set()
        loop.join()
    return notes


def test_a_large_vocabulary_is_evaluated_on_fewer_examples_and_says_so(monkeypatch, capsys):
    """A net's evaluated example takes a row of |V| values: at most EVAL_SPLIT_VALUES of them;
    and every model is measured on the same examples."""
    monkeypatch.setattr("engine.evaluation.EVAL_SPLIT_VALUES", 27 * 100)
    code, out, err = run(capsys, "train", "--data", str(NAMES300), "--model", "bigram", "--json")
    result = json.loads(out.splitlines()[-1])
    vocab = result["vocab_size"]
    assert code == 0 and result["evaluated_examples"]["val"] == 27 * 100 // vocab
    first = f"on the first {27 * 100 // vocab:,} of its"
    assert "losses measured on part of a large split" in err
    assert all(f"{split} {first}" in err for split in ("train", "val", "test"))


# A large vocabulary (issue 28: 17): 100,000 distinct characters took minutes a step


def _wide_items(vocab: int, repeats: int = 3) -> list[str]:
    """Items of 3 to 8 characters of `vocab` distinct CJK and Hangul code points, each about
    `repeats` times."""
    rng = random.Random(0)
    points = [*range(0x4E00, 0xA000), *range(0x20000, 0x30000), *range(0xAC00, 0xD7A4)]
    points += range(0x3400, 0x4DC0)
    chars = [chr(p) for p in points[:vocab]] * repeats
    rng.shuffle(chars)
    items, i = [], 0
    while i < len(chars):
        n = rng.randint(3, 8)
        items.append("".join(chars[i : i + n]))
        i += n
    return items


def test_counting_models_never_make_rows_of_a_large_vocabulary(monkeypatch):
    """A counting model's step and its losses take the targets' probabilities from the counts:
    no row of |V| values (forward), so a step counts its whole batch of items at any |V|."""
    data = Dataset.from_items(_wide_items(20_000), "wide")
    rows_wanted = []
    for preset in ("bigram", "ngram"):
        trainer = Trainer(data, families.preset(preset))
        monkeypatch.setattr(type(trainer.model), "forward", lambda *a: rows_wanted.append(a))
        trainer.run(1)
        assert trainer.items_seen == 64  # counted whole
        trainer.run(10**6)
        losses = trainer.evaluate(("train", "val", "test"))
        uniform = math.log(data.vocab.size)
        assert rows_wanted == [] and all(0 < loss < uniform + 1 for loss in losses.values())
        monkeypatch.undo()
        # the same figures as the rows would give
        x, y = data.examples("val").batch(slice(500), trainer.model.block_size)
        by_rows = F.cross_entropy(trainer.model(x), y).item()
        by_targets = -trainer.model.target_log_probs(x, y).mean().item()
        assert by_rows == pytest.approx(by_targets, rel=1e-9)


def test_the_engine_answers_while_it_evaluates(monkeypatch):
    """An evaluation goes a chunk at a time between the requests: one that does not change the
    weights is answered at once; one that does (a step) waits for it to end."""
    from engine.loop import EngineLoop
    from engine.session import Session

    started, release = threading.Event(), threading.Event()

    def held_split_loss(self, split, model=None):  # an evaluation that ends when the test says
        while not release.is_set():
            started.set()
            yield
        return 2.5

    monkeypatch.setattr(Trainer, "split_loss_chunks", held_split_loss)
    ours, theirs = Pipe()
    cancel = threading.Event()
    session = Session.open(str(NAMES300))
    loop = threading.Thread(target=EngineLoop(session, theirs, cancel).run)
    loop.start()
    try:
        ours.send(Request(1, Step(1)))
        assert started.wait(60)
        ours.send(Request(2, ListRuns()))
        records = []
        while not any(isinstance(r, Answer) and r.serial == 2 for r in records):
            assert ours.poll(60)
            records.append(ours.recv())
        assert not any(isinstance(r, Idle) and r.serial for r in records)  # nor idle
        ours.send(Request(3, Step(1)))
        release.set()
        while not any(isinstance(r, Idle) and r.serial == 3 for r in records):
            assert ours.poll(60)
            records.append(ours.recv())
        (status, *_) = [r for r in reversed(records) if isinstance(r, StatusView)]
        assert (status.step, status.val_step, status.val_loss) == (2, 2, 2.5)
    finally:
        cancel.set()
        loop.join()
    assert session.trainer.val_history.steps == [1, 2]  # the first ended before the second step


@pytest.mark.slow
@pytest.mark.parametrize("model", ["bigram", "ngram"])
def test_a_hundred_thousand_characters_are_counted_and_measured(capsys, tmp_path, model):
    """The issue's file: 100,000 distinct characters, counted in full and measured on the
    first EVAL_SPLIT_VALUES / |V| examples of each split, as a net would be."""
    path = tmp_path / "wide.txt"
    path.write_text("\n".join(_wide_items(100_000, repeats=1)) + "\n")
    code, out, err = run(capsys, "train", "--data", str(path), "--model", model, "--json")
    result = json.loads(out.splitlines()[-1])
    assert code == 0 and result["vocab_size"] == 100_001
    assert result["stop_reason"] == "counted" and 10 < result["val_loss"] < 12
    assert result["evaluated_examples"]["val"] == 2**27 // 100_001

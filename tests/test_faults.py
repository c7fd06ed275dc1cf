"""Faults and hostile input (the robustness issue): nothing is lost, nothing hangs, and each
case ends with one clear `error:` line. Each test failed before its fix."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import PEAK_AT_EXIT

from engine import checkpoint
from engine.cli import main
from engine.dataset import Dataset, DatasetError, load_dataset
from engine.families import preset
from engine.files import Exists, FileRefused
from engine.sampling import SampleOptions, sample
from engine.session import Session
from engine.sources import fetch_names
from engine.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]
NAMES300 = ROOT / "tests" / "fixtures" / "names300.txt"
TRAIN = ["train", "--data", str(NAMES300), "--model", "bigram", "--samples", "0"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


# Data loss


def test_save_never_replaces_what_is_not_a_checkpoint(capsys, tmp_path):
    dataset = tmp_path / "mydata.txt"
    dataset.write_text("emma\nava\n")
    code, _, err = run(capsys, *TRAIN, "--save", str(dataset))
    assert code == 2 and "is not a checkpoint" in one_error(err)
    assert dataset.read_text() == "emma\nava\n"
    code, _, _ = run(capsys, *TRAIN, "--save", str(dataset), "--force")
    assert code == 0 and checkpoint.is_checkpoint(dataset)
    code, _, _ = run(capsys, *TRAIN, "--save", str(dataset))  # a checkpoint may be replaced
    assert code == 0


@pytest.mark.parametrize("kind", ["fifo", "device", "symlink", "directory"])
def test_save_writes_only_to_a_regular_file_or_a_new_path(capsys, tmp_path, kind):
    target = tmp_path / "X"
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "device":
        try:
            os.mknod(target, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        except PermissionError:
            pytest.skip("mknod needs root")
    elif kind == "symlink":
        target.symlink_to(victim)
    else:
        target.mkdir()
    before = os.lstat(target)
    code, _, err = run(capsys, *TRAIN, "--save", str(target), "--force")
    assert code == 2 and str(target) in one_error(err)
    after = os.lstat(target)
    assert stat.S_IFMT(after.st_mode) == stat.S_IFMT(before.st_mode)
    assert victim.read_text() == "keep me"


def test_an_unwritable_save_path_is_refused_before_training(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    started = time.perf_counter()
    code, out, err = run(capsys, *TRAIN, "--steps", "100000", "--save", str(blocker / "x.pt"))
    assert code == 2 and "cannot write" in one_error(err) and "steps in" not in out + err
    assert time.perf_counter() - started < 30  # no training happened


def test_a_failed_save_keeps_the_results_and_a_copy(capsys, tmp_path, monkeypatch):
    target = tmp_path / "run.pt"
    real_save = checkpoint.save

    def full_disk(trainer, path):
        if Path(path) == target:
            raise OSError(28, "No space left on device")
        real_save(trainer, path)

    monkeypatch.setattr(checkpoint, "save", full_disk)
    code, out, err = run(capsys, *TRAIN, "--save", str(target), "--json")
    assert code == 2
    assert json.loads(out)["test_loss"] > 0  # the results are printed
    line = one_error(err)
    assert "No space left" in line
    rescued = Path(line.split("the checkpoint is in ")[1])
    assert checkpoint.is_checkpoint(rescued)
    rescued.unlink()


@pytest.mark.slow
def test_ctrl_c_saves_the_best_weights_so_far(tmp_path):
    target = tmp_path / "run.pt"
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "train", "--data", str(NAMES300), "--seconds", "1000"]
        + ["--save", str(target), "--samples", "0", "--eval-every", "50", "--no-early-stop"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As in a terminal's foreground: a shell's background job, the suite's, ignores Ctrl+C
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert process.stderr is not None and process.stdout is not None
    for line in process.stderr:  # the progress line: training has started
        if "steps/s" in line:
            break
    time.sleep(1)  # a few evaluations, so that there are best weights
    process.send_signal(signal.SIGINT)
    rest, out = process.stderr.read(), process.stdout.read()
    assert process.wait(timeout=60) == 130
    assert "interrupted (Ctrl+C)" in rest and f"saved {target}" in out
    assert checkpoint.read(target)["run"]["step"] > 0


def test_fetch_names_never_follows_a_planted_link(server, names_path, tmp_path, monkeypatch):
    root, url = server
    (root / "names.txt").write_bytes(names_path.read_bytes())
    cache = tmp_path / "cache"
    (cache / "makemore-tui").mkdir(parents=True)
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    (cache / "makemore-tui" / "names.part").symlink_to(victim)
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    assert fetch_names(f"{url}/names.txt").is_file()
    assert victim.read_text() == "keep me"


def test_an_unwritable_cache_is_one_error_line(server, names_path, tmp_path, monkeypatch, capsys):
    root, url = server
    (root / "names.txt").write_bytes(names_path.read_bytes())
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    code, _, err = run(capsys, "fetch-names", "--url", f"{url}/names.txt")
    assert code == 2 and "cannot save names.txt" in one_error(err)


def test_housekeeping_of_saves(small, tmp_path, monkeypatch):
    trainer = Trainer(small, preset("bigram"))
    stale = tmp_path / ".run.pt.999999999.abcd.tmp"  # of a process long gone
    stale.write_bytes(b"half a checkpoint")
    checkpoint.save(trainer, tmp_path / "run.pt")
    assert not stale.exists()
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "run.pt").stat().st_mode) == 0o666 & ~umask
    monkeypatch.setenv("HOME", str(tmp_path))
    Session(small).save_checkpoint("~/home.pt")
    assert (tmp_path / "home.pt").is_file()


def test_a_save_refused_by_the_system_names_the_file_asked_for(small, tmp_path, monkeypatch):
    """A folder the user may not write in: the app said '[Errno 13] Permission denied:
    '/x/.run.pt.4242.k2j1.tmp'', our temporary file's name, not theirs."""
    from engine.memory import failure_text

    def refused(dir, prefix, suffix):
        raise PermissionError(13, "Permission denied", f"{dir}/{prefix}k2j1{suffix}")

    monkeypatch.setattr("engine.files.tempfile.mkstemp", refused)
    with pytest.raises(PermissionError) as error:
        Session(small).save_checkpoint(str(tmp_path / "run.pt"))
    assert failure_text(error.value) == f"{tmp_path / 'run.pt'}: Permission denied"
    assert not list(tmp_path.iterdir())


def test_a_changed_dataset_is_warned_of(capsys, tmp_path):
    data = tmp_path / "names.txt"
    data.write_text(NAMES300.read_text())
    saved = tmp_path / "run.pt"
    assert run(capsys, *TRAIN[:2], str(data), *TRAIN[3:], "--save", str(saved))[0] == 0
    data.write_text("\n".join(reversed(NAMES300.read_text().split())))  # same letters
    code, _, err = run(capsys, "sample", "--checkpoint", str(saved), "-n", "2")
    assert code == 0 and f"warning: {data} has changed since this run was saved" in err
    assert "it is opened on the 300 items it kept" in err  # its own, not the file's new order
    code, _, err = run(capsys, "sample", "--checkpoint", str(saved), "--data", str(data))
    assert code == 0 and "its losses and tags are for other data" in err  # the file, as asked


def test_export_never_writes_through_a_link_and_asks_before_replacing(small, tmp_path):
    session = Session(small)
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    (tmp_path / "out-names.tsv").symlink_to(victim)
    with pytest.raises(Exists):
        session.export(str(tmp_path / "out"))
    with pytest.raises(FileRefused, match="symbolic link"):
        session.export(str(tmp_path / "out"), replace=True)
    assert victim.read_text() == "keep me"
    session.export(str(tmp_path / "new"))
    with pytest.raises(Exists, match="Replace"):
        session.export(str(tmp_path / "new"))
    assert len(session.export(str(tmp_path / "new"), replace=True)) == 2


def test_the_app_save_asks_before_replacing(small, tmp_path):
    session = Session(small)
    session.save_checkpoint(str(tmp_path / "a.pt"))
    with pytest.raises(Exists, match="Replace it"):
        session.save_checkpoint(str(tmp_path / "a.pt"))
    session.save_checkpoint(str(tmp_path / "a.pt"), replace=True)
    (tmp_path / "data.txt").write_text("emma\n")
    with pytest.raises(FileRefused, match="not a checkpoint"):
        session.save_checkpoint(str(tmp_path / "data.txt"), replace=True)


# Hangs


@pytest.mark.slow
def test_a_fifo_dataset_is_refused_at_once(tmp_path):
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "train", "--data", str(fifo)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "not a regular file" in one_error(result.stderr)


@pytest.mark.parametrize("flag", ["--seconds", "--learning-rate", "--dropout"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_nan_and_inf_are_refused_for_every_float_flag(capsys, flag, value):
    code, _, err = run(capsys, "train", f"{flag}={value}")
    assert code == 2 and "finite number" in one_error(err)


# Crashes


def test_sampling_an_invalid_distribution_is_an_error_not_a_crash():
    data = Dataset.from_items(["ab", "ba"] * 10)
    trainer = Trainer(data, preset("bigram").with_values(smoothing=0))
    trainer.run(100)
    model = trainer.model
    unseen = (model.keys // data.vocab.size) != data.vocab.encode("b")[0]
    # as for a character seen only in val or test: nothing ever followed it
    model.load_state_dict({"keys": model.keys[unseen], "counts": model.pair_counts[unseen]})
    with pytest.raises(ValueError, match="no valid probabilities"):
        sample(trainer.model, data, 5, SampleOptions(prefix="b"), seed=1)
    nothing = torch.zeros(0, dtype=torch.long)
    model.load_state_dict({"keys": nothing, "counts": nothing})
    with pytest.raises(ValueError, match="no valid probabilities"):
        sample(trainer.model, data, 5, seed=1)


def test_hostile_checkpoints_get_one_line(capsys, tmp_path, small):
    foreign = tmp_path / "foreign.pt"
    torch.save({"format": "something else"}, foreign)
    text = tmp_path / "text.pt"
    text.write_text("emma\n")
    partial = tmp_path / "partial.pt"
    checkpoint.save(Trainer(small, preset("bigram")), partial)
    loaded = torch.load(partial, weights_only=True)
    del loaded["run"]["generator"]
    torch.save(loaded, partial)
    for path, message in [
        (foreign, "not a makemore-tui checkpoint"),
        (text, "not a checkpoint (not a file that torch.save wrote)"),
        (partial, "damaged checkpoint (missing generator)"),
        (tmp_path, "not a regular file"),
    ]:
        code, _, err = run(capsys, "sample", "--checkpoint", str(path))
        assert code == 2 and message in one_error(err) and "Weights only" not in err


def test_strict_json_with_an_infinite_loss(capsys):
    # Some pairs of val and test are never seen in training: with smoothing 0, probability 0.
    code, out, _ = run(capsys, *TRAIN, "--smoothing", "0", "--json")
    result = json.loads(out, parse_constant=lambda name: pytest.fail(f"{name} in strict JSON"))
    assert code == 0 and result["test_loss"] is None
    assert "smoothing 0" in result["loss_note"]


# Messages


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: "", "the path is empty"),
        (lambda d: _loop(d), "Too many levels of symbolic links"),
        (lambda d: _big(d), "larger than 1 MiB"),
    ],
)
def test_messages_that_say_what_happened(tmp_path, make, message):
    with pytest.raises(DatasetError, match=message):
        load_dataset(make(tmp_path), max_bytes=2**20)


def _loop(directory: Path) -> Path:
    (directory / "a").symlink_to(directory / "b")
    (directory / "b").symlink_to(directory / "a")
    return directory / "a"


def _big(directory: Path) -> Path:
    path = directory / "big.txt"
    path.write_text("emma\n" * 300_000)
    return path


# The fault script: each hostile case in a process of its own, its exit code, its one error
# line, its peak memory, and the file it aimed at unchanged.

HOSTILE = {
    "a device as data": (["train", "--data", "/dev/zero"], "not a regular file"),
    "a FIFO as data": (["train", "--data", "{fifo}"], "not a regular file"),
    "an empty path": (["train", "--data", ""], "the path is empty"),
    "a symlink loop": (["train", "--data", "{loop}"], "Too many levels of symbolic links"),
    "seconds nan": (["train", "--seconds", "nan"], "finite number"),
    "negative samples": (["train", "--samples", "-1"], "--samples must be from 0"),
    "a net too large": (["train", "--block-size", "64", "--n-embd", "1000000"], "GiB of memory"),
    "a huge seed": (["train", "--seed", str(2**70)], "seed must be"),
    "saving over a dataset": (["train", *TRAIN[1:], "--save", "{victim}"], "not a checkpoint"),
    "saving into a FIFO": (["train", *TRAIN[1:], "--save", "{fifo}"], "not a regular file"),
    "a text file as checkpoint": (["sample", "--checkpoint", "{victim}"], "not a checkpoint"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_cases_end_in_one_error_line_within_bounded_memory(tmp_path, case):
    argv, message = HOSTILE[case]
    fifo, victim, loop = tmp_path / "fifo", tmp_path / "victim.txt", _loop(tmp_path)
    os.mkfifo(fifo)
    victim.write_text("emma\nava\n")
    argv = [a.format(fifo=fifo, victim=victim, loop=loop) for a in argv]
    peak = tmp_path / "peak"
    process = subprocess.Popen(
        [sys.executable, "-c", PEAK_AT_EXIT, str(peak), *argv],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    err = process.stderr.read().decode()
    assert process.wait() == 2, err
    assert message in one_error(err) and "Traceback" not in err
    assert int(peak.read_text()) < 800 * 1024  # KiB: torch itself takes about 300 MiB
    assert victim.read_text() == "emma\nava\n" and stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_run_of_another_file_says_so_not_that_the_file_changed(capsys, tmp_path):
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text(NAMES300.read_text())
    second.write_text("\n".join(reversed(NAMES300.read_text().split())))  # same letters
    saved = tmp_path / "run.pt"
    assert run(capsys, *TRAIN[:2], str(first), *TRAIN[3:], "--save", str(saved))[0] == 0
    code, _, err = run(capsys, "sample", "--checkpoint", str(saved), "--data", str(second))
    assert code == 0 and "warning: this run was trained on first.txt, not second.txt" in err
    assert "has changed" not in err

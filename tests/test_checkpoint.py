from __future__ import annotations

import json
import pickle

import pytest
import torch
from test_seed_lessons import NAMES300

from engine import checkpoint, families
from engine.checkpoint import CheckpointError
from engine.cli import main
from engine.dataset import Dataset
from engine.session import Session
from engine.trainer import StopReason, Trainer


@pytest.mark.parametrize("preset", ["default", "lecture", "bigram", "ngram"])
def test_a_resumed_run_gives_the_same_losses(small, tmp_path, preset):
    steps = 2 if preset in ("bigram", "ngram") else 20
    straight = Trainer(small, families.preset(preset).with_values(batch_size=4))
    straight.run(steps)
    path = tmp_path / "run.pt"
    checkpoint.save(straight, path)
    expected = [straight.run(1).loss for _ in range(steps)]
    resumed = checkpoint.load(path, small)
    assert resumed.step == steps and resumed.config == straight.config
    assert [resumed.run(1).loss for _ in range(steps)] == expected
    assert resumed.train_history.state_dict() == straight.train_history.state_dict()


def test_corrupt_truncated_and_foreign_files(small, tmp_path):
    trainer = Trainer(small, families.preset("default"))
    good = tmp_path / "good.pt"
    checkpoint.save(trainer, good)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[:300])
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint at all")
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    for path, message in [
        (truncated, "not a checkpoint"),
        (garbage, "not a checkpoint"),
        (foreign, "not a makemore-tui checkpoint"),
        (tmp_path / "missing.pt", "no such checkpoint file"),
    ]:
        with pytest.raises(CheckpointError, match=message) as error:
            checkpoint.load(path, small)
        assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_a_checkpoint_for_another_vocabulary(small, tmp_path):
    path = tmp_path / "run.pt"
    checkpoint.save(Trainer(small, families.preset("default")), path)
    other = Dataset.from_items(["xyzü", "zyx"] * 10, name="other.txt")
    with pytest.raises(CheckpointError, match="vocabulary") as error:
        checkpoint.load(path, other)
    assert "only other.txt has 'xü'" in str(error.value)  # which side lacks what, by name


class _Exploit:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_loading_never_executes_code(small, tmp_path, capsys):
    path = tmp_path / "evil.pt"
    torch.save({"format": "makemore-tui checkpoint", "payload": _Exploit()}, path)
    with pytest.raises(CheckpointError):
        checkpoint.load(path, small)
    plain = tmp_path / "evil.pkl"
    plain.write_bytes(pickle.dumps(_Exploit()))
    with pytest.raises(CheckpointError):
        checkpoint.load(plain, small)
    assert "must never run" not in capsys.readouterr().out


def test_a_crash_mid_save_leaves_the_old_file(small, tmp_path, monkeypatch):
    path = tmp_path / "run.pt"
    checkpoint.save(Trainer(small, families.preset("default")), path)
    before = path.read_bytes()

    def crash(obj, file):
        file.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash)
    trainer = Trainer(small, families.preset("default"))
    trainer.run(5)
    with pytest.raises(OSError, match="disk full"):
        checkpoint.save(trainer, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["run.pt"]  # no temporary file left


def test_a_stopped_run_keeps_why_and_an_older_checkpoint_gets_the_reason_it_can_be(small, tmp_path):
    counted = Trainer(small, families.preset("bigram"))
    counted.run(10**6)
    path = tmp_path / "counted.pt"
    checkpoint.save(counted, path)
    assert checkpoint.load(path, small).stopped == counted.stopped
    assert counted.stopped.reason is StopReason.COUNTED
    state = torch.load(path, weights_only=True)
    del state["run"]["stop_reason"]  # as the release before the reason was kept wrote it
    torch.save(state, path)
    assert checkpoint.load(path, small).stopped == counted.stopped


def test_a_loaded_run_keeps_its_time_trained_and_an_older_checkpoint_starts_at_0(small, tmp_path):
    """The runs table's time: a run loaded, or kept at a restart, went on from 0 s."""
    trainer = Trainer(small, families.preset("default"))
    trainer.run(20)
    path = tmp_path / "run.pt"
    checkpoint.save(trainer, path)
    assert trainer.seconds > 0
    assert checkpoint.load(path, small).seconds == trainer.seconds
    state = torch.load(path, weights_only=True)
    del state["run"]["seconds"]  # as releases before it was kept wrote it
    torch.save(state, path)
    assert checkpoint.load(path, small).seconds == 0.0


def test_a_checkpoint_of_the_previous_version_still_loads(small, tmp_path):
    """Version 2 kept the run's entries beside the envelope's, and every family's fields in
    its config: it goes on exactly as the run it was saved from."""
    trainer = Trainer(small, families.preset("default"))
    trainer.run(30)
    path = tmp_path / "run.pt"
    checkpoint.save(trainer, path)
    state = torch.load(path, weights_only=True)
    old = {k: v for k, v in state.items() if k != "run"} | state["run"] | {"version": 2}
    old["config"] = old["config"] | {"order": 5, "smoothing": 1.0}  # the other families' fields
    torch.save(old, path)
    restored = checkpoint.load(path, small)
    assert restored.config == trainer.config
    trainer.run(10)
    restored.run(10)
    assert restored.last_loss == trainer.last_loss


def test_a_run_whose_data_file_is_gone_is_opened_on_the_items_it_kept(tmp_path, capsys):
    """A run sent without its file (to a student, another machine) samples and trains on the
    items the checkpoint kept, split as before: it needed the file, for the prior's counts and
    the tags, and was refused."""
    data = tmp_path / "gone.txt"
    data.write_text(NAMES300.read_text())
    session = Session.open(str(data))
    session.select_model("mlp")  # on the 5-gram: the items' counts, not only the weights
    session.train(3)
    saved = str(tmp_path / "run.pt")
    session.save_checkpoint(saved)
    val = session.trainer.split_loss("val")
    data.unlink()
    reopened = Session.open(checkpoint_path=saved)
    assert reopened.dataset.items == session.dataset.items and reopened.trainer.step == 3
    assert reopened.dataset.splits == session.dataset.splits
    assert reopened.trainer.split_loss("val") == val
    assert main(["sample", "--checkpoint", saved, "-n", "3", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["samples"]) == 3


def test_a_run_whose_data_file_has_changed_goes_on_on_the_items_it_kept(tmp_path, capsys):
    """The file was written over with other names (here of other letters): the run was not
    opened at all (the app opened the embedded names instead, `sample` refused it), though
    the checkpoint kept the items it was trained on. It goes on on them, and says so."""
    data = tmp_path / "list.txt"
    data.write_text(NAMES300.read_text())
    session = Session.open(str(data))
    session.select_model("mlp")
    session.train(3)
    saved = str(tmp_path / "run.pt")
    session.save_checkpoint(saved)
    data.write_text("Анна\nБорис\nВера\nГлеб\nДарья\nЕгор\n")
    reopened = Session.open(checkpoint_path=saved)
    assert reopened.dataset.items == session.dataset.items and reopened.trainer.step == 3
    said = (
        f"{data} has changed since this run was saved: it is opened on the 300 items it kept "
        f"(--data {data}, or o in the app, takes the file as it is now)"
    )
    assert reopened.warning == said
    assert main(["sample", "--checkpoint", saved, "-n", "3"]) == 0
    assert capsys.readouterr().err == f"warning: {said}\n"
    with pytest.raises(CheckpointError, match="vocabulary does not match"):
        Session.open(str(data), saved)  # the file named: as it is now, of other letters


def test_a_run_whose_data_file_is_gone_is_opened_on_data_named_or_refused(
    tmp_path, capsys, monkeypatch
):
    """The app's --checkpoint and the CLI's say the same: the file is not there (a list too
    large for the checkpoint to keep), and how to name another."""
    monkeypatch.setattr(checkpoint, "ITEMS_KEPT_CHARACTERS", 0)
    data = tmp_path / "gone.txt"
    data.write_text(NAMES300.read_text())
    session = Session.open(str(data))
    session.train(3)
    saved = str(tmp_path / "run.pt")
    session.save_checkpoint(saved)
    data.unlink()
    said = f"{saved}: its dataset {data} is not there; name one with --data"
    with pytest.raises(CheckpointError) as refused:
        Session.open(checkpoint_path=saved)
    assert str(refused.value) == said
    assert main(["sample", "--checkpoint", saved]) == 2
    assert capsys.readouterr().err == f"error: {said}\n"
    reopened = Session.open(str(NAMES300), saved)
    assert reopened.trainer.step == 3 and reopened.dataset.name == "names300.txt"


def test_a_run_on_the_embedded_names_or_names_txt_finds_them_in_another_install(
    tmp_path, names_path, monkeypatch, capsys
):
    """A run's file is gone (another checkout, a copy sent to a student): where its items are
    the embedded names', or names.txt's in the cache, it is opened on those; a names.txt run
    without the cache says how to get it. (The checkpoints here keep no items, as of a list
    too large to keep.)"""
    from engine.sources import DEFAULT_DATASET

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(checkpoint, "ITEMS_KEPT_CHARACTERS", 0)
    runs = {}
    for source in (DEFAULT_DATASET, names_path):
        copy = tmp_path / source.name
        copy.write_bytes(source.read_bytes())
        session = Session.open(str(copy))
        session.train(3)
        runs[source] = str(tmp_path / f"{len(runs)}.pt")
        session.save_checkpoint(runs[source])
        copy.unlink()
    assert Session.open(checkpoint_path=runs[DEFAULT_DATASET]).dataset.path == str(DEFAULT_DATASET)
    assert main(["sample", "--checkpoint", runs[names_path], "-n", "1"]) == 2
    assert capsys.readouterr().err.endswith(
        "it was makemore's names.txt: --data names fetches it\n"
    )
    cached = tmp_path / "cache" / "makemore-tui" / "names.txt"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(names_path.read_bytes())
    restored = Session.open(checkpoint_path=runs[names_path])
    assert restored.dataset.path == str(cached) and restored.trainer.step == 3

"""The runs table: every run of a session gets a row, kept in a file across sessions; a row
brings its settings back; the table exports to CSV."""

from __future__ import annotations

import csv

import pytest

from engine.families import preset
from engine.session import Session
from engine.trainer import Trainer


def test_every_run_gets_a_row_kept_across_sessions(small, runs_home):
    session = Session(small)
    session.train(5)  # the bigram counts
    session.active = "mlp"
    session.trainers["mlp"] = Trainer(small, preset("small"))
    session.train(40)
    session.trainer.evaluate(("val",))
    session.reconfigure({"n_hidden": "20"}, confirmed=True)  # a new model: the run above is kept
    session.train(30)
    session.trainer.evaluate(("val",))
    view = session.runs_view()
    assert view.path == str(runs_home / "runs.jsonl")
    assert len(view.rows) == 3
    vals = [row.best_val for row in view.rows]
    assert vals[-1] is None  # the bigram was never evaluated: last
    assert vals[:2] == sorted(vals[:2])  # the best first
    assert [r.current for r in view.rows].count(True) == 2  # the bigram and the new mlp
    old = next(r for r in view.rows if r.model == "mlp" and not r.current)
    assert (old.preset, old.changes, old.steps) == ("small", {}, 40)
    new = next(r for r in view.rows if r.model == "mlp" and r.current)
    assert new.changes == {"n_hidden": "20"} and new.parameters < old.parameters

    again = Session(small)  # a new session reads them from the file
    assert [r.id for r in again.runs_view().rows] == [r.id for r in view.rows]
    again.restore_run(old.id)
    assert again.active == "mlp" and again.trainer.config == session.runs.config_of(old.id)
    assert again.trainer.step == 0


def test_the_runs_on_the_data_open_come_first(small, runs_home):
    """Losses on other data do not compare: those runs follow, by dataset, even when their
    val loss is lower; a file of the same name with other items is other data."""
    from engine.dataset import Dataset

    other = Dataset.from_items(["ab", "ba", "aab", "bba", "abab"] * 20, name="ab.txt")
    renamed = Dataset.from_items(small.items[1:], name=small.name)  # same name, other items
    for data in (other, renamed, small):
        session = Session(data)
        session.active = "mlp"
        session.trainers["mlp"] = Trainer(data, preset("small"))
        session.train(20)
        session.trainer.evaluate(("val",))
        session.record_runs()
    rows = session.runs_view().rows
    assert [r.same_data for r in rows] == [True, False, False]
    assert rows[0].best_val > rows[1].best_val  # the ab list's loss is far lower: after
    assert [r.dataset for r in rows[1:]] == sorted(r.dataset for r in rows[1:])


def test_the_test_loss_is_that_of_the_best_weights(small):
    trainer = Trainer(small, preset("small").with_values(eval_every=10))
    trainer.run(10)
    best = trainer.evaluate(("val", "test"))["test"]
    trainer.run(200)  # the weights move on from the best
    trainer.evaluate(("val",))
    if trainer.best_step == 10:
        assert trainer.best_test() == pytest.approx(best, abs=1e-6)
    assert trainer.best_test() == pytest.approx(_test_of_best(trainer), abs=1e-6)


def _test_of_best(trainer):
    trainer.use_best_weights()
    return trainer.split_loss("test")


def test_the_table_exports_to_csv(small, tmp_path):
    session = Session(small)
    session.train(5)
    target = session.export_runs(str(tmp_path / "runs.csv"))
    rows = list(csv.DictReader(target.open()))
    assert len(rows) == 1 and rows[0]["model"] == "bigram" and rows[0]["preset"] == "bigram"


def test_an_unknown_run_is_refused(small):
    with pytest.raises(ValueError, match="no run"):
        Session(small).restore_run("1999")


def test_runs_are_forgotten_once_confirmed_and_the_current_one_stays(small, runs_home):
    """Forgetting asks first; the rows go from the file (another session no longer sees
    them) and a forgotten run's kept weights go with it; the current run's row stays."""
    from engine.errors import AskFirst

    session = Session(small)
    session.active = "mlp"
    session.trainers["mlp"] = Trainer(small, preset("small"))
    for hidden in ("20", "30"):
        session.train(20)
        session.reconfigure({"n_hidden": hidden}, confirmed=True)  # the run above is kept
    session.train(20)
    before = {r.id: r for r in session.runs_view().rows}
    current = next(r.id for r in before.values() if r.current)
    kept = [r.id for r in before.values() if r.kept]
    assert len(kept) == 2

    with pytest.raises(
        AskFirst, match="Forget the run mlp small for good.*; its kept weights are deleted"
    ):
        session.forget_runs((kept[0], current))
    assert len(session.runs_view().rows) == 3  # nothing yet
    note = session.forget_runs((kept[0], current), confirmed=True)
    assert note.startswith("Forgot the run mlp small.") and "current run stays" in note
    assert kept[0] not in session.kept and kept[1] in session.kept
    assert {r.id for r in session.runs_view().rows} == set(before) - {kept[0]}
    assert {r.id for r in Session(small).runs_view().rows} == set(before) - {kept[0]}

    with pytest.raises(ValueError, match="current run stays"):
        session.forget_runs((current,))
    session.forget_runs(tuple(before), confirmed=True)
    assert [r.id for r in Session(small).runs_view().rows] == [current]  # written as it trains

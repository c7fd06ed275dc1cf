"""A traced name: its letters' -ln p add up to the model's loss on that name, measured the way
val and test are (a split of that one name), for every kind of model; the CLI's score says so
too, and a character outside the vocabulary is one line, not a crash."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import re

import pytest
from test_cli import NAMES300, run

from engine.cli_output import cell_width
from engine.dataset import load_dataset
from engine.evaluation import finish, split_loss_chunks
from engine.families import preset
from engine.trace import trace
from engine.trainer import Trainer

NAMES = ("emma", "andrej", "ava")


def _loss_of(trainer: Trainer, name: str) -> float:
    """The model's summed loss on one name, by the evaluation's own path, of the weights val
    is measured with (averaged, where the run averages)."""
    data = dataclasses.replace(
        trainer.dataset, splits={**trainer.dataset.splits, "test": (name,)}, _examples={}
    )
    with trainer.averaged():
        mean = finish(split_loss_chunks(trainer.model, data, "test", 64, lambda *_: None))
    return mean * (len(name) + 1)


@pytest.mark.parametrize(
    ("model", "preset_name", "steps"),
    [
        ("uniform", "", 1),
        ("bigram", "", 10_000),
        ("ngram", "", 10_000),
        ("bigram-neural", "", 50),
        ("mlp", "lecture", 50),
        ("mlp", "default", 50),  # with its ngram prior
    ],
)
def test_a_traced_names_letters_add_up_to_its_loss(embedded, model, preset_name, steps):
    trainer = Trainer(embedded, preset(preset_name, model))
    while trainer.step < steps and trainer.stopped is None:
        trainer.run(steps)
    if trainer.model.fits_on_val:
        trainer.evaluate(("val",))
    for name in NAMES:
        traced = trace(trainer, name)
        assert [x.next for x in traced.letters] == [*name, embedded.vocab.boundary_symbol]
        assert math.isclose(sum(x.nll for x in traced.letters), traced.total)
        assert traced.total == pytest.approx(_loss_of(trainer, name), rel=1e-6)
        assert all(x.nll == pytest.approx(-math.log(x.probability)) for x in traced.letters)
        if model == "uniform":
            assert traced.surprise is None
        else:
            worst = max(x.nll for x in traced.letters)
            assert traced.letters[traced.surprise].nll == worst


def test_the_counting_bigram_shows_the_entries_it_used(embedded):
    trainer = Trainer(embedded, preset("", "bigram"))
    trainer.run(10_000)
    counts, probabilities = trainer.model.bigram_tables()
    traced = trace(trainer, "emma")
    index = embedded.vocab.stoi()
    e, m = index["e"], index["m"]
    assert traced.letters[1].count == int(counts[e, m])
    assert traced.letters[1].probability == pytest.approx(float(probabilities[e, m]))
    assert trainer.model.parameter_count() == embedded.vocab.size**2  # the post's 27 x 27


def test_a_character_outside_the_vocabulary_is_named(embedded):
    from engine.session import Session

    view = Session(embedded).trace("zoë")
    assert view.traces == [] and "ë" in view.error


def test_a_name_as_shown_with_its_escapes_is_traced_and_looked_inside():
    """A generated name is shown with its invisible characters escaped ('👍\\U0001f3fd');
    taken off the screen into the trace or the look inside, it is the same name, where its
    escapes were refused as characters not in the vocabulary. A backslash of the name's own
    stays one."""
    from engine.dataset import Dataset, visible
    from engine.inside import inside_view
    from engine.session import Session

    items = ["👍🏽ana", "ana‍bo", "bo\\t", "ana", "bo", "ti", "na"] * 3
    data = Dataset.from_items(items)
    session = Session(data)
    for name in ("👍🏽ana", "ana‍bo", "bo\\t"):
        view = session.trace(visible(name))
        assert view.error is None and view.name == visible(name)
        direct = session.trace(name)
        assert [t.total for t in view.traces] == [t.total for t in direct.traces]
    assert visible("👍🏽ana") == "👍\\U0001f3fdana"  # what the generator shows
    assert "U" in session.trace("\\U0001f600").error  # no character of the list: its letters
    trainer = Trainer(data, preset("makemore", "transformer"))
    # the context token by token: a label cuts it whole, not inside an escape
    assert trace(trainer, "👍🏽ana").letters[2].context[-2:] == ["👍", "\\U0001f3fd"]
    inside = inside_view(trainer, "👍\\U0001f3fdana")
    assert inside.name == "👍\\U0001f3fdana" and len(inside.letters) == 6


def test_score_gives_per_letter_probabilities_that_add_up(capsys, tmp_path):
    save = str(tmp_path / "mlp.pt")
    argv = ["train", "--data", str(NAMES300), "--preset", "lecture", "--steps", "100"]
    assert run(capsys, *argv, "--save", save)[0] == 0
    code, out, _ = run(capsys, "score", "emma", "andrej", "--checkpoint", save, "--json")
    assert code == 0
    scored = json.loads(out)["names"]
    assert [s["name"] for s in scored] == ["emma", "andrej"]
    for entry in scored:
        (model,) = entry["models"]
        assert model["model"] == "mlp" and model["step"] == 100
        nll = sum(-math.log(letter["p"]) for letter in model["letters"])
        assert nll == pytest.approx(model["nll"], rel=1e-9)
        assert model["mean"] == pytest.approx(nll / (len(entry["name"]) + 1))


def test_score_without_a_checkpoint_uses_the_counting_models_and_refuses_a_stray_letter(capsys):
    code, out, _ = run(capsys, "score", "emma", "--data", str(NAMES300))
    assert code == 0 and "bigram" in out and "uniform" in out and "sum" in out
    code, out, err = run(capsys, "score", "emma", "zoë", "--data", str(NAMES300))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: 'zoë'") and "ë" in err


def test_score_lines_up_its_columns_in_terminal_cells(capsys, tmp_path):
    """Kana and Hangul take two cells and a combining mark none: the table pads by cells, so
    every row's figures start in the same column of the terminal."""
    data = tmp_path / "kana.txt"
    data.write_text("あすか\nくみ子\nはると\n건우\nzoé\n" * 4, encoding="utf-8")
    code, out, _ = run(capsys, "score", "あすか", "건우", "zoé", "--data", str(data))
    assert code == 0
    rows = [line for line in out.splitlines() if "→" in line]
    assert len(rows) == 4 + 3 + 4
    starts = {cell_width(row[: re.search(r"→ \S+ +", row).end()]) for row in rows}
    assert len(starts) == 1
    assert cell_width("あ건") == 4 and cell_width("e\u0301") == 1 and cell_width("abc") == 3


def test_score_reads_names_from_standard_input_and_gives_their_loss_over_all(capsys, monkeypatch):
    """`score -` takes the names piped in; over the test split, the loss it gives every
    counting model is that model's test loss (the ngram's mix fit on val, as when trained)."""
    dataset = load_dataset(str(NAMES300))
    piped = "\n\n".join(dataset.items_of("test")) + "\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(piped.encode())))
    code, out, _ = run(capsys, "score", "-", "--data", str(NAMES300), "--json")
    assert code == 0
    scored = json.loads(out)
    assert [s["name"] for s in scored["names"]] == list(dataset.items_of("test"))
    models = [m["model"] for m in scored["names"][0]["models"]]
    overall = dict(zip(models, scored["overall"]["means"], strict=True))
    for model in ("bigram", "ngram"):
        trainer = Trainer(dataset, preset("", model))
        while trainer.stopped is None:
            trainer.run(1_000)
        # as `train` reports it: val first, on which the ngram fits its mix
        test = trainer.evaluate(("val", "test"))["test"]
        assert overall[model] == pytest.approx(test, rel=1e-6)
    # a piped name of letters the data has not: said, and the others scored all the same
    piped = "zoë\n" + piped + "ZOË\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(piped.encode())))
    code, out, err = run(capsys, "score", "-", "--data", str(NAMES300), "--json")
    assert code == 0 and err.startswith("warning: skipped 'zoë': ") and "(and 1 more)" in err
    assert json.loads(out)["overall"] == {**scored["overall"], "skipped": 2}
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO("\n\nzoë\n".encode())))
    code, _, err = run(capsys, "score", "-", "--data", str(NAMES300))
    assert code == 2 and err.endswith("error: no names to score on standard input\n")


def test_a_context_shows_a_vowel_sign_on_its_letter_and_alone_on_a_circle(capsys, tmp_path):
    """A context is the name so far: its vowel signs sit on their letters ("कमला", as typed),
    where they were each drawn on a dotted circle ("कमल◌ा"), and the part shown of a long
    one never begins with a sign cut from its letter. A sign standing alone, after the start
    or as the next character, keeps its circle."""
    data = tmp_path / "hindi.txt"
    data.write_text("कमला\nकिंशुक\nसीता\nगीता\nराम\nअनिल\n" * 3, encoding="utf-8")
    code, out, _ = run(capsys, "score", "कमला", "किंशुक", "--data", str(data), "--json")
    assert code == 0
    contexts = {
        letter["context"]
        for name in json.loads(out)["names"]
        for model in name["models"]
        for letter in model["letters"]
    }
    assert "कमला" in contexts and "कमल◌ा" not in contexts  # the ngram's last four letters
    assert "◌िंशु" in contexts  # cut from its letter: one circle for both its signs
    assert "◌ा" in contexts  # the bigram's context: the sign alone
    vocab = load_dataset(str(data)).vocab
    alone = vocab.encode("ा")
    assert vocab.symbols([0, *alone]) == [vocab.boundary_symbol, "◌ा"]  # after the start
    assert vocab.symbols(vocab.encode("सकिं")) == ["स", "किं"]  # never cut from its letter

"""Models that generalize: the counting ngram as the bar, the best weights kept, overfitting
seen and stopped, and presets sized for the data."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from engine.cli import main
from engine.dataset import DataSize, load_dataset
from engine.families import preset
from engine.families.ngram import CountingNGram
from engine.trainer import Trainer

NAMES300 = Path(__file__).resolve().parent / "fixtures" / "names300.txt"  # of the embedded names


def train_json(capsys, *argv: str) -> dict:
    assert main(["train", "--samples", "0", "--json", *argv]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.mark.slow
def test_the_ngram_on_names_txt_is_the_lectures_bar(capsys, names_path):
    """An interpolation of add-k 2..5-gram counts, weights fit on val, gives 2.023 there."""
    result = train_json(capsys, "--data", str(names_path), "--model", "ngram")
    assert result["config"]["order"] == 5 and result["stopped"].startswith("counted all")
    assert result["test_loss"] <= 2.03


def test_the_ngram_counts_every_order_and_mixes_them_by_val(small):
    trainer = Trainer(small, preset("ngram").with_values(order=3, batch_size=3))
    while trainer.stopped is None:
        trainer.run(1)
    model = trainer.model
    assert isinstance(model, CountingNGram)
    x, y = small.examples("train").tensors(2)
    for keys, counts in model.contexts:
        assert int(counts.sum()) == len(y)  # every example counted once at every order
        assert len(keys) == len(set(keys.tolist()))
    losses = trainer.evaluate(("val",))
    assert math.isfinite(losses["val"]) and model.weights.shape == (model.BUCKETS, 3)
    assert model.weights.sum(1).allclose(model.weights.new_ones(model.BUCKETS))
    probabilities = model(x[:5]).exp()
    assert probabilities.sum(1).allclose(probabilities.new_ones(5))


def test_a_training_examples_prior_leaves_it_out_of_the_counts(small):
    """As a new example's would be: else the net learns to trust counts that saw the answer."""
    x, y = small.examples("train").tensors(2)
    counted = CountingNGram(small.vocab.size, 3)
    counted.count(x, y)
    for i in (0, 7, len(y) - 1):
        others = torch.cat([torch.arange(i), torch.arange(i + 1, len(y))])
        without = CountingNGram(small.vocab.size, 3)
        without.count(x[others], y[others])
        without.weights = counted.weights = torch.rand(counted.BUCKETS, 3).softmax(1).double()
        held_out = counted(x[i : i + 1], y[i : i + 1])
        assert torch.allclose(held_out, without(x[i : i + 1]))
        assert held_out[0, y[i]] < counted(x[i : i + 1])[0, y[i]]

    trainer = Trainer(small, preset("default").with_values(prior_order=3))
    prior = trainer.model.prior
    xt, yt = small.examples("train").tensors(trainer.model.block_size)
    assert torch.equal(trainer.prior.of_split("train"), prior(xt[:, -2:], yt).float())
    xv, _ = small.examples("val").tensors(trainer.model.block_size)
    assert torch.equal(trainer.prior.of_split("val"), prior(xv[:, -2:]).float())


def test_the_kept_best_weights_give_the_reported_best_val_loss(capsys, tmp_path):
    # With averaged weights too: val is measured on the average, and the best is one.
    bare = ["--preset", "lecture", "--average", "0.9", "--steps", "3000", "--eval-every", "100"]
    bare.append("--no-early-stop")
    result = train_json(capsys, "--data", str(NAMES300), *bare, "--save", str(tmp_path / "r.pt"))
    assert result["best_step"] < result["steps"]  # the lecture's MLP overfits 300 names
    assert result["weights"] == "best"
    assert result["val_loss"] == pytest.approx(result["best_val_loss"], abs=1e-9)
    assert result["best_test_loss"] == result["test_loss"]
    last = train_json(capsys, "--data", str(NAMES300), *bare, "--keep-last")
    assert last["weights"] == "last" and last["val_loss"] > last["best_val_loss"]
    assert last["best_test_loss"] == pytest.approx(result["test_loss"], abs=1e-9)


def test_early_stopping_fires_on_300_names():
    trainer = Trainer(load_dataset(NAMES300), preset("lecture").with_values(patience=3))
    while trainer.overfitting_since is None and trainer.step < 20_000:
        trainer.run(trainer.eval_every)
        trainer.evaluate(("val",))
    assert trainer.overfitting_since == trainer.best_step < trainer.step < 20_000
    assert trainer.train_history.values[-1] < trainer.best_val  # train kept falling


def test_the_cli_stops_early_and_says_why(capsys):
    result = train_json(capsys, "--data", str(NAMES300), "--preset", "lecture")
    assert result["stopped"].startswith("overfitting at step")
    assert f"since step {result['best_step']:,}" in result["stopped"]


@pytest.mark.slow
def test_no_early_stop_on_names_txt_within_a_minute(capsys, names_path):
    """60 s of the default MLP on a slow 2-core machine is about 80,000 steps."""
    result = train_json(capsys, "--data", str(names_path), "--steps", "80000")
    assert result["stopped"] is None and result["steps"] == 80_000


def sized(examples: int, longest_item: int = 15) -> DataSize:
    return DataSize(examples, longest_item)


def test_presets_are_sized_for_the_data():
    large, small = (
        preset("default").for_data(sized(200_000)),
        preset("default").for_data(sized(2_000)),
    )
    assert (large.shape.n_hidden, large.shape.n_embd, large.shape.dropout) == (256, 16, 0.0)
    assert small.shape.n_hidden < large.shape.n_hidden and small.shape.n_embd < large.shape.n_embd
    assert small.shape.dropout > 0 and small.run.weight_decay > large.run.weight_decay
    assert small.run.epochs > large.run.epochs  # few examples: more passes over them
    assert not large.run.fit_data and preset("lecture").for_data(sized(2_000)) == preset("lecture")
    # 30 million examples (a 42 MB file): valid, and no larger than at 2 million
    huge = preset("default").for_data(sized(30_000_000))
    assert not huge.shape.problems() + huge.run.problems()
    assert huge == preset("default").for_data(sized(2_000_000))


@pytest.mark.slow
def test_the_mlp_beats_its_ngram_prior_on_300_names():
    data = load_dataset(NAMES300)
    ngram = Trainer(data, preset("ngram"))
    ngram.run(10**6)
    bar = ngram.evaluate(("val", "test"))
    mlp = Trainer(data, preset("default"))
    while mlp.step < mlp.config.run.schedule_steps(mlp.train_examples):
        mlp.run(mlp.eval_every)
        mlp.evaluate(("val",))
    mlp.use_best_weights()
    assert mlp.split_loss("val") < bar["val"]
    assert mlp.split_loss("test") < bar["test"] + 0.05


def test_the_last_val_loss_is_exact_after_the_history_averages_its_points(small):
    """The val history halves its points when full; the figure shown and the next evaluation's
    due step must not drift with it."""
    trainer = Trainer(small, preset("lecture"))
    for _ in range(1100):
        trainer.run(1)
        losses = trainer.evaluate(("val",))
    assert len(trainer.val_history) < 1100  # averaged
    assert trainer.last_val == (1100, losses["val"])

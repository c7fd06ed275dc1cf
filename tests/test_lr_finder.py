"""The learning-rate finder: its sweep leaves the run untouched, stops when the loss blows up,
and suggests the lecture's rate for the lecture's MLP."""

from __future__ import annotations

import json

import pytest
import torch

from engine.families import preset
from engine.lr_finder import LearningRateFinder
from engine.trainer import Trainer
from tui.cli import main


def test_the_sweep_leaves_the_run_untouched(small):
    trainer = Trainer(small, preset("default").with_values(batch_size=8))
    trainer.run(20)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    optimizer = str(trainer.optimizer.state_dict())
    random_state = trainer.generator.get_state().clone()
    finder = LearningRateFinder(trainer, steps=60)
    while not finder.done:
        finder.advance(7)
    sweep = finder.sweep()
    assert sweep.done and 10 <= len(sweep.losses) == len(sweep.rates) == len(sweep.smoothed)
    after = trainer.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert str(trainer.optimizer.state_dict()) == optimizer
    assert torch.equal(trainer.generator.get_state(), random_state)
    assert trainer.step == 20 and len(trainer.train_history) == 20
    trainer.run(1)  # and the run goes on


def test_the_sweep_stops_when_the_loss_blows_up(small):
    finder = LearningRateFinder(Trainer(small, preset("lecture")), steps=300)
    while not finder.done:
        finder.advance(50)
    sweep = finder.sweep()
    assert len(sweep.rates) < 300
    assert "blew up" in sweep.reason or "became" in sweep.reason
    assert sweep.rates == sorted(sweep.rates) and sweep.rates[0] == pytest.approx(1e-4)


def test_counting_models_have_no_rate(small):
    with pytest.raises(ValueError, match="no learning rate"):
        LearningRateFinder(Trainer(small, preset("ngram")))


def test_lr_find_suggests_the_lectures_rate(capsys, names_path):
    assert main(["lr-find", "--data", str(names_path), "--preset", "lecture", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert 0.03 <= result["suggested"] <= 0.5  # the lecture trains at 0.1
    assert len(result["rates"]) == len(result["losses"]) > 100

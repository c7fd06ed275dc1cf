"""The quality figures on names.txt with the lectures' split. Each preset trains its whole
schedule; how long that takes is the benchmark's business (bench/), never a test's."""

from __future__ import annotations

import pytest

from engine import families
from engine.trainer import Trainer


@pytest.mark.slow
@pytest.mark.parametrize(("preset", "target"), [("default", 2.00), ("strong", 1.96)])
def test_preset_reaches_its_test_loss(names, preset, target):
    trainer = Trainer(names, families.preset(preset))
    report = trainer.run(trainer.config.run.schedule_steps(trainer.train_examples))
    assert report.stopped is None
    losses = trainer.evaluate(("train", "val", "test"))
    print(preset, report.step, losses)
    assert losses["test"] <= target

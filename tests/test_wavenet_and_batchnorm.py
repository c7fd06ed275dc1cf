"""BatchNorm (the MLP's norm "batch", and every WaveNet level) and the WaveNet's shape: the
lectures' parts 3 and 5."""

from __future__ import annotations

import json

import pytest
import torch
from test_seed_lessons import NAMES300

from engine import families
from engine.cli import main
from engine.dataset import load_dataset
from engine.trainer import Trainer


def test_the_lectures_wavenet_has_its_76579_parameters_and_starts_near_ln_v():
    config = families.preset("lecture", "wavenet")
    model = config.build(27)
    assert model.parameter_count() == 76_579
    assert [len(level) for level in model.levels_seen()] == [4, 2, 1]
    assert model.levels_seen()[-1] == [(0, 7)]  # the last level sees the whole context
    idx, targets = torch.randint(0, 27, (64, 8)), torch.randint(0, 27, (64,))
    loss = torch.nn.functional.cross_entropy(model.train()(idx), targets).item()
    assert loss == pytest.approx(3.296, abs=0.1)  # its last layer made 10x smaller


@pytest.mark.parametrize("block_size", [3, 6, 12])
def test_a_wavenet_context_that_is_no_power_of_two_is_refused(capsys, block_size):
    with pytest.raises(ValueError, match=f"must be a power of two .*not {block_size}"):
        families.preset("default", "wavenet").with_values(block_size=block_size)
    args = ["train", "--data", str(NAMES300), "--model", "wavenet", "--block-size", "6"]
    assert main(args) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: block_size must be a power of two")


@pytest.mark.parametrize(("model", "preset"), [("mlp", "batchnorm"), ("wavenet", "lecture")])
def test_batchnorm_uses_the_batch_while_training_and_running_estimates_after(model, preset):
    """Once trained, a context's logits do not depend on the others in its batch: the running
    estimates, which follow the batches' statistics, stand in for them."""
    trainer = Trainer(load_dataset(NAMES300), families.preset(preset, model))
    trainer.run(300)
    net = trainer.model
    x, _ = trainer.dataset.examples("train").batch(torch.arange(64), net.block_size)
    with torch.no_grad():
        alone, together = net(x[:1]), net(x)[:1]
        torch.testing.assert_close(alone, together)
        net.train()
        assert not torch.allclose(net(x[:2])[:1], net(x)[:1])  # the batch's own statistics
        net.eval()
    means = net.running_mean
    assert means.abs().sum() > 0 and (net.running_var > 0).all()


def test_the_wavenet_trains_saves_and_samples(tmp_path, capsys):
    checkpoint = tmp_path / "wavenet.pt"
    args = ["train", "--data", str(NAMES300), "--model", "wavenet", "--preset", "lecture"]
    assert main([*args, "--steps", "200", "--save", str(checkpoint), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["config"]["model"] == "wavenet" and result["steps"] == 200
    assert result["test_loss"] < result["initial_loss"]
    assert main(["sample", "--checkpoint", str(checkpoint), "-n", "3", "--seed", "1"]) == 0
    first = capsys.readouterr().out
    assert main(["sample", "--checkpoint", str(checkpoint), "-n", "3", "--seed", "1"]) == 0
    assert capsys.readouterr().out == first and len(first.splitlines()) == 3

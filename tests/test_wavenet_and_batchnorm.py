"""BatchNorm (the MLP's norm "batch", and every WaveNet level) and the WaveNet's shape: the
lectures' parts 3 and 5."""

from __future__ import annotations

import json
import re

import pytest
import torch
from rich.cells import cell_len
from test_seed_lessons import NAMES300

from engine import families
from engine.cli import main
from engine.dataset import load_dataset
from engine.lesson import STEPS, Guide
from engine.protocol import NormStats
from engine.session import Session
from engine.trainer import Trainer
from tui.screens.diagnostics import norm_text, tree_text


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


def test_the_lessons_next_steps_show_batchnorm_unsaturate_the_net_and_the_wavenets_size():
    """Past the post: the same saturated net without and with BatchNorm, then the WaveNet."""
    session = Session.open(str(NAMES300))
    guide = Guide()
    first_next = next(i for i, step in enumerate(STEPS) if step.source != "the post")
    guide.step = first_next
    figures = []
    for move in (0, 1):
        guide.go(session, move, confirmed=True)
        assert session.active == "mlp" and STEPS[guide.step].source == "the lecture"
        session.train(300)
        figures.append(guide.view(session).ours)
    assert session.trainer.config.shape.norm == "batch"
    saturation = [int(re.search(r"(\d+)% of tanh outputs", f).group(1)) for f in figures]
    assert saturation[0] > 15 and saturation[1] < 5, figures
    guide.go(session, 1, confirmed=True)
    assert session.active == "wavenet"
    assert guide.view(session).ours.startswith(f"{session.trainer.model.parameter_count():,}")
    guide.go(session, -2, confirmed=True)  # back to the post's own net: ReLU, full batch
    guide.go(session, -6, confirmed=True)
    shape, run = session.trainers["mlp"].config.shape, session.trainers["mlp"].config.run
    assert (shape.activation, shape.norm, run.batch_size, run.steps) == ("relu", "none", 0, 1000)


@pytest.mark.parametrize(("model", "preset"), [("mlp", "batchnorm"), ("wavenet", "default")])
def test_calibration_sets_the_running_estimates_to_the_examples_own(model, preset):
    """The lecture's calibration: one pass over examples, no dropout; an average's copy gets
    it before each evaluation, its weights being no step's."""
    net = families.preset(preset, model).with_values(dropout=0.3).build(27)
    net.eval()
    x = torch.randint(0, 27, (512, net.block_size))
    net.calibrate(x)
    assert not net.training and net.dropout == 0.3
    running = net.running_mean.clone(), net.running_var.clone()
    net.dropout = 0.0
    with torch.no_grad():
        walk = net.train().walk(x)
    for layer, norm in enumerate(walk.norms):
        torch.testing.assert_close(norm.mean, running[0][layer])
        torch.testing.assert_close(norm.z.var(0), running[1][layer])


def test_calibrated_statistics_are_the_training_examples_own_and_leave_the_run_alone(small):
    """norm_stats calibrated: val is measured with BatchNorm's statistics measured afresh on
    training examples (the lecture's calibration), and the running ones the steps keep are
    left as they are."""
    running = Trainer(small, families.preset("batchnorm"))
    calibrated = Trainer(small, families.preset("batchnorm").with_values(norm_stats="calibrated"))
    for trainer in (running, calibrated):
        trainer.run(50)
    assert torch.equal(running.model.running_mean, calibrated.model.running_mean)
    kept = calibrated.model.running_mean.clone()
    x, y = small.examples("val").tensors(3)
    copy = families.preset("batchnorm").build(small.vocab.size)
    copy.load_state_dict(calibrated.model.state_dict())
    copy.calibrate(small.examples("train").tensors(3)[0])
    copy.eval()
    expected = copy.loss_sum(x, y) / len(y)
    assert calibrated.evaluate(("val",))["val"] == pytest.approx(expected, rel=1e-5)
    assert running.evaluate(("val",))["val"] != pytest.approx(expected, rel=1e-3)
    assert torch.equal(calibrated.model.running_mean, kept)


def test_the_tree_keeps_each_character_in_its_cells_whatever_its_width():
    """A wide character, an escape and a mark on its circle each take the cells of one
    character (centred by code points, they pushed the rest away from the brackets below)."""
    context = [".", "中", "\\U0001f3fd", "\u25cc\u0301", "a", "👍", "é", "e"]
    levels = [[(i, i + 1) for i in range(0, 8, 2)], [(0, 3), (4, 7)], [(0, 7)]]
    _, characters, *brackets = tree_text(context, levels).plain.splitlines()
    assert cell_len(characters) == 9 + 3 * 8 == cell_len(brackets[0].split(" 4 groups")[0])
    assert "中" in characters and "\u25cc\u0301" in characters and "👍" in characters


def test_the_batchnorm_line_gives_small_inputs_two_significant_digits():
    tiny = NormStats([0.0001, -0.0002], [0.0011, 0.0052], [0.0, 0.0], [0.0012, 0.005])
    line = norm_text(tiny, "tanh").plain
    assert "std 0.0011 to 0.0052" in line, line
    usual = NormStats([0.5, -1.25], [0.8, 2.4], [0.5, -1.2], [0.8, 2.4])
    assert "mean -1.25 to +0.50 and std 0.80 to 2.40" in norm_text(usual, "tanh").plain

"""Inside the MLP: the diagnostics' figures are the ones computed directly, and the JSON of
`train --diagnostics` carries them."""

from __future__ import annotations

import json
import math

import pytest
import torch

from engine.cli import main
from engine.diagnostics import diagnose
from engine.families import preset
from engine.trainer import Trainer


def test_figures_match_a_direct_computation(small):
    trainer = Trainer(small, preset("lecture").with_values(n_hidden=16, n_embd=4))
    trainer.run(30)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    history: dict = {}
    view = diagnose(trainer, history)
    after = trainer.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the run is untouched
    # The same batch, by hand
    model = trainer.model
    x, y = small.examples("train").tensors(3)
    ix = torch.randint(0, len(y), (min(256, len(y)),), generator=torch.Generator().manual_seed(30))
    h = torch.tanh(model.embedding[x[ix]].flatten(1) @ model.weights[0] + model.biases[0])
    (layer,) = view.layers
    assert layer.saturation == pytest.approx((h.abs() > 0.97).float().mean().item())
    assert layer.act_mean == pytest.approx(h.mean().item(), abs=1e-6)
    assert layer.act_std == pytest.approx(h.std().item(), abs=1e-6)
    assert len(layer.dead_map) == min(32, len(ix)) and len(layer.dead_map[0]) == 16
    weight = next(w for w in view.weights if w.name == "weights.0")
    assert weight.update_to_data_log10 == pytest.approx(
        math.log10(0.1 * weight.grad_std / model.weights[0].std().item())
    )
    assert history["weights.0"] == [(30, weight.update_to_data_log10)]
    assert all(c.approximate for c in view.gradient_checks)  # hand-written == autograd


def test_relu_saturation_is_the_share_at_zero(small):
    trainer = Trainer(small, preset("seed").with_values(batch_size=8))
    trainer.run(5)
    (layer,) = diagnose(trainer, {}).layers
    assert 0 < layer.saturation < 1 and layer.act_histogram[0] == 0.0


def test_train_json_has_the_diagnostics(capsys, small, tmp_path):
    data = tmp_path / "d.txt"
    data.write_text("\n".join(small.items))
    args = ["train", "--data", str(data), "--preset", "lecture", "--steps", "50"]
    assert main([*args, "--diagnostics", "--json", "--samples", "0"]) == 0
    result = json.loads(capsys.readouterr().out.splitlines()[-1])
    (layer,) = result["diagnostics"]["layers"]
    assert set(layer) == {"name", "saturation", "act_mean", "act_std", "grad_std"}
    weights = {w["name"]: w for w in result["diagnostics"]["weights"]}
    assert set(weights) == {"embedding", "weights.0", "out_weight"}
    assert set(weights["weights.0"]) == {"name", "grad_to_data", "update_to_data_log10"}


def test_the_gradient_check_uses_the_prior_of_training(small):
    """A net with an ngram prior: both passes see the prior as training does (leave-one-out)."""
    trainer = Trainer(small, preset("default").with_values(prior_order=3))
    trainer.run(20)
    assert all(c.approximate for c in diagnose(trainer, {}).gradient_checks)

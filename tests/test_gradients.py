"""The MLP's hand-written backward pass (the lecture's "backprop ninja"): the gradients
autograd gives, and the same training."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from engine import families
from engine.trainer import Trainer


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("n_layers", [1, 2])
@pytest.mark.parametrize("n_hidden", [7, 64])
@pytest.mark.parametrize("dropout", [0.0, 0.3])
@pytest.mark.parametrize("norm", ["none", "batch"])
@pytest.mark.parametrize("training", [True, False], ids=["batch statistics", "running"])
def test_manual_gradients_are_autograds(activation, n_layers, n_hidden, dropout, norm, training):
    config = families.preset("lecture").with_values(
        activation=activation, n_layers=n_layers, n_hidden=n_hidden, n_embd=5, dropout=dropout
    )
    model = config.with_values(norm=norm).build(27)
    if norm == "batch":  # running estimates that are not those of the batch
        model.running_mean.normal_()
        model.running_var.uniform_(0.5, 2)
    model.train(training)
    _hand_is_autograd(model, torch.randint(0, 27, (48, 3)), torch.randint(0, 27, (48,)))


def _hand_is_autograd(model, idx, targets):
    """The loss and every parameter's gradient, by hand and by autograd, to 1e-6 relative."""
    model.generator = torch.Generator()
    model.generator.manual_seed(1)
    loss = F.cross_entropy(model(idx), targets)
    loss.backward()
    autograd = {name: p.grad.clone() for name, p in model.named_parameters()}
    for p in model.parameters():
        p.grad = None
    model.generator.manual_seed(1)  # the same dropout masks
    assert model.manual_gradients(idx, targets) == pytest.approx(loss.item(), rel=1e-6)
    for name, p in model.named_parameters():
        scale = autograd[name].abs().max().clamp(min=1e-12)
        assert (p.grad - autograd[name]).abs().max() / scale <= 1e-6, name


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("dropout", [0.0, 0.3])
@pytest.mark.parametrize("norm", ["none", "batch"])
def test_a_step_into_the_weights_is_the_sgd_step_of_the_gradients(activation, dropout, norm):
    """alpha = -lr into the parameters: what p -= lr * grad gives from the same gradients
    (the seed's init: gradients large enough to show a weight updated before its use)."""
    config = families.preset("lecture").with_values(
        activation=activation, n_layers=2, n_hidden=16, n_embd=5, dropout=dropout, init="seed"
    )
    config = config.with_values(norm=norm)
    by_gradients, in_place = config.build(27), config.build(27)
    idx, targets = torch.randint(0, 27, (48, 3)), torch.randint(0, 27, (48,))
    losses = []
    for model in (by_gradients, in_place):
        model.train()
        model.generator = torch.Generator().manual_seed(1)
    losses.append(by_gradients.manual_gradients(idx, targets))
    with torch.no_grad():
        for p in by_gradients.parameters():
            p -= 0.1 * p.grad
    losses.append(
        in_place.manual_gradients(idx, targets, into=list(in_place.parameters()), alpha=-0.1)
    )
    assert losses[0] == losses[1]
    for (name, p), q in zip(by_gradients.named_parameters(), in_place.parameters(), strict=True):
        assert q.grad is None, name
        torch.testing.assert_close(q, p, rtol=1e-6, atol=1e-7, msg=name)


@pytest.mark.parametrize(
    ("model", "preset"),
    [
        ("mlp", "lecture"),
        ("mlp", "default"),
        ("mlp", "seed"),
        ("mlp", "batchnorm"),
        ("wavenet", "lecture"),
        ("wavenet", "default"),
    ],
)
def test_200_steps_give_the_same_loss(small, model, preset):
    """Also with the ngram prior, dropout, AdamW, averaging, BatchNorm, and a full batch in
    chunks."""
    runs = {}
    for gradients in ("manual", "autograd"):
        config = families.preset(preset, model).with_values(gradients=gradients)
        trainer = Trainer(small, config)
        trainer.run(200)
        runs[gradients] = trainer.evaluate(("train", "val"))
    assert runs["manual"]["train"] == pytest.approx(runs["autograd"]["train"], abs=1e-5)
    assert runs["manual"]["val"] == pytest.approx(runs["autograd"]["val"], abs=1e-5)


def test_a_nan_still_stops_the_run_and_keeps_the_last_good_weights(small):
    trainer = Trainer(small, families.preset("lecture").with_values(gradients="manual"))
    trainer.run(40)
    with torch.no_grad():
        trainer.model.out_bias[0] = float("nan")
    report = trainer.run(10)
    assert report.stopped is not None and "loss became nan" in report.stopped.text
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters())


@pytest.mark.parametrize("block_size", [2, 8])
@pytest.mark.parametrize("dropout", [0.0, 0.3])
@pytest.mark.parametrize("training", [True, False], ids=["batch statistics", "running"])
def test_the_wavenets_manual_gradients_are_autograds(block_size, dropout, training):
    config = families.preset("lecture", "wavenet").with_values(
        block_size=block_size, n_embd=5, n_hidden=16, dropout=dropout
    )
    model = config.build(27)
    model.running_mean.normal_()
    model.running_var.uniform_(0.5, 2)
    model.train(training)
    _hand_is_autograd(model, torch.randint(0, 27, (48, block_size)), torch.randint(0, 27, (48,)))


@pytest.mark.parametrize("gradients", ["manual", "autograd"])
def test_a_full_batch_of_distinct_contexts_is_every_examples_loss_and_gradients(
    embedded, gradients
):
    trainer = Trainer(embedded, families.preset("seed").with_values(gradients=gradients))
    step = trainer.gradient
    distinct = step.batches(0)
    x, y = embedded.examples("train").tensors(3)
    assert sum(len(chunk[0]) for chunk in distinct) < len(x) / 4
    by_context = step.gradients(distinct), [p.grad.clone() for p in step.params]
    by_example = step.gradients([(x, y, None, 1.0)]), [p.grad.clone() for p in step.params]
    assert by_context[0] == pytest.approx(by_example[0], rel=1e-6)
    for ours, theirs in zip(by_context[1], by_example[1], strict=True):
        # float32 sums over every example, or over the distinct contexts, round differently
        assert (ours - theirs).abs().max() <= 1e-4 * theirs.abs().max()


@pytest.mark.parametrize("values", [{"dropout": 0.1}, {"norm": "batch"}, {"prior_order": 3}])
def test_a_full_batch_is_every_example_where_an_output_is_not_its_contexts_alone(embedded, values):
    trainer = Trainer(embedded, families.preset("default").with_values(batch_size=0, **values))
    (x, y, _, _), *_ = trainer.gradient.batches(0)
    assert y.dim() == 1

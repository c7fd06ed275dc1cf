"""One contract, run over every family and preset of the registry (as harlequin runs one suite
over every adapter): a family is tested the moment it is registered."""

from __future__ import annotations

import dataclasses
import math

import pytest

from engine import checkpoint
from engine.families import FAMILIES, family
from engine.lr_finder import LearningRateFinder
from engine.protocol import BigramView, Capability, DiagnosticsView, EmbeddingView
from engine.sampling import sample
from engine.session import Session
from engine.trainer import Trainer

PRESETS = [(f.name, name) for f in FAMILIES for name in f.presets]
STEPS = 40


def _trainer(dataset, model: str, preset: str) -> Trainer:
    return Trainer(dataset, family(model).preset(preset))


def _train(trainer: Trainer) -> None:
    """Some steps; a counting model to the end of its epoch."""
    trainer.run(10**6 if trainer.family.counts else STEPS)


@pytest.mark.parametrize(("model", "preset"), PRESETS, ids=[f"{m} {p}" for m, p in PRESETS])
def test_the_first_loss_is_that_of_knowing_nothing_and_steps_lower_it(few_names, model, preset):
    """ln|V| at first, or the prior's loss for a net on counts (the seed's randn init is the
    one preset made to start far above); then lower, but for the uniform: nothing to learn."""
    trainer = _trainer(few_names, model, preset)
    first, uniform = trainer.split_loss("val"), math.log(few_names.vocab.size)
    if trainer.prior is not None:
        counts = trainer.prior.model
        x, y = few_names.examples("val").tensors(counts.block_size)
        assert first == pytest.approx(counts.loss_sum(x, y) / len(y), abs=0.05)
    elif trainer.config.as_dict().get("init") == "seed":
        assert first > uniform
    else:
        assert first == pytest.approx(uniform, abs=0.05)
    _train(trainer)
    assert math.isfinite(trainer.last_loss)
    val = trainer.evaluate(("val",))["val"]  # of the averaged weights, as the app shows it
    nothing_to_learn = trainer.model.parameter_count() == 0
    assert val == pytest.approx(uniform) if nothing_to_learn else val < first


@pytest.mark.parametrize(("model", "preset"), PRESETS, ids=[f"{m} {p}" for m, p in PRESETS])
def test_a_checkpoint_goes_on_exactly_and_samples(few_names, tmp_path, model, preset):
    trainer = _trainer(few_names, model, preset)
    trainer.run(5)
    path = tmp_path / "run.pt"
    checkpoint.save(trainer, path)
    restored = checkpoint.load(path, few_names)
    assert restored.config == trainer.config
    assert restored.split_loss("val") == trainer.split_loss("val")
    for run in (trainer, restored):
        run.run(5)
    assert restored.last_loss == trainer.last_loss and restored.step == trainer.step
    names = sample(restored.model, few_names, 5, seed=1)
    assert len(names) == 5 and all(math.isfinite(n.logprob) for n in names)


@pytest.mark.parametrize("model", [f.name for f in FAMILIES])
def test_describe_memory_and_parameters_are_sane(few_names, model):
    trainer = _trainer(few_names, model, "")
    config = trainer.config
    assert config.describe() and "\n" not in config.describe()
    assert 0 <= config.memory_needed(few_names.vocab.size, trainer.train_examples) < 2**30
    _train(trainer)
    assert trainer.model.parameter_count() >= 0
    assert set(config.editable()) == set(family(model).form())


@pytest.mark.parametrize("model", [f.name for f in FAMILIES])
def test_the_views_a_family_declares_are_sent_and_the_others_are_not(few_names, model):
    session = Session(few_names)
    session.select_model(model)
    session.watching = True
    _train(session.trainer)
    capabilities = family(model).capabilities
    views = {type(v): v for v in session.views(running=False, steps_per_second=None)}
    assert (views[EmbeddingView].points is not None) == (Capability.EMBEDDING in capabilities)
    assert bool(views[BigramView].top) == (Capability.BIGRAMS in capabilities)
    assert (DiagnosticsView in views) == (Capability.DIAGNOSTICS in capabilities)
    if Capability.LEARNING_RATE in capabilities:
        finder = LearningRateFinder(session.trainer, steps=20)
        finder.advance(20)
        assert finder.done
    else:
        with pytest.raises(ValueError, match="takes no gradient steps: it has no learning rate"):
            LearningRateFinder(session.trainer)


@pytest.mark.parametrize("model", [f.name for f in FAMILIES])
def test_a_value_out_of_its_bounds_is_refused_by_name(model):
    """Each bounded setting just outside its range, below and above: one ValueError naming
    that field (a rule between fields is not asked of it: n_head 0 divided by zero)."""
    config = family(model).preset("")
    for settings in (config.shape, config.run):
        for f in dataclasses.fields(settings):
            meta = f.metadata
            if meta.get("low") is None:
                continue
            step = 1 if f.type == "int" else 1e-3
            for bad in (meta["low"] - (0 if meta["above"] else step), meta["high"] + step):
                if math.isinf(bad):
                    continue
                bad = int(bad) if f.type == "int" else bad
                with pytest.raises(ValueError, match=f"^{f.name} must be"):
                    settings.with_values(**{f.name: bad})

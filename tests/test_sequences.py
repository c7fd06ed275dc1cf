"""The path of the families that read whole items, a target at every position (makemore's RNN,
GRU and Transformer train so): batches of padded items, the loss per character, evaluation on
the same examples as the window models, the prior, checkpoints and sampling. Tried with a
family of the tests' own: a bigram that reads items, which must give the neural bigram's
figures exactly, on the same table."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
import torch
from torch import nn

from engine import checkpoint, families
from engine.config import RunConfig, Settings, setting
from engine.dataset import NO_TARGET, Dataset
from engine.families import preset
from engine.families.base import Config, Family, Preset, SequenceModel
from engine.sampling import sample
from engine.trainer import Trainer


class ItemBigram(SequenceModel):
    """The neural bigram's table, read along a whole item: the logits at each position are
    its row of the token there (and the prior's, if any, added)."""

    def __init__(self, vocab_size: int, block_size: int) -> None:
        super().__init__()
        self.block_size = block_size
        self.logits = nn.Parameter(torch.zeros(vocab_size, vocab_size))

    def forward(self, idx: torch.Tensor, prior: torch.Tensor | None = None) -> torch.Tensor:
        logits = self.logits[idx]
        return logits if prior is None else logits + prior


@dataclass(frozen=True)
class ItemShape(Settings):
    block_size: int = setting(4, 1, 64, new_model=True)  # short: long items are cut
    prior_order: int = setting(0, new_model=True)


class ItemBigramFamily(Family):
    name = "item-bigram"
    summary = "the tests' own: a bigram that reads whole items"
    Shape = ItemShape
    presets = {
        "item-bigram": Preset(
            "",
            ItemShape(),
            RunConfig(batch_size=8, optimizer="adamw", learning_rate=0.3, lr_schedule="constant"),
        )
    }

    def build(self, config: Config, vocab_size: int) -> ItemBigram:
        return ItemBigram(vocab_size, config.shape.block_size)

    def prior_order(self, shape: Settings) -> int:
        return shape.prior_order


FAMILY = ItemBigramFamily()


def _pair(dataset: Dataset, **values: object) -> tuple[Trainer, Trainer]:
    """An item bigram and a neural bigram with the same random table."""
    items = Trainer(dataset, FAMILY.preset().with_values(**values))
    pairs = Trainer(dataset, preset("bigram-neural"))
    table = torch.randn(dataset.vocab.size, dataset.vocab.size, generator=torch.Generator())
    with torch.no_grad():
        items.model.logits.copy_(table)
        pairs.model.logits.copy_(table)
    return items, pairs


def test_its_losses_are_the_window_models_on_the_same_examples(embedded, monkeypatch):
    """Items cut every 4 targets, in chunks of a few segments, and only the first 1,000
    examples of each split measured (as for |V| large): the same figures as per example."""
    monkeypatch.setattr("engine.evaluation.EVAL_EXAMPLES", 1000)
    items, pairs = _pair(embedded)
    for split in ("train", "val", "test"):
        assert items.split_loss(split) == pytest.approx(pairs.split_loss(split), rel=1e-6)


def test_it_samples_the_names_of_the_same_table(embedded):
    items, pairs = _pair(embedded)
    assert sample(items.model, embedded, 30, seed=3) == sample(pairs.model, embedded, 30, seed=3)


def test_a_batch_is_padded_items_and_its_loss_is_per_character(small):
    examples = small.examples("train")
    x, y, rows = examples.segment_batch(torch.arange(len(examples.segments(64)[0])), 64)
    assert int((y != NO_TARGET).sum()) == len(examples)  # every example once, nothing more
    first = rows[:, 0]
    assert bool((x[:, 0] == 0).all())  # each item opens with a boundary
    assert torch.equal(y[rows >= 0], examples.tensors(1)[1][rows[rows >= 0]])
    assert len(first) == len(small.splits["train"])


def test_it_trains_resumes_exactly_and_starts_from_its_prior(embedded, tmp_path, monkeypatch):
    monkeypatch.setattr(families, "FAMILIES", (*families.FAMILIES, FAMILY))  # as if registered
    trainer = Trainer(embedded, FAMILY.preset())
    first = trainer.split_loss("val")
    assert first == pytest.approx(math.log(embedded.vocab.size))  # the zero table
    trainer.run(50)
    assert trainer.evaluate(("val",))["val"] < first
    assert trainer.tokens_seen > 50 * 8  # characters, not items
    path = tmp_path / "run.pt"
    checkpoint.save(trainer, path)
    restored = checkpoint.load(path, embedded)
    for run in (trainer, restored):
        run.run(20)
    assert restored.last_loss == trainer.last_loss
    with_prior = Trainer(embedded, FAMILY.preset().with_values(prior_order=3))
    counts = with_prior.prior.model
    x, y = embedded.examples("val").tensors(counts.block_size)
    assert with_prior.split_loss("val") == pytest.approx(counts.loss_sum(x, y) / len(y), rel=1e-6)
    with_prior.run(5)
    assert math.isfinite(with_prior.last_loss)


def test_a_full_batch_of_items_is_one_batch(small):
    """batch_size 0: every segment, in chunks weighted by their characters."""
    trainer = Trainer(small, FAMILY.preset().with_values(batch_size=0, block_size=2))
    with torch.no_grad():
        trainer.model.logits.normal_(generator=torch.Generator().manual_seed(1))
    before = trainer.split_loss("train")
    trainer.run(1)
    assert trainer.initial_loss == pytest.approx(before, rel=1e-6)
    assert trainer.tokens_seen == len(small.examples("train"))

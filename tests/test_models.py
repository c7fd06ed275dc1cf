from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from engine import families
from engine.dataset import Dataset
from engine.families.bigram import TABLE_MAX_VOCAB, CountingBigram
from engine.families.mlp import MLP
from engine.families.ngram import CountingNGram
from engine.trainer import Trainer


def _all_pairs(data: Dataset):
    xs, ys = zip(*(data.examples(s).tensors(1) for s in ("train", "val", "test")), strict=True)
    return torch.cat(xs), torch.cat(ys)


def test_counting_bigram_over_the_whole_file(names):
    x, y = _all_pairs(names)
    assert len(y) == 228146
    model = CountingBigram(names.vocab.size, smoothing=1.0)
    model.count(x, y)
    assert F.cross_entropy(model(x), y).item() == pytest.approx(2.454577, abs=5e-5)
    model.smoothing = 0.0
    assert F.cross_entropy(model(x), y).item() == pytest.approx(2.454014, abs=5e-5)


def test_counting_is_vectorized_and_exact(small):
    x, y = small.examples("train").tensors(1)
    model = CountingBigram(small.vocab.size)
    model.count(x, y)
    expected = torch.zeros_like(model.counts)
    for a, b in zip(x[:, 0].tolist(), y.tolist(), strict=True):  # the seed's N[i, j] += 1
        expected[a, b] += 1
    assert torch.equal(model.counts, expected)


@pytest.mark.parametrize("possible", [60, 10**12], ids=["table", "merged"])
def test_counts_added_step_by_step_are_the_counts_of_all_at_once(possible):
    from engine.counting import add_counts

    generator = torch.Generator().manual_seed(0)
    steps = [torch.randint(0, min(possible, 5000), (n,), generator=generator) for n in range(60)]
    keys = counts = torch.zeros(0, dtype=torch.long)
    for new in steps:
        keys, counts = add_counts(keys, counts, new, possible)
    expected_keys, expected_counts = torch.cat(steps).unique(return_counts=True)
    assert torch.equal(keys, expected_keys) and torch.equal(counts, expected_counts)


def test_one_epoch_of_steps_gives_exactly_the_training_counts(names):
    trainer = Trainer(names, families.preset("bigram"))
    counts_seen = []
    while trainer.stopped is None:
        trainer.run(50)
        counts_seen.append(int(trainer.model.counts.sum()))
    assert counts_seen == sorted(counts_seen) and len(counts_seen) > 3  # fills up step by step
    x, y = names.examples("train").tensors(1)
    full = CountingBigram(names.vocab.size)
    full.count(x, y)
    assert torch.equal(trainer.model.counts, full.counts)
    assert "counted all 182,625 pairs" in trainer.stopped.text
    assert trainer.split_loss("test") == pytest.approx(2.458, abs=2e-3)


def test_neural_bigram_converges_to_the_counting_loss(embedded):
    names = embedded
    counting = Trainer(names, families.preset("bigram"))
    counting.run(10**6)
    neural = Trainer(names, families.preset("bigram-neural"))
    assert neural.split_loss("val") == pytest.approx(math.log(27), abs=1e-6)
    neural.run(families.preset("bigram-neural").run.decay_steps)
    assert neural.split_loss("val") == pytest.approx(counting.split_loss("val"), abs=0.01)


@pytest.mark.parametrize("preset", ["small", "lecture", "default", "strong"])
def test_mlp_starts_near_uniform_loss_or_at_its_prior(few_names, preset):
    """Near-zero output weights: the net adds nothing at first, to a uniform guess or, with a
    prior, to the ngram's counts."""
    trainer = Trainer(few_names, families.preset(preset))
    assert isinstance(trainer.model, MLP)
    if trainer.config.shape.prior_order:
        ngram = Trainer(
            few_names, families.preset("ngram").with_values(order=trainer.config.shape.prior_order)
        )
        ngram.run(10**6)
        expected = ngram.evaluate(("val",))["val"]
        assert expected < math.log(27) - 0.5  # far below uniform
    else:
        expected = math.log(27)
    assert trainer.split_loss("val") == pytest.approx(expected, abs=0.05)


def test_the_seed_preset_is_the_posts_network(embedded):
    """ReLU, plain randn weights and biases, full batch at 0.1 for 1000 steps: the first loss
    is in the tens (26.47 in the post), not ln|V|."""
    seed = families.preset("seed")
    values = seed.as_dict()
    assert [values[k] for k in ("block_size", "n_embd", "n_hidden", "n_layers")] == [3, 2, 100, 1]
    assert [values[k] for k in ("activation", "init", "batch_size")] == ["relu", "seed", 0]
    assert [values[k] for k in ("learning_rate", "lr_schedule", "decay_steps")] == [
        0.1,
        "constant",
        1000,
    ]
    trainer = Trainer(embedded, seed)
    report = trainer.run(2)
    assert 15 < trainer.initial_loss < 60
    assert report.loss < trainer.initial_loss
    assert trainer.tokens_seen == 2 * trainer.batch_size == 2 * len(trainer._train)


def test_a_full_batch_in_chunks_is_one_batch(embedded, monkeypatch):
    """The chunks' gradients sum to the whole batch's: the same run with one chunk."""
    config = families.preset("seed").with_values(init="scaled")
    chunked = Trainer(embedded, config)
    chunked.run(3)
    monkeypatch.setattr("engine.steps.FULL_BATCH_CHUNK", 10**9)
    whole = Trainer(embedded, config)
    whole.run(3)
    assert chunked.last_loss == pytest.approx(whole.last_loss, rel=1e-5)
    for a, b in zip(chunked.model.parameters(), whole.model.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-5)


def test_presets_as_documented():
    small = families.preset("small").as_dict()
    assert [small[k] for k in ("block_size", "n_embd", "activation")] == [3, 2, "tanh"]
    lecture = families.preset("lecture").as_dict()
    assert [lecture[k] for k in ("block_size", "n_embd", "n_hidden", "batch_size")] == [
        3,
        10,
        200,
        32,
    ]
    assert [lecture[k] for k in ("optimizer", "learning_rate", "lr_min")] == ["sgd", 0.1, 0.01]


def test_mlp_shape_follows_the_config():
    model = (
        families.preset("lecture")
        .with_values(block_size=4, n_embd=5, n_hidden=7, n_layers=3)
        .build(11)
    )
    assert model(torch.zeros(2, 4, dtype=torch.long)).shape == (2, 11)
    assert [tuple(w.shape) for w in model.weights] == [(20, 7), (7, 7), (7, 7)]
    assert sum(p.numel() for p in model.parameters()) == 11 * 5 + 20 * 7 + 7 + 2 * 56 + 7 * 11 + 11


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"n_hidden": 0}, "n_hidden must be a whole number from 1"),
        ({"learning_rate": -1}, "learning_rate must be above 0"),
        ({"optimizer": "adam"}, "optimizer must be one of sgd, adamw"),
        ({"smoothing": 1}, "the mlp has no smoothing"),
    ],
)
def test_bad_hyperparameters_are_refused(values, message):
    with pytest.raises(ValueError, match=message):
        families.preset("lecture").with_values(**values)


def test_unknown_models_and_presets_are_errors_not_an_mlp():
    with pytest.raises(ValueError, match="no model is called 'lstm': there are bigram, "):
        families.family("lstm")
    with pytest.raises(ValueError, match="no preset is called 'huge'"):
        families.preset("huge")
    with pytest.raises(ValueError, match="preset must be one of seed, small, lecture"):
        families.preset("bigram", "mlp")


def test_values_from_text():
    config = families.preset("lecture").with_values(n_hidden="64", learning_rate="3e-3")
    assert (config.shape.n_hidden, config.run.learning_rate) == (64, 3e-3)
    with pytest.raises(ValueError, match="n_hidden must be a whole number, not 'lots'"):
        families.preset("lecture").with_values(n_hidden="lots")
    # a whole number as the app prints one, or in powers of ten; never a fraction cut off
    for text, value in [("30,000", 30_000), ("3e4", 30_000), ("64.0", 64), (" 64 ", 64)]:
        assert families.preset("lecture").with_values(steps=text).run.steps == value
    for text in ["64.5", "3,00", "1e400", "nan"]:
        with pytest.raises(ValueError, match="steps must be a whole number"):
            families.preset("lecture").with_values(steps=text)


def test_the_counts_are_sparse_and_the_same_at_any_vocabulary_size(small):
    """Above TABLE_MAX_VOCAB rows are made from the sparse counts: the same log-probabilities;
    and a checkpoint of the dense table still loads."""
    x, y = small.examples("train").tensors(1)
    model = CountingBigram(small.vocab.size)
    model.count(x, y)
    assert len(model.keys) < small.vocab.size**2  # only the pairs seen
    wide = CountingBigram(TABLE_MAX_VOCAB + 1)  # the same pairs, in a vocabulary too large
    wide.count(x, y)
    expected = (model.counts[x[:, 0]].double() + 1).log() - (
        model.counts[x[:, 0]].sum(1, keepdim=True).double() + TABLE_MAX_VOCAB + 1
    ).log()
    assert torch.allclose(wide(x)[:, : small.vocab.size], expected)
    old = CountingBigram(small.vocab.size)
    old.load_state_dict({"counts": model.counts})
    assert torch.equal(old.keys, model.keys) and torch.equal(old(x), model(x))


@pytest.mark.parametrize("wide", [False, True])
def test_a_counting_models_rows_hold_its_targets_probabilities(small, wide):
    """Rows of |V| log-probabilities (sampling, the prior) and those of the targets alone
    (losses) are two ways to one figure; the rows sum to 1, at any vocabulary size."""
    train, val = small.examples("train"), small.examples("val")
    vocab = TABLE_MAX_VOCAB + 1 if wide else small.vocab.size
    for model in (CountingBigram(vocab), CountingNGram(vocab, 3)):
        block = model.block_size
        model.count(*train.tensors(block))
        if isinstance(model, CountingNGram):
            model.fit(*val.tensors(block))
        x, y = val.tensors(block)
        rows = model(x)
        assert torch.allclose(rows.gather(1, y[:, None])[:, 0], model.target_log_probs(x, y))
        assert torch.allclose(rows.exp().sum(1), torch.ones(len(x), dtype=torch.float64))


def test_the_ngram_leaves_an_example_out_of_its_own_counts(small):
    """forward(x, held_out=y) of a counted example is what counts without it would give."""
    x, y = small.examples("train").tensors(2)
    counted = CountingNGram(small.vocab.size, 3)
    counted.count(x, y)
    counted.fit(*small.examples("val").tensors(2))
    for i in (0, 7, len(x) - 1):
        others = torch.cat([torch.arange(i), torch.arange(i + 1, len(x))])
        without = CountingNGram(small.vocab.size, 3)
        without.count(x[others], y[others])
        without.smoothing, without.weights = counted.smoothing, counted.weights
        assert torch.allclose(counted(x[i : i + 1], y[i : i + 1]), without(x[i : i + 1]))


def test_ngram_orders_are_lowered_to_what_the_vocabulary_allows():
    config = families.preset("default").for_vocab(20_000)
    ngram = families.preset("ngram").for_vocab(20_000)
    assert (config.shape.prior_order, ngram.shape.order) == (4, 4)
    assert families.preset("default").for_vocab(27) == families.preset("default")


def test_the_tanh_layer_is_tanh():
    """It is computed as 2·sigmoid(2z) − 1, which is faster here (models.MLP.hidden)."""
    model = families.preset("lecture").with_values(n_embd=4, n_hidden=50).build(27)
    x = torch.linspace(-12, 12, 4 * 3 * 200).view(200, 12)
    weight, bias = model._layers[0]
    expected = torch.tanh(torch.addmm(bias, x, weight))
    assert (model.hidden(x, weight, bias) - expected).abs().max() < 3e-7

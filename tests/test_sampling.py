from __future__ import annotations

import math

import pytest
import torch

from engine.dataset import Dataset
from engine.families import preset
from engine.sampling import Sample, SampleOptions, StreamState, sample, stream
from engine.trainer import Trainer


@pytest.fixture(scope="module")
def names(embedded):
    return embedded


@pytest.fixture(scope="module")
def trained(names):
    trainer = Trainer(names, preset("default"))  # on the 5-gram: like names from the start
    trainer.run(300)
    return trainer


@pytest.fixture(scope="module")
def bigram(names):
    trainer = Trainer(names, preset("bigram"))
    trainer.run(10**6)
    return trainer


def test_batched_and_deterministic(trained, names):
    a = sample(trained.model, names, 50, seed=7)
    assert a == sample(trained.model, names, 50, seed=7)
    assert a != sample(trained.model, names, 50, seed=8)
    assert len(a) == 50 and all(isinstance(s, Sample) for s in a)


def test_tags_and_logprobs(trained, names, bigram):
    for model in (trained.model, bigram.model):
        names_out = sample(model, names, 200, seed=1)
        tags = {s.tag for s in names_out}
        assert "new" in tags and "train" in tags
        for s in names_out:
            assert s.tag == names.tag(s.text) and s.logprob < 0
    # The log-probability is the model's: recompute one name by hand.
    s = names_out[0]
    x, y = _examples_of(names, s.text)
    expected = bigram.model(x).gather(1, y[:, None]).sum().item()
    assert s.logprob == pytest.approx(expected, rel=1e-5)  # sampled in float32


def _examples_of(names, text):
    """The bigram contexts and targets of one name: .a -> a, a -> b, ..., last -> ."""
    ids = names.vocab.encode(text)
    return torch.tensor([[0]] + [[i] for i in ids]), torch.tensor(ids + [0])


def test_temperature_top_k_prefix_and_cap(trained, names):
    cold = sample(trained.model, names, 300, SampleOptions(temperature=0.3), seed=1)
    hot = sample(trained.model, names, 300, SampleOptions(temperature=2.0), seed=1)
    mean = lambda xs: sum(s.logprob for s in xs) / len(xs)  # noqa: E731
    assert mean(cold) > mean(hot) + 3
    greedy = sample(trained.model, names, 20, SampleOptions(top_k=1), seed=1)
    assert len({s.text for s in greedy}) == 1
    prefixed = sample(trained.model, names, 30, SampleOptions(prefix="mar"), seed=1)
    assert all(s.text.startswith("mar") for s in prefixed)
    short = sample(trained.model, names, 100, SampleOptions(max_length=3, temperature=5), seed=1)
    assert max(len(s.text) for s in short) <= 3


def test_bad_options():
    with pytest.raises(ValueError, match="temperature"):
        SampleOptions(temperature=0)
    with pytest.raises(ValueError, match="top_k"):
        SampleOptions(top_k=0)


def test_prefix_outside_the_vocabulary(trained, names):
    with pytest.raises(ValueError, match="not in the vocabulary: '!', 'Z'$"):
        sample(trained.model, names, 3, SampleOptions(prefix="Zed!"))


def test_stream_grows_letter_by_letter_and_ends_with_the_samples(trained, names):
    events = list(stream(trained.model, names, 4, seed=3))
    states, final = events[:-1], events[-1]
    assert all(isinstance(e, StreamState) for e in states)
    lengths = [[len(t) for t in st.texts] for st in states]
    for before, after in zip(lengths, lengths[1:], strict=False):
        assert all(b <= a <= b + 1 for b, a in zip(before, after, strict=True))
    assert states[-1].done == [True] * 4
    assert [s.text for s in final] == states[-1].texts
    assert final == sample(trained.model, names, 4, seed=3)
    assert all(math.isfinite(s.logprob) for s in final)


def test_a_draw_follows_the_probabilities_and_never_takes_an_impossible_one():
    from engine.sampling import _draw

    generator = torch.Generator().manual_seed(0)
    row = torch.tensor([0.0, 0.25, 0.0, 0.0, 0.75, 0.0])
    drawn = _draw(row.expand(200_000, -1), generator)
    counts = torch.bincount(drawn, minlength=6) / len(drawn)
    assert counts[[0, 2, 3, 5]].sum() == 0
    assert counts[1] == pytest.approx(0.25, abs=0.005)
    one_left = torch.tensor([[0.0, 0.0, 1e-30, 0.0]]).expand(1000, -1)
    assert (_draw(one_left, generator) == 2).all()
    with pytest.raises(ValueError, match="no valid probabilities"):
        _draw(torch.tensor([[0.5, float("nan")]]), generator)


def test_names_are_cut_by_the_data_unless_told(names):
    """A list of long lines is not sampled as names: by default the cut is twice the longest
    training item (at least 32); max_length sets it."""
    rng = torch.Generator().manual_seed(0)
    letters = torch.randint(0, 3, (40, 50), generator=rng).tolist()
    long = Dataset.from_items(["".join("ab "[i] for i in line) for line in letters], "long")
    counted = Trainer(long, preset("bigram"))
    counted.run(10**6)
    model = counted.model  # a line ends after 1 letter in 50
    drawn = sample(model, long, 200, seed=1)
    assert max(len(s.text) for s in drawn) == 2 * 50
    assert all(s.cut == (len(s.text) == 100) for s in drawn)
    assert any(s.cut for s in drawn) and not all(s.cut for s in drawn)
    told = sample(model, long, 50, SampleOptions(max_length=40), seed=1)
    assert max(len(s.text) for s in told) == 40
    assert SampleOptions().cut(names) == 32  # names: at most 15 letters
    with pytest.raises(ValueError, match=r"shorter than the maximum length \(100\)"):
        sample(model, long, 1, SampleOptions(prefix="ab" * 50))


def test_a_name_is_never_drawn_empty_though_the_model_may_give_it_mass():
    """No item is empty (blank lines are skipped), so no name is drawn empty: on 51 names of
    one or two kanji the ngram gives an empty name a third of its mass, and a third of the
    names drawn were '(empty)'. The log-probability stays the model's own."""
    rng = torch.Generator().manual_seed(0)
    pairs = torch.randint(0, 60, (51, 2), generator=rng).tolist()
    kanji = [chr(0x4E00 + a) + chr(0x4E00 + b) * (a % 2) for a, b in pairs]
    tiny = Dataset.from_items(kanji, "kanji")
    counted = Trainer(tiny, preset("ngram"))
    counted.run(10**6)
    model = counted.model
    start = model(torch.zeros((1, model.block_size), dtype=torch.long))  # log-probabilities
    assert start[0, 0].exp() > 0.1  # the mass the model puts on an empty name
    for options in (SampleOptions(), SampleOptions(temperature=2.0), SampleOptions(greedy=True)):
        drawn = sample(model, tiny, 300, options, seed=1)
        assert all(s.text for s in drawn)
    block = model.block_size
    for s in sample(model, tiny, 5, seed=2):
        ids = [0] * block + tiny.vocab.encode(s.text) + [0]
        windows = torch.tensor([ids[t : t + block] for t in range(len(ids) - block)])
        targets = torch.tensor(ids[block:])
        by_hand = model(windows).gather(1, targets[:, None]).sum().item()
        assert s.logprob == pytest.approx(by_hand, rel=1e-5)  # not renormalised

"""makemore's sequence families (rnn, gru, bow, transformer) beyond the families' contract:
microgpt's network and schedule, sampling that costs one step per letter and draws what a
full pass draws, a padded batch that gives each item what it gives alone, the RNN's wiring,
and the attention weights as softmax rows."""

from __future__ import annotations

import math
import re

import pytest
import torch
from rich.cells import cell_len

from engine.dataset import Dataset
from engine.families import family
from engine.families.sequence import StepModel
from engine.inside import inside_view
from engine.lesson import STEPS, Guide
from engine.protocol import InsideView
from engine.sampling import SampleOptions, sample
from engine.session import Session
from engine.trainer import Trainer
from tui.screens.inside import attention_text, head_lines

STEP_FAMILIES = ["rnn", "gru", "bow", "transformer"]


def _trained(dataset, model: str, preset: str = "makemore", steps: int = 30) -> Trainer:
    trainer = Trainer(dataset, family(model).preset(preset))
    trainer.run(steps)
    trainer.model.eval()
    return trainer


def test_microgpt_is_its_network_and_schedule(embedded):
    config = family("transformer").preset("microgpt")
    trainer = Trainer(embedded, config)
    assert embedded.vocab.size == 27 and trainer.model.parameter_count() == 4192
    assert not any(name.endswith("bias") for name, _ in trainer.model.named_parameters())
    assert trainer.split_loss("val") == pytest.approx(math.log(27), abs=0.02)
    run = config.run
    assert (run.batch_size, run.steps, run.beta1, run.beta2) == (1, 1000, 0.85, 0.99)
    rates = [run.learning_rate_at(step, 1) for step in (0, 500, 999, 1000)]
    assert rates == pytest.approx([0.01, 0.005, 1e-5, 0.0])
    trainer.run(100)
    assert trainer.tokens_seen < 100 * 17  # one name a step, at most 16 letters and its end
    assert trainer.evaluate(("val",))["val"] < math.log(27) - 0.3


@pytest.mark.parametrize("model", STEP_FAMILIES)
def test_sampling_costs_one_step_per_letter_and_draws_what_a_full_pass_draws(
    embedded, monkeypatch, model
):
    trainer = _trained(embedded, model)
    net: StepModel = trainer.model
    steps = []
    read_next = net.read_next

    def counted(state, tokens, rows, position):
        steps.append(len(rows))
        return read_next(state, tokens, rows, position)

    monkeypatch.setattr(net, "read_next", counted)
    monkeypatch.setattr(net, "forward", None)  # a full pass would fail
    within = SampleOptions(max_length=net.block_size - 1)  # past it, the window is read again
    names = sample(net, embedded, 40, within, seed=5)
    assert sum(steps) == sum(len(n.text) + 1 for n in names)  # each letter and each end once
    monkeypatch.undo()
    monkeypatch.setattr(net, "sampler", lambda n: net.next_logits)  # the window, read again
    again = sample(net, embedded, 40, within, seed=5)
    assert [n.text for n in again] == [n.text for n in names]
    assert [n.logprob for n in again] == pytest.approx([n.logprob for n in names], abs=1e-4)


@pytest.mark.parametrize("model", STEP_FAMILIES)
def test_an_item_gets_the_same_logits_in_a_padded_batch_as_alone(embedded, model):
    net = _trained(embedded, model, "default", steps=5).model
    x, y, rows = embedded.examples("val").segment_batch(torch.arange(12), net.block_size)
    with torch.no_grad():
        together = net(x)
        for i in range(len(x)):
            length = int((rows[i] >= 0).sum())
            alone = net(x[i : i + 1, :length])
            assert torch.allclose(together[i, :length], alone[0], atol=1e-5)


def test_the_rnn_carries_the_previous_letters_state(embedded):
    """makemore's PR #3: each letter's state comes from the one before, not from the start,
    so the first letter still shows in the logits three letters on."""
    net = _trained(embedded, "rnn").model
    a, b = embedded.vocab.encode("anna"), embedded.vocab.encode("enna")
    with torch.no_grad():
        logits = net(torch.tensor([[0, *a], [0, *b]]))
    assert not torch.allclose(logits[0, 4], logits[1, 4])


def test_the_attention_weights_are_softmax_rows_over_the_letters_so_far(embedded):
    net = _trained(embedded, "transformer").model
    idx = torch.tensor([[0, *embedded.vocab.encode("olivia")]])
    maps = net.attention_maps(idx)
    assert len(maps) == 4 and maps[0].shape == (1, 4, 7, 7)
    for weights in maps:
        assert torch.allclose(weights.sum(-1), torch.ones(1, 4, 7))
        assert bool((weights.triu(1) == 0).all())  # no letter looks ahead
    block = net.blocks[0]
    x = block.ln_1(net.wte(idx) + net.wpe.weight[:7])
    q, k, _ = block.attn.qkv(x).view(1, 7, 3, 4, 16).unbind(2)
    scores = torch.einsum("bthd,bshd->bhts", q, k) / 4
    expected = scores.masked_fill(torch.ones(7, 7, dtype=torch.bool).triu(1), -math.inf)
    assert torch.allclose(maps[0], expected.softmax(-1), atol=1e-6)


def test_the_lessons_attention_step_trains_makemores_transformer_and_names_its_heads():
    session = Session.open()
    guide = Guide()
    guide.step = len(STEPS) - 1
    guide.go(session, 0, confirmed=True)
    assert session.active == "transformer" and session.trainer.config.preset == "makemore"
    assert "space trains" in guide.view(session).ours
    session.train(20)
    ours = guide.view(session).ours
    assert ours.startswith("step 20") and "'emma'" in ours, ours
    heads = re.findall(r"'(.)'", ours.split("look at")[1])
    assert len(heads) == 4 and set(heads) <= set(".emma")


def test_a_heads_weights_on_screen_are_the_models_softmax_rows_for_that_name(embedded):
    trainer = _trained(embedded, "transformer")
    view = inside_view(trainer, "olivia")
    idx = torch.tensor([[0, *embedded.vocab.encode("olivia")]])
    with trainer.averaged():  # the weights val and samples come from
        maps = trainer.model.attention_maps(idx)
    assert view.letters == list(".olivia")
    for layer, weights in zip(view.attention, maps, strict=True):
        assert torch.allclose(torch.tensor(layer), weights[0], atol=1e-6)
    lines = attention_text(view, 80).plain.splitlines()
    first = lines.index(next(line for line in lines if line.startswith("layer 1 · head 1")))
    rows = lines[first + 2 : first + 2 + len(view.letters)]  # under the header of letters
    for t, (line, row) in enumerate(zip(rows, maps[0][0, 0].tolist(), strict=True)):
        shown = [int(digit) for digit in line[2 : 2 + 2 * (t + 1) : 2]]
        assert line[0] == view.letters[t]
        assert shown == [min(9, int(w * 10 + 0.5)) for w in row[: t + 1]]


def test_a_name_past_the_context_is_quoted_as_far_as_it_is_read(embedded):
    """A long line's whole text filled the screen above its heads."""
    from tui.screens.inside import reading

    trainer = _trained(embedded, "transformer")
    context = trainer.model.block_size - 1  # letters after the boundary
    name = "ab" * 600
    view = inside_view(trainer, name)
    assert (view.read, view.cut) == (name[:context], len(name) - context)
    left_out = f"its last {len(name) - context:,} letters left out: past the context"
    assert reading(view) == f"'{name[:context]}…' ({left_out})"
    assert reading(inside_view(trainer, "olivia")) == "'olivia'"


def test_each_letter_of_a_head_keeps_its_two_columns_whatever_its_width():
    """A mark on its dotted circle, a wide character, an escape: each whole in its two
    columns (only the first code point was shown: the circle without its mark, half an
    escape, and a wide letter pushed its row out of line)."""
    letters = [".", "न", "\u25cc\u094d", "中", "\\u200d"]
    weights = [[1 / (t + 1)] * (t + 1) + [0.0] * (len(letters) - t - 1) for t in range(5)]
    title, header, *rows = head_lines(letters, weights, "layer 1 · head 1")
    assert len({line.cell_len for line in (title, header, *rows)}) == 1
    assert "\u25cc\u094d" in header.plain and "中" in header.plain
    for letter, row in zip(letters[:4], rows, strict=False):
        assert row.plain.startswith(letter) and cell_len(row.plain[: len(letter)]) <= 2
    assert rows[3].plain[1:].split() == ["3"] * 4  # after 中 (two columns): a quarter each


def test_a_name_too_long_for_the_width_shows_its_first_letters_in_whole_rows():
    """At 80 columns a head of 64 letters wrapped its header and rows onto the next line,
    out of line; now it shows the first letters that fit, and says so."""
    letters = ["."] + list("ab" * 32)
    weights = [[1 / (t + 1)] * (t + 1) + [0.0] * (len(letters) - t - 1) for t in range(65)]
    view = InsideView("transformer", 3, "ab" * 32, letters, attention=[[weights]], cut=0)
    lines = attention_text(view, 72).plain.splitlines()
    assert lines[0] == "Its first 35 letters of 65: a wider terminal shows more."
    head = lines[lines.index(next(line for line in lines if line.startswith("layer 1"))) :]
    assert all(len(line.rstrip()) <= 72 for line in head)
    assert head[1].split() == letters[:35] and not head[2 + 35].strip()
    assert head[2 + 34].split()[1:] == ["0"] * 35  # the 35th letter's row, whole: 1/35 each
    assert attention_text(view, 140).plain.startswith("layer 1")  # all 65 fit


@pytest.mark.parametrize("model", STEP_FAMILIES)
def test_the_context_fits_the_longest_item_as_makemores_does(model):
    items = ["ann", "bob", "eve", "ida", "max", "zoe", "lin", "a" * 29]
    long = Dataset.from_items(items, seed=1)
    assert "a" * 29 in long.splits["train"]
    for preset in ("makemore", "default"):
        assert Trainer(long, family(model).preset(preset)).config.shape.block_size == 30
    longer = Dataset.from_items([*items[:-1], "b" * 200], seed=1)
    assert Trainer(longer, family(model).preset("makemore")).config.shape.block_size == 64
    chosen = family(model).preset("makemore").with_values(block_size=8)
    assert Trainer(long, chosen).config.shape.block_size == 8
    short = Trainer(Dataset.from_items(list("abcdefgh")), family(model).preset("default"))
    assert (short.config.shape.block_size, short.config.shape.prior_order) == (2, 3)
    if model == "transformer":  # microgpt's own context
        assert Trainer(long, family(model).preset("microgpt")).config.shape.block_size == 16

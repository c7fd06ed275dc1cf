from __future__ import annotations

import torch

from engine.families import preset
from engine.trainer import Trainer
from engine.views import bigram_matrices, embedding_2d, top_bigrams


def test_top_bigrams_of_the_counting_model(names):
    trainer = Trainer(names, preset("bigram"))
    assert top_bigrams(trainer.model, names.vocab) == []  # nothing counted yet
    trainer.run(10**6)
    top = top_bigrams(trainer.model, names.vocab, 5)
    assert [(b.first, b.second) for b in top][:3] == [("n", "."), ("a", "."), ("a", "n")]
    assert [b.count for b in top] == sorted((b.count for b in top), reverse=True)
    counts, probs = bigram_matrices(trainer.model)
    assert counts.sum() == 182625 and torch.allclose(
        probs.sum(1), torch.ones(27, dtype=probs.dtype)
    )
    n_row = names.vocab.stoi()["n"]
    assert top[0].probability == probs[n_row, 0].item()


def test_neural_bigram_and_mlp_views(small):
    neural = Trainer(small, preset("bigram-neural"))
    neural.run(200)
    assert len(top_bigrams(neural.model, small.vocab, 10)) == 10
    assert embedding_2d(neural.model) is None
    mlp = Trainer(small, preset("small"))
    points = embedding_2d(mlp.model)
    assert points.shape == (small.vocab.size, 2)
    assert torch.equal(points.float(), mlp.model.embedding.detach())  # size 2: as it is
    assert bigram_matrices(mlp.model) is None


def test_pca_is_stable_between_frames(small):
    trainer = Trainer(small, preset("default"))
    before = embedding_2d(trainer.model)
    assert before.shape == (small.vocab.size, 2)
    trainer.run(1)  # a tiny update must not flip the picture
    after = embedding_2d(trainer.model)
    assert (before - after).abs().max() < 0.2 * before.abs().max()


def test_probabilities_to_3_decimals_show_a_smoothed_pair_as_below_one_thousandth():
    from tui.widgets.bigrams import probability_text

    assert [probability_text(p, 5) for p in (0.1381, 0.00003, 0.0, 1.0)] == [
        ".138",
        "<.001",
        ".000",
        "1.000",
    ]
    assert probability_text(0.1381, 3) == ".14"


def test_the_scatter_places_every_label_even_on_one_point():
    from tui.widgets.scatter import bounds, place

    points = [(c, 0.5, 0.5) for c in "abcdefghijklmnopqrstuvwxyz."]
    region, far = bounds(points, zoomed=False)
    placed = place(points, region, 20, 6)
    assert far == [] and sorted(placed.values()) == sorted(c for c, _, _ in points)
    spread = [*points[:-1], (".", 40.0, 40.0)]
    assert bounds(spread, zoomed=True)[1] == ["."]  # far from the crowd: left out, named

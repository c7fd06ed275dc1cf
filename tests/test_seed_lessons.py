"""The seed post's own run, replayed: its network, its huge first loss, and its end, worse than
counting."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from engine.cli import main

NAMES300 = Path(__file__).resolve().parent / "fixtures" / "names300.txt"


@pytest.mark.slow
def test_the_seed_preset_is_the_posts_run(capsys, names_path):
    """ReLU, randn init, full batch, lr 0.1, 1000 steps: 26.47 to 2.53 in the post."""
    args = ["train", "--data", str(names_path), "--preset", "seed", "--samples", "0", "--json"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["steps"] == 1000 and result["config"]["batch_size"] == 0
    assert 15 <= result["initial_loss"] <= 60
    assert abs(result["train_loss"] - 2.53) <= 0.1
    assert result["test_loss"] > 2.458  # the counting bigram's: the post's second lesson


def test_initial_loss_is_in_the_json(capsys):
    args = ["train", "--data", str(NAMES300), "--preset", "small", "--steps", "3"]
    assert main([*args, "--samples", "0", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    # a scaled init starts at ln|V|; the seed's randn init far above it
    assert result["initial_loss"] == pytest.approx(math.log(result["vocab_size"]), abs=0.1)

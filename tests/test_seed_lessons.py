"""The seed post's own run, replayed: its network, its huge first loss, and its end, worse than
counting."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from engine.cli import main

NAMES300 = Path(__file__).resolve().parent / "fixtures" / "names300.txt"


def test_the_seed_preset_is_the_posts_run(capsys):
    """ReLU, randn init, full batch, lr 0.1, 1000 steps, from far above ln|V| (26.47 in the post).
    Its figures on names.txt are checked by the lesson's test, which trains it in the app."""
    args = ["train", "--data", str(NAMES300), "--preset", "seed", "--samples", "0", "--json"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    config = result["config"]
    assert result["steps"] == 1000 and config["batch_size"] == 0 and config["learning_rate"] == 0.1
    assert 15 <= result["initial_loss"] <= 60


def test_initial_loss_is_in_the_json(capsys):
    args = ["train", "--data", str(NAMES300), "--preset", "small", "--steps", "3"]
    assert main([*args, "--samples", "0", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    # a scaled init starts at ln|V|; the seed's randn init far above it
    assert result["initial_loss"] == pytest.approx(math.log(result["vocab_size"]), abs=0.1)

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from engine.sources import NAMES_SHA256, fetch_names, open_dataset
from tui.cli import main

NAMES300 = Path(__file__).resolve().parent / "fixtures" / "names300.txt"  # of the embedded names


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_train_json(capsys, tmp_path):
    save = tmp_path / "mlp.pt"
    code, out, _ = run(
        capsys,
        "train",
        "--steps",
        "300",
        "--n-hidden",
        "64",
        "--save",
        str(save),
        "--json",
    )
    assert code == 0
    result = json.loads(out.strip().splitlines()[-1])
    for key in (
        "model",
        "steps",
        "seconds",
        "train_loss",
        "val_loss",
        "test_loss",
        "vocab_size",
        "samples",
    ):
        assert key in result
    assert result["parameters"] == 27 * 14 + (6 * 14 + 1) * 64 + (64 + 1) * 27  # emb, hidden, out
    assert result["model"] == "mlp" and result["steps"] == 300 and result["vocab_size"] == 27
    assert result["config"]["n_hidden"] == 64 and len(result["samples"]) == 10
    assert 2.0 < result["val_loss"] < 3.0 and save.is_file()

    code, out, _ = run(
        capsys,
        "sample",
        "--checkpoint",
        str(save),
        "-n",
        "5",
        "--seed",
        "1",
        "--prefix",
        "al",
        "--json",
    )
    rows = json.loads(out)["samples"]
    assert code == 0 and len(rows) == 5
    assert all(
        r["text"].startswith("al") and r["tag"] in ("new", "train", "val", "test") for r in rows
    )
    code, out, _ = run(capsys, "sample", "--checkpoint", str(save), "-n", "3")
    assert code == 0 and len(out.strip().splitlines()) == 3


def test_train_runs_on_the_embedded_dataset_with_no_data(capsys):
    code, out, err = run(capsys, "train", "--model", "bigram")
    assert code == 0 and "16,527 items" in err and "loss train" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--model", "lstm"],
        ["train", "--steps", "ten"],
        ["train", "--steps", "5", "--seconds", "3"],
        ["train", "--n-hidden", "0"],
        ["train", "--data", "/no/such/file.txt"],
        ["sample", "--checkpoint", "/no/such.pt"],
        ["sample"],
        ["frobnicate"],
        ["train", "--learning-rate", "-1"],
    ],
)
def test_bad_arguments_exit_2_with_one_error_line(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["train", "--fit-data", "maybe"], "--fit-data: must be true or false, not 'maybe'"),
        (["train", "--steps", "ten"], "--steps: must be a whole number, not 'ten'"),
        (["train", "--learning-rate", "fast"], "--learning-rate: must be a number, not 'fast'"),
        (["sample", "--checkpoint", "x", "-n", "many"], "-n: must be a whole number, not 'many'"),
    ],
)
def test_a_bad_value_is_told_what_it_must_be(capsys, argv, said):
    assert said in run(capsys, *argv)[2]


def test_sample_with_bad_options(capsys, tmp_path):
    save = tmp_path / "b.pt"
    assert run(capsys, "train", "--model", "bigram", "--save", str(save))[0] == 0
    code, _, err = run(capsys, "sample", "--checkpoint", str(save), "--temperature", "0")
    assert code == 2 and err.startswith("error: temperature")
    code, _, err = run(capsys, "sample", "--checkpoint", str(save), "--prefix", "Q!")
    assert code == 2 and "not in the vocabulary" in err


def test_fetch_names_checks_the_sha256(server, names_path, tmp_path_factory, monkeypatch, capsys):
    root, url = server
    (root / "names.txt").write_bytes(names_path.read_bytes())
    (root / "bad.txt").write_bytes(b"emma\nolivia\n")
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    from engine.dataset import DatasetError

    with pytest.raises(DatasetError, match="has sha256 .* expected 0a30b5557f19"):
        fetch_names(f"{url}/bad.txt")
    assert not (cache / "makemore-tui" / "names.txt").exists()
    code, out, _ = run(capsys, "fetch-names", "--url", f"{url}/names.txt")
    assert code == 0 and "use it with --data names" in out
    path = cache / "makemore-tui" / "names.txt"
    import hashlib

    assert hashlib.sha256(path.read_bytes()).hexdigest() == NAMES_SHA256
    assert len(open_dataset("names").items) == 32033  # from the cache, no network


def test_fetch_names_offline(monkeypatch, tmp_path, capsys):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    code, _, err = run(capsys, "fetch-names", "--url", f"http://127.0.0.1:{port}/names.txt")
    assert code == 2 and "are you offline?" in err and err.count("\n") == 1
    assert "its path in place of 'names'" in err  # the way out, in the CLI and in the app's o


def test_characters_from_a_file_reach_the_terminal_escaped(capsys, tmp_path):
    """ESC, BEL and U+202E could drive the terminal; a skin tone or a variation selector on
    its own shifts the columns: all are shown as escapes, the rest as it is."""
    data = tmp_path / "crafted.txt"
    data.write_text("\n".join(["a\x1b[2Jb", "c\x07d", "e\u202ef", "g👍🏽h", "zoë"] * 20) + "\n")
    code, out, _ = run(capsys, "train", "--data", str(data), "--model", "bigram", "--steps", "5")
    assert code == 0 and "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "🏽" not in out


def test_visible_escapes_only_what_needs_it():
    from engine.dataset import visible

    assert visible("a\x1bb\x07\u202e") == "a\\x1bb\\x07\\u202e"
    assert visible("👍🏽🏳️\u200d🌈") == "👍\\U0001f3fd🏳\\ufe0f\\u200d🌈"
    assert visible("zoë 李娜 Αλέξης") == "zoë 李娜 Αλέξης"


def test_a_copied_name_carries_an_emojis_parts_but_no_control():
    from engine.dataset import pasteable

    assert pasteable("👍🏽🏳️\u200d🌈") == "👍🏽🏳️\u200d🌈"
    assert pasteable("a\x1bb\x07\u202ec\u2028") == "a\\x1bb\\x07\\u202ec\\u2028"


def test_the_seed_preset_stops_at_its_1000_steps_by_itself(capsys):
    code, out, _ = run(capsys, "train", "--data", str(NAMES300), "--preset", "seed", "--json")
    result = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and result["steps"] == 1000 and result["stop_reason"] == "done"
    code, out, _ = run(capsys, "train", "--data", str(NAMES300), "--preset", "seed", "--steps", "7")
    assert code == 0 and "7 steps" in out


def test_sample_repeats_with_a_seed_and_greedy_gives_the_likeliest_name(capsys, tmp_path):
    save = str(tmp_path / "mlp.pt")
    argv = ["train", "--data", str(NAMES300), "--preset", "lecture", "--steps", "300"]
    assert run(capsys, *argv, "--save", save)[0] == 0

    def names(*flags):
        code, out, _ = run(capsys, "sample", "--checkpoint", save, "-n", "6", "--json", *flags)
        assert code == 0
        return [s["text"] for s in json.loads(out)["samples"]]

    assert names("--seed", "5") == names("--seed", "5") != names("--seed", "6")
    greedy = names("--greedy")
    assert len(greedy) == 1 and greedy == names("--greedy", "--seed", "9")


def test_a_name_ended_by_the_length_limit_says_so(capsys, tmp_path):
    """As the app's generator marks it: … in the text, "cut" in the JSON."""
    save = str(tmp_path / "mlp.pt")
    assert run(capsys, "train", "--data", str(NAMES300), "--steps", "50", "--save", save)[0] == 0
    argv = ["sample", "--checkpoint", save, "-n", "20", "--max-length", "3", "--seed", "1"]
    code, out, _ = run(capsys, *argv)
    rows = json.loads(run(capsys, *argv, "--json")[1])["samples"]
    assert code == 0 and any(r["cut"] for r in rows) and not all(r["cut"] for r in rows)
    for row, line in zip(rows, out.splitlines(), strict=True):
        assert line.split()[0] == row["text"] + ("…" if row["cut"] else "")
        assert row["cut"] == (len(row["text"]) == 3)


def test_a_flag_families_word_differently_says_each_wording(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "mlp: characters of context it reads" in text
    assert "rnn, gru, bow, transformer: positions it reads at once" in text
    assert "0: the longest item and its end, up to 64" in text


def test_every_option_of_every_command_says_what_it_does():
    import argparse

    from engine.cli import build_parser

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    silent = [
        f"{name} {action.option_strings or action.dest}"
        for name, parser in commands.choices.items()
        for action in parser._actions
        if action.help is None
    ]
    assert silent == []


def test_counts_cut_short_say_how_much_they_counted(capsys):
    """A bar for the nets must be the counts of every training item: one cut short by
    --steps or --seconds said 'counted' all the same."""
    code, out, _ = run(capsys, "train", "--data", str(NAMES300), "--model", "ngram", "--steps", "1")
    assert code == 0 and re.search(r"; counted \d\d\.\d% of the training split: loss", out)
    assert re.search(r"^1 step in ", out, re.M)  # not "1 steps"
    code, out, _ = run(capsys, "train", "--data", str(NAMES300), "--model", "ngram")
    assert code == 0 and "; counted: loss" in out


def test_train_on_a_terminal_says_while_it_measures_the_losses(capsys, monkeypatch):
    """After the last step, a large split's losses can take longer than the training: on a
    terminal a line says what it is doing, and is cleared before the summary; a log gets no
    such line."""
    code, _, err = run(capsys, "train", "--steps", "20", "--samples", "0")
    assert code == 0 and "measuring" not in err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, _, err = run(capsys, "train", "--steps", "20", "--samples", "0")
    assert code == 0
    assert err.endswith("\nmeasuring the losses on train, val and test…\r\033[K")

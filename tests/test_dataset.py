from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest
import torch

from engine.dataset import BOUNDARY, Dataset, DatasetError, is_vowel, load_dataset


def test_split_is_the_lectures(names):
    words = Path(names.path).read_text().splitlines()
    random.seed(42)
    random.shuffle(words)
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    assert names.splits["train"] == tuple(words[:n1])
    assert names.splits["val"] == tuple(words[n1:n2])
    assert names.splits["test"] == tuple(words[n2:])
    assert names.splits["train"][0] == "yuheng"
    assert [len(names.splits[s]) for s in ("train", "val", "test")] == [25626, 3203, 3204]
    assert names.vocab.size == 27 and names.vocab.chars[0] == "a"


def test_examples_as_in_the_lecture(names):
    x, y = names.examples("train").tensors(3)
    assert x.shape == (182625, 3) and y.shape == (182625,)
    stoi = names.vocab.stoi()
    # "yuheng": ... -> y, ..y -> u, .yu -> h, ... , eng -> .
    assert x[:3].tolist() == [[0, 0, 0], [0, 0, stoi["y"]], [0, stoi["y"], stoi["u"]]]
    assert y[:3].tolist() == [stoi["y"], stoi["u"], stoi["h"]]
    assert x[6].tolist() == [stoi["e"], stoi["n"], stoi["g"]] and y[6] == BOUNDARY
    offsets = names.item_offsets("train")
    assert offsets[1] == len("yuheng") + 1 and offsets[-1] == len(y)


def test_lines_are_stripped_blank_lines_skipped_case_kept(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_text("  Anna \n\n\tbob\r\n   \nCARL\n" + "dora\n" * 10, encoding="utf-8")
    data = load_dataset(path)
    assert data.items[:3] == ("Anna", "bob", "CARL") and len(data.items) == 13
    assert {"A", "C", "a"} <= set(data.vocab.chars)


@pytest.mark.parametrize(
    "words",
    [
        ["Jürgen", "Müller", "Björn", "Käthe", "Uwe", "Jörg", "Günther", "Sören", "Ängela", "Weiß"],
        ["Анна", "Мария", "Дмитрий", "Иван", "Ольга", "Сергей", "Татьяна", "Юрий", "Ёлка", "Пётр"],
        ["さくら", "はると", "ゆい", "そうた", "ひな", "れん", "あおい", "ゆうと", "めい", "りく"],
    ],
)
def test_unicode_datasets_train_and_sample(tmp_path, words):
    from engine.families import preset
    from engine.sampling import sample
    from engine.trainer import Trainer

    path = tmp_path / "names.txt"
    path.write_text("\n".join(words * 3), encoding="utf-8")
    data = load_dataset(path)
    assert set(data.vocab.chars) == set("".join(words))
    trainer = Trainer(data, preset("default").with_values(decay_steps=50))
    trainer.run(50)
    for s in sample(trainer.model, data, 20, seed=1):
        assert set(s.text) <= set(data.vocab.chars)


def test_a_mark_that_combines_is_shown_on_a_dotted_circle():
    """On its own (a label, a cell of the grid) a mark would take no cell, or sit on what
    was drawn before it: it is shown on a dotted circle, every token in a cell or more."""
    from rich.cells import cell_len

    data = Dataset.from_items(["नमस्ते", "किशोर", "José", "é", "한국"] * 3)
    # decomposed: the accent and the Hangul vowels and finals are characters of their own
    data = Dataset.from_items([unicodedata.normalize("NFD", item) for item in data.items])
    symbols = [data.vocab.symbol(i) for i in range(data.vocab.size)]
    assert "\u25cc\u0301" in symbols and "\u25cc\u094d" in symbols  # the accent, the virama
    assert "\u25cc\u1161" in symbols  # Hangul's vowel a
    assert "न" in symbols and "e" in symbols  # letters as they are
    assert all(cell_len(s) >= 1 for s in symbols)


def test_vowels_of_the_latin_greek_and_cyrillic_alphabets_with_any_accent():
    """The embedding sets vowels apart: it did so for a e i o u y only, so a Greek or
    Russian list showed none, and the lesson's measure of how they gather said nothing."""
    assert all(map(is_vowel, "aEyéÅøάΐωΩёЯыї"))
    assert not any(map(is_vowel, "bñςκйў.ि"))
    vocab = Dataset.from_items(["μαρία", "νίκος"] * 4).vocab
    assert {vocab.symbol(i) for i in vocab.vowels} == {"α", "ί", "ο"}


def test_a_space_on_its_own_is_shown_as_an_open_box_unless_the_data_uses_one():
    two_words = Dataset.from_items(["ann lee", "bo ray", "cy", "di", "ed", "flo"])
    assert two_words.vocab.symbol(two_words.vocab.encode(" ")[0]) == "␣"
    boxed = Dataset.from_items(["ann lee", "bo␣ray", "cy", "di", "ed", "flo"])
    assert boxed.vocab.symbol(boxed.vocab.encode(" ")[0]) == " "


def test_a_name_typed_with_capitals_for_a_lower_case_list_is_told_the_way():
    """'Emma' in w, p's prefix or score, on names in lower case: the refusal says what would
    do; where lower case would not help either, it says only what is missing."""
    data = Dataset.from_items(["emma", "ava", "mia"] * 5)
    with pytest.raises(ValueError, match=r"^characters not in the vocabulary: 'E' \(try 'emma'\)$"):
        data.vocab.encode("Emma")
    with pytest.raises(ValueError, match=r"^characters not in the vocabulary: 'E', 'z'$"):
        data.vocab.encode("Ezma")


def test_boundary_never_clashes_with_a_character():
    data = Dataset.from_items(["a.b", "c.d", ".", "x"] * 5)
    assert "." in data.vocab.chars
    assert data.vocab.boundary_symbol != "."
    assert data.vocab.encode(".")[0] != BOUNDARY
    assert data.vocab.symbol(BOUNDARY) == data.vocab.boundary_symbol


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "no items"),
        (b"\n  \n\t\n", "no items"),
        (b"anna\nbob\n\xff\xfeoops\n", "not UTF-8 (invalid byte 0xff at line 3, byte 9)"),
        (b"anna\n\x00\x01\x02binary", "binary file (NUL byte at line 2"),
        ("\ufeffanna\n\x00".encode("utf-16-le"), "binary file (NUL character at line 2)"),
        (b"\xff\xfea\x00\x00\xd8", "not valid UTF-16 (at byte 4)"),
        (b"anna\nbob\ncarl\n", "3 items are too few"),
        (b"anna\n", "1 item is too few"),
    ],
)
def test_bad_files_get_one_clear_line(tmp_path, content, message):
    path = tmp_path / "data.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DatasetError) as error:
        load_dataset(path)
    text = str(error.value)
    assert message in text and str(path) in text and "\n" not in text


def test_utf16_with_its_bom_is_read_as_notepad_saves_unicode(tmp_path):
    items = ["José", "Zoë", "Наталья", "中文", "anna", "bob", "carl", "dora", "emil", "fay"]
    for encoding in ("utf-16-le", "utf-16-be"):
        path = tmp_path / f"{encoding}.txt"
        text = "\ufeff" + "\r\n".join(items) + "\r\n"
        path.write_bytes(text.encode(encoding))
        assert sorted(load_dataset(path).items) == sorted(items)


def test_a_directory_and_a_file_too_large(tmp_path):
    with pytest.raises(DatasetError, match="is a directory"):
        load_dataset(tmp_path)
    path = tmp_path / "big.txt"
    path.write_text("name\n" * 1000)
    with pytest.raises(DatasetError, match="larger than 1,000 bytes, the most it may be"):
        load_dataset(path, max_bytes=1000)


def test_tags(names):
    assert names.tag("yuheng") == "train"
    assert names.tag(names.splits["val"][0]) in ("val", "train")
    assert names.tag("zzzqqq") == "new"


def test_examples_are_kept_compact_and_give_contexts_of_any_size(small, names):
    lecture = torch.tensor(
        [[0, 0, 0], [0, 0, 25], [0, 25, 21], [25, 21, 8], [21, 8, 5], [8, 5, 14], [5, 14, 7]]
        + [[0, 0, 0], [0, 0, 4]]
    )  # yuheng, then diondre
    assert small.examples("train") is small.examples("train")
    val = small.examples("val")
    assert torch.equal(val.tensors(1)[1], val.tensors(4)[1])
    assert torch.equal(val.tensors(4)[0][:, 2:], val.tensors(2)[0])  # the last 2 of 4
    assert val._targets.dtype == torch.uint8  # a byte per example, and one for its depth
    rows = torch.tensor([5, 0, len(val) - 1])
    x, y = val._contexts(rows, 3)  # as a large split's batches are built
    assert torch.equal(x, val.tensors(3)[0][rows]) and torch.equal(y, val.tensors(3)[1][rows])
    assert torch.equal(names.examples("train")._contexts(torch.arange(9), 3)[0], lecture[:9])
    wide = Dataset.from_items([chr(0x4E00 + i) * 2 for i in range(300)])
    assert wide.examples("train")._targets.dtype == torch.int16

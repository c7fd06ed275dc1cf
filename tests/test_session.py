"""The engine side of the protocol: the session's rules, and the server's answers to requests."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import pytest
from recording import load, record, record_all
from test_seed_lessons import NAMES300

from engine import checkpoint
from engine.checkpoint import CheckpointError
from engine.commands import (
    FindLearningRate,
    Generate,
    NextModel,
    NudgeTemperature,
    OpenDataset,
    Reconfigure,
    RunSteps,
    SelectModel,
    SetSampling,
    Step,
    ToggleRunning,
)
from engine.errors import AskFirst
from engine.families import NAMES
from engine.families.base import Config
from engine.lesson import STEPS, Guide
from engine.loop import COUNT_STEP_SECONDS
from engine.protocol import (
    Answer,
    BigramView,
    Capability,
    EmbeddingView,
    FamiliesView,
    HyperparameterView,
    Idle,
    LossView,
    Names,
    Note,
    RateSweepView,
    SamplingView,
    StatusView,
)
from engine.sampling import TEMPERATURE_MAX, TEMPERATURE_MIN
from engine.session import EMBEDDING_POINTS, Session


@pytest.fixture
def session():
    return Session.open()


def test_reconfigure_applies_or_refuses_and_says_when_it_starts_over(session):
    session.next_model()
    session.next_model()
    session.train(5)
    with pytest.raises(ValueError, match="block_size must be a whole number"):
        session.reconfigure({"block_size": "x"})
    with pytest.raises(ValueError, match="the mlp has no smoothing"):
        session.reconfigure({"smoothing": "2"})
    assert session.trainer.step == 5 and session.trainer.config.shape.block_size == 6
    assert session.reconfigure({"learning_rate": "0.01"}) is False
    assert session.trainer.step == 5 and session.trainer.config.run.learning_rate == 0.01
    with pytest.raises(AskFirst, match="n_embd 8 starts a new mlp: its 5 steps start over"):
        session.reconfigure({"n_embd": "8"})
    assert session.trainer.step == 5
    assert session.reconfigure({"n_embd": "8"}, confirmed=True) is True
    assert session.trainer.step == 0 and session.trainer.config.shape.n_embd == 8


def test_a_preset_chosen_in_the_form_is_named_alone_with_what_was_changed_on_top(session):
    """The form sends every field a preset fills; the note and the question name the preset
    and only the fields typed over its values, not all sixteen it filled."""
    session.select_model("transformer")
    microgpt = session.trainer.config.preset_values(session.trainer.data_size)["microgpt"]
    shown = session.trainer.config.editable()
    values = {k: v for k, v in microgpt.items() if shown[k] != v} | {"learning_rate": "0.02"}
    assert len(values) > 5
    assert session.changes_in_words(values) == "preset microgpt, learning_rate 0.02"
    assert session.changes_in_words({"dropout": "0.2"}) == "dropout 0.2"
    records = record([SelectModel("transformer"), Reconfigure(values)])
    (note,) = [r.text for r in records if isinstance(r, Note)]
    assert note == "preset microgpt, learning_rate 0.02: new model, from step 0"


def test_a_replaced_run_is_kept_and_brought_back_itself(session):
    """A new seed, then Enter on the old run's row: its losses and its names, as they were."""
    session.select_model("mlp")
    session.train(30)
    old = session.trainer
    session.set_sampling({"seed": "7"})
    names = [s.text for s in _drawn(session)]
    losses = (old.split_loss("val"), list(old.train_history.values))
    with pytest.raises(AskFirst, match="seed 3 starts a new mlp"):
        session.reconfigure({"seed": "3"})
    session.reconfigure({"seed": "3"}, confirmed=True)
    session.train(5)
    assert session.trainer is not old
    assert next(r for r in session.runs_view().rows if r.id == old.started).kept
    said = session.restore_run(old.started)
    assert said == "Brought back the mlp default run, at step 30."
    assert session.trainer is old and old.step == 30
    assert (old.split_loss("val"), list(old.train_history.values)) == losses
    session.set_sampling({"seed": "7"})
    assert [s.text for s in _drawn(session)] == names
    # ... and the run it replaced, in turn
    assert any(r.kept and r.steps == 5 for r in session.runs_view().rows)


def test_a_run_kept_of_another_dataset_brings_its_data_back_and_says_so(session, tmp_path):
    """From the runs table as from a checkpoint: the list changed, and the learner is told."""
    from test_fault_hunt import _engine_notes_and_answers

    from engine.commands import RestoreRun
    from engine.protocol import Note

    session.select_model("mlp")
    session.train(3)
    first, old = session.dataset, session.trainer.started
    other = tmp_path / "other.txt"
    other.write_text("anna\nbob\ncarl\ndora\n" * 20)
    session.open_dataset(str(other))
    assert session.dataset is not first
    records = _engine_notes_and_answers([RestoreRun(old)], session=session)
    assert session.dataset is first and session.trainer.started == old
    assert [r.text for r in records if isinstance(r, Note)] == [
        f"Opened {first.path}, the data this run was trained on; the runs on other.txt are "
        "kept (t).",
        "Brought back the mlp default run, at step 3.",
    ]


def _drawn(session):
    *_, names = session.stream_names(5)
    return names


def test_the_forms_offer_what_applies_to_the_model(session):
    def form(kind):
        return next(v for v in session.views(False, None) if isinstance(v, kind))

    assert form(HyperparameterView).values == {
        "batch_size": "64",
        "smoothing": "1.0",
        "count_on": "train",
    }
    assert form(HyperparameterView).renewing == ("count_on",)
    session.next_model()
    session.next_model()
    values = form(HyperparameterView).values
    assert values["block_size"] == "6" and "smoothing" not in values
    assert values["preset"] == "default"
    assert form(HyperparameterView).renewing[:3] == ("preset", "block_size", "n_embd")
    assert form(HyperparameterView).choices["optimizer"] == ("sgd", "adamw")
    assert form(SamplingView).values == {
        "temperature": "1",
        "top_k": "",
        "prefix": "",
        "max_length": "",
        "greedy": "no",
        "seed": "",
    }


def test_a_preset_from_the_form_brings_its_values_under_the_ones_changed(session):
    session.active = "mlp"
    shown = session.trainer.config.editable()
    assert session.reconfigure({**shown, "preset": "seed", "learning_rate": "0.2"}) is True
    config = session.trainer.config
    assert (config.preset, config.shape.activation, config.shape.init, config.run.batch_size) == (
        "seed",
        "relu",
        "seed",
        0,
    )
    assert config.run.learning_rate == 0.2  # the one the user changed
    assert config.differences(session.trainer.data_size, session.dataset.vocab.size) == {
        "learning_rate": 0.2
    }
    with pytest.raises(ValueError, match="preset must be one of seed, small, lecture"):
        session.reconfigure({"preset": "bigram"})


def test_sampling_options_from_text(session):
    session.set_sampling({"top_k": "3", "prefix": "ma"})
    assert (session.options.top_k, session.options.prefix) == (3, "ma")
    for values, error in [
        ({"prefix": "Zed"}, "not in the vocabulary"),
        ({"temperature": "hot"}, "temperature must be a number"),
        ({"temperature": "0"}, "temperature must be from 0.1 to 10, not 0"),
        ({"top_k": "-3"}, "top_k must be at least 1, not -3"),
        ({"top_k": "²"}, "top_k must be a whole number or empty, not '²'"),
        ({"top_k": "0"}, "top_k must be at least 1"),
        ({"top_k": "3.5"}, "top_k must be a whole number"),
        ({"max_length": "long"}, "max_length must be a whole number or empty"),
        ({"max_length": "2000"}, "max_length must be from 1 to 1000, or none given"),
        ({"max_length": "2"}, "the prefix must be shorter than the maximum length"),
    ]:
        with pytest.raises(ValueError, match=error):
            session.set_sampling(values)
    assert (session.options.top_k, session.options.prefix) == (3, "ma")  # unchanged
    session.set_sampling({"top_k": "1e1", "seed": "1,000"})
    assert (session.options.top_k, session.options.seed) == (10, 1000)
    session.set_sampling({"top_k": ""})
    assert session.options.top_k is None
    session.set_sampling({"max_length": "12", "prefix": ""})
    assert session.options.cut(session.dataset) == 12
    session.set_sampling({"max_length": ""})  # none given: by the data
    assert session.options.max_length == 0 and session.options.cut(session.dataset) == 32


def test_the_temperature_stays_in_its_one_range(session):
    for _ in range(200):
        session.nudge_temperature(up=False)
    assert session.options.temperature == TEMPERATURE_MIN
    for _ in range(200):
        session.nudge_temperature(up=True)
    assert session.options.temperature == TEMPERATURE_MAX


def test_export_writes_the_names_the_session_made(session, tmp_path):
    session.train(50)
    streamed = list(session.stream_names(5))
    written = session.export(str(tmp_path / "out" / "run"))
    rows = written[0].read_text().splitlines()
    assert rows[0] == "name\tlogprob\ttag\tmodel\tstep\ttemperature\ttop_k\tprefix"
    assert [r.split("\t")[0] for r in rows[1:]] == [s.text for s in reversed(streamed[-1])]
    assert rows[1].split("\t")[3:] == ["bigram", "50", "1", "", ""]
    loss = written[1].read_text().splitlines()
    assert loss[0] == "model,split,step,loss,run,run_id" and loss[1].startswith("bigram,train,1,")
    # a folder, as Tab completes one, names no files: not 'out-names.tsv' beside it
    with pytest.raises(ValueError, match="a folder; add a name for the files"):
        session.export(f"{tmp_path / 'out'}/")
    assert not (tmp_path / "out-names.tsv").exists()


def test_a_name_shown_with_escapes_says_what_copying_it_gives(tmp_path):
    """The emoji's skin tone is an escape on screen, itself in the copy."""
    data = tmp_path / "thumbs.txt"
    data.write_text("\n".join(["👍🏽a", "b👍🏽", "ab", "ba"] * 30) + "\n")
    records = record([OpenDataset(str(data)), Step(5), Generate(20)])
    names = [n for r in records if isinstance(r, Names) for n in r.finished]
    escaped = [n for n in names if "\\U0001f3fd" in n.text]
    assert escaped and all(n.copy == n.text.replace("\\U0001f3fd", "🏽") for n in escaped)
    assert all(n.copy is None for n in names if n not in escaped)


def test_the_server_answers_each_request_and_sends_only_changed_views():
    records = record(
        [
            Step(210),  # the bigram counts all pairs
            NextModel(),
            NextModel(),
            Step(20),
            Reconfigure({"block_size": "x"}),
            SetSampling({"prefix": "Zed"}),
            NudgeTemperature(up=True),
            Step(20),
            Generate(3),
        ]
    )
    answers = [r for r in records if isinstance(r, Answer)]
    assert [a.serial for a in answers] == list(range(1, 10))
    assert "block_size must be a whole number" in answers[4].error
    assert "not in the vocabulary" in answers[5].error
    assert [a.error for a in answers if a.serial not in (5, 6)] == [None] * 7
    statuses = [r for r in records if isinstance(r, StatusView)]
    assert statuses[-1].model == "mlp" and statuses[-1].step == 40
    # The bigram table stands still while the MLP trains: it is not sent again.
    after_switch = records[records.index(answers[2]) :]
    assert sum(isinstance(r, BigramView) for r in after_switch) <= 1
    finished = [r for r in records if isinstance(r, Names) and r.finished]
    assert len(finished) == 1 and len(finished[0].finished) == 3


def test_sampling_options_set_with_names_to_draw_draw_them_once_taken():
    records = record(
        [SetSampling({"prefix": "Zed"}, draw=3), SetSampling({"prefix": "ma"}, draw=3)]
    )
    answers = [r for r in records if isinstance(r, Answer)]
    assert "not in the vocabulary" in answers[0].error and answers[1].error is None
    finished = [r.finished for r in records if isinstance(r, Names) and r.finished]
    assert len(finished) == 1 and [s.text[:2] for s in finished[0]] == ["ma"] * 3


def _outcome(records):
    """What a replay leaves on screen: the last view of each kind, the notes, the names and
    the errors; not how the records happened to interleave in time."""
    last_views = {
        type(r): _until_lowest(r) if isinstance(r, RateSweepView) else r
        for r in records
        if not isinstance(r, Names | Note | Answer | Idle)
    }
    return (
        last_views,
        [r for r in records if isinstance(r, Note)],
        [r.finished for r in records if isinstance(r, Names) and r.finished],
        [r.error for r in records if isinstance(r, Answer)],
    )


def _until_lowest(sweep: RateSweepView) -> RateSweepView:
    """A sweep up to its lowest smoothed loss: past it the loss blows up, and there the
    processor's rounding decides the figures, and the rate it says it blew up at."""
    end = sweep.smoothed.index(min(sweep.smoothed)) + 1 if sweep.smoothed else 0
    cut = {name: getattr(sweep, name)[:end] for name in ("rates", "losses", "smoothed")}
    reason = re.sub(r"blew up at rate \S+", "blew up", sweep.reason)
    return dataclasses.replace(sweep, **cut, reason=reason)


def _close(new, old) -> bool:
    """Equal but for float rounding: another processor's kernels round differently."""
    if isinstance(new, float) and isinstance(old, float):
        return math.isclose(new, old, rel_tol=1e-4, abs_tol=1e-5) or new == old
    if type(new) is not type(old):
        return False
    if dataclasses.is_dataclass(new):
        return all(
            _close(getattr(new, f.name), getattr(old, f.name)) for f in dataclasses.fields(new)
        )
    if isinstance(new, dict):
        return new.keys() == old.keys() and all(_close(new[k], old[k]) for k in new)
    if isinstance(new, list | tuple):
        return len(new) == len(old) and all(map(_close, new, old))
    return new == old


@pytest.mark.slow
def test_the_recording_the_fake_engine_replays_is_current():
    """If this fails, run `python tests/recording.py` and look at the snapshots it changes."""
    recorded = load()
    for name, records in record_all().items():
        assert _close(_outcome(records), _outcome(recorded[name])), name


def test_the_engine_sweeps_the_rate_until_done_and_refuses_a_counting_model():
    records = record(
        [NextModel(), NextModel(), Reconfigure({"preset": "small"}), FindLearningRate()]
    )
    sweeps = [r for r in records if isinstance(r, RateSweepView)]
    assert sweeps[-1].done and 0.03 <= sweeps[-1].suggested <= 0.5
    assert isinstance(records[-1], Idle)  # idle only once the sweep is done
    (error,) = [r.error for r in record([FindLearningRate()]) if isinstance(r, Answer) and r.error]
    assert "no learning rate" in error


def test_reset_asks_first_unless_untrained_or_just_saved(session, tmp_path):
    session.reset()  # untrained: at once
    session.train(1)
    with pytest.raises(AskFirst, match="Reset the bigram[?] Its 1 step starts over"):
        session.reset()
    with pytest.raises(AskFirst, match="starts a new bigram: its 1 step starts over"):
        session.reconfigure({"count_on": "all"})
    session.train(2)
    with pytest.raises(AskFirst, match="Reset the bigram[?] Its 3 steps start over"):
        session.reset()
    session.save_checkpoint(str(tmp_path / "b.pt"))
    session.reset()  # just saved: at once
    session.train(2)
    session.reset(confirmed=True)
    assert session.trainer.step == 0


def test_quitting_is_asked_about_runs_that_trained_a_while_and_are_not_saved(
    session, tmp_path, monkeypatch
):
    monkeypatch.setattr("engine.session.ASK_BEFORE_LOSING_SECONDS", 0.0)  # no clock here
    assert session.unsaved_work() is None  # nothing trained
    session.train(3)
    assert session.unsaved_work().startswith("the bigram's 3 steps (0 s of training")
    session.save_checkpoint(str(tmp_path / "b.pt"))
    assert session.unsaved_work() is None
    session.train(2)
    session.reset(confirmed=True)  # kept, weights and all: still not saved
    session.next_model()
    session.train(4)
    expected = "the bigram-neural's 4 steps and the bigram's 5 steps ("
    assert session.unsaved_work().startswith(expected)
    session.load_checkpoint(str(tmp_path / "b.pt"))  # as it is in its file
    assert session.unsaved_work().startswith(expected)
    monkeypatch.setattr("engine.session.ASK_BEFORE_LOSING_SECONDS", 10**9)
    assert session.unsaved_work() is None  # each trained for less than that


def test_another_model_clears_the_names_of_the_last_one():
    records = record([Step(5), Generate(3), NextModel()])
    names = [r for r in records if isinstance(r, Names)]
    assert names[-1].clear  # and the names under way were dropped: none came after


def test_a_counting_models_speed_is_the_pace_the_user_watches():
    """The bigram counts a step every COUNT_STEP_SECONDS: its steps/s says so, not the
    thousands a second it could compute."""
    records = record([OpenDataset("tests/fixtures/names300.txt"), ToggleRunning()])
    speeds = [r.steps_per_second for r in records if isinstance(r, StatusView) and r.running]
    measured = [s for s in speeds if s is not None]
    assert measured and all(s <= 1 / COUNT_STEP_SECONDS for s in measured)


def test_a_large_vocabulary_sends_the_top_pairs_with_their_counts_and_no_grid(tmp_path):
    """|V| = 300 (beyond the grid's 128): the counted pairs, never the |V|x|V| tables."""
    from tui.widgets.bigrams import _counted

    wide = tmp_path / "wide.txt"
    wide.write_text(
        "".join(chr(0x4E00 + i % 300) + chr(0x4E00 + i % 7) + "\n" for i in range(3000))
    )
    session = Session.open(str(wide))
    session.train(5)
    (view,) = [v for v in session.views(False, None) if isinstance(v, BigramView)]
    assert view.counts is None and view.probabilities is None and view.symbols == []
    assert view.top[0].count > 0 and _counted(view)


def test_a_large_vocabulary_shows_the_embeddings_of_its_commonest_characters(tmp_path):
    """|V| = 301: the EMBEDDING_POINTS most frequent in train are drawn, and the panel says
    so; more labels are not read, and 100,000 of them took the UI seconds a frame."""
    from tui.widgets.panels import EmbeddingPanel

    wide = tmp_path / "wide.txt"
    wide.write_text(
        "".join(chr(0x4E00 + i % 300) + chr(0x4E00 + i % 7) + "\n" for i in range(3000))
    )
    session = Session.open(str(wide))
    while session.active != "mlp":
        session.next_model()
    (view,) = [v for v in session.views(False, None) if isinstance(v, EmbeddingView)]
    assert len(view.points) == EMBEDDING_POINTS and view.vocab_size == 301
    labels = {label for label, _, _ in view.points}
    assert {".", *(chr(0x4E00 + i) for i in range(7))} <= labels  # the most frequent
    assert EmbeddingPanel().titles(view)[1].startswith(f"{EMBEDDING_POINTS} of 301 · ")


def test_a_model_too_large_for_the_memory_is_skipped_with_why(monkeypatch, session):
    """As the neural bigram at |V| = 20,000: m goes on to the next model that fits."""
    real = Config.memory_needed
    monkeypatch.setattr(  # the counting models fit, the others do not
        Config,
        "memory_needed",
        lambda self, *args: real(self, *args) if self.family.counts else 10**15,
    )
    skipped = session.next_model()
    assert session.active == "ngram"
    assert "Skipped the bigram-neural: this bigram-neural needs about" in skipped
    assert "Skipped the mlp" in skipped and session.next_model() is None  # to the next one
    after_ngram = NAMES[NAMES.index("ngram") + 1]
    with pytest.raises(ValueError, match="The mlp cannot run here: this mlp needs about"):
        session.select_model("mlp")
    assert session.active == after_ngram  # where it was


def test_a_model_is_chosen_by_name_from_the_families_the_engine_lists_once():
    records = record([SelectModel("ngram"), Step(3), SelectModel("lstm")])
    (families,) = [r for r in records if isinstance(r, FamiliesView)]
    names = list(NAMES)  # the registry's order
    assert [f.name for f in families.families] == names
    mlp = families.families[2]
    assert Capability.EMBEDDING in mlp.capabilities and "Bengio" in mlp.summary
    statuses = [r for r in records if isinstance(r, StatusView)]
    assert (statuses[-1].model, statuses[-1].step) == ("ngram", 3)
    (error,) = [r.error for r in records if isinstance(r, Answer) and r.error]
    assert error == f"no model is called 'lstm': there are {', '.join(names)}"


def test_run_n_steps_trains_them_and_pauses_at_the_budget():
    records = record([SelectModel("mlp"), RunSteps(40)])
    status = [r for r in records if isinstance(r, StatusView)][-1]
    assert (status.step, status.budget, status.running) == (40, 40, False)
    assert any(isinstance(r, Note) and r.text.startswith("Step 40/40") for r in records)


def test_a_sampling_seed_draws_the_same_names_each_time_it_is_set(session):
    def names():
        return [s.text for s in list(session.stream_names(6))[-1]]

    session.set_sampling({"seed": "2147483647"})
    first, second = names(), names()
    session.set_sampling({"seed": "2147483647"})
    assert names() == first != second  # the draws go on from the seed, and again from it
    session.set_sampling({"greedy": "yes"})
    assert len(names()) == 1


def test_each_thing_to_try_starts_a_new_run_with_exactly_its_change(session):
    from engine.kept import KEEP_RUNS
    from engine.tries import TRIES

    session.select_model("mlp")
    session.train(3)
    for index, entry in enumerate(TRIES):
        before = session.trainer
        said = session.try_change(index)
        trainer = session.trainer
        assert trainer is not before and trainer.step == 0 and said.startswith("A new run: mlp")
        values = dict(entry.values)
        preset = values.pop("preset", "seed")
        assert trainer.config.preset == preset
        changes = trainer.config.differences(trainer.data_size, session.dataset.vocab.size)
        assert {k: str(v) for k, v in changes.items()} == values
        session.train(2)
    # The first run and every try but the current one: more than are kept
    assert len(TRIES) > KEEP_RUNS
    assert sum(r.kept for r in session.runs_view().rows) == KEEP_RUNS
    assert session.notice.startswith("Dropped the weights of mlp")


def test_runs_compared_side_by_side_each_labelled_also_from_the_file(session):
    session.select_model("mlp")
    ids = []
    for index in (None, 0, 1):
        if index is not None:
            session.try_change(index)
        session.train(40)
        session.trainer.evaluate(("val",))
        ids.append(session.trainer.started)
    session.compare_runs(tuple(ids))
    view = next(v for v in session.views(False, None) if isinstance(v, LossView))
    assert view.compared and view.models == [
        "1:mlp default",
        "2:mlp seed, batch_size 32, steps 30000",
        "3:mlp seed, activation tanh, init scaled",
    ]
    assert len(view.train_curves) == len(view.val_curves) == 3
    assert view.val_curves[view.models[2]][1] == list(session.trainer.val_history.values)
    again = Session(session.dataset)  # another session: the curves the file keeps
    again.compare_runs(tuple(ids))
    kept = next(v for v in again.views(False, None) if isinstance(v, LossView))
    assert kept.models == view.models
    assert kept.val_curves == {k: (list(s), list(v)) for k, (s, v) in view.val_curves.items()}
    session.compare_runs(())
    view = next(v for v in session.views(False, None) if isinstance(v, LossView))
    assert not view.compared and view.models[0] == "bigram"


def test_the_lessons_net_names_say_when_they_are_an_untrained_nets():
    """A learner who skips the training step meets the names of random weights: it says so."""
    session = Session.open(str(NAMES300))
    guide = Guide()
    sampling = next(i for i, step in enumerate(STEPS) if step.title == "sampling the net")

    def names_drawn_at(move: int) -> str:
        list(session.stream_names(guide.go(session, move)))
        return guide.view(session).ours

    assert names_drawn_at(sampling).startswith("untrained, so random: ")
    guide.go(session, -1)
    session.train(5)
    assert re.fullmatch(r"\w+(, \w+)* \(mean length [\d.]+\)", names_drawn_at(1))


def test_a_lesson_step_declined_leaves_the_step_before_as_it_was():
    """] onto a step that would replace a trained run asks first; until the learner agrees,
    the model is still the one the caption is about (it had switched to the next step's)."""
    session, guide = Session.open(str(NAMES300)), Guide()
    uniform = next(i for i, step in enumerate(STEPS) if step.setup.model == "uniform")
    assert STEPS[uniform + 1].setup.model == "mlp"
    session.select_model("mlp")
    session.train(5)
    guide.go(session, uniform)
    assert session.active == "uniform"
    with pytest.raises(AskFirst, match="preset seed starts a new mlp"):
        guide.go(session, 1)
    assert session.active == "uniform" and guide.view(session).step == uniform
    guide.go(session, 1, confirmed=True)
    assert session.active == "mlp" and session.trainer.config.preset == "seed"


def test_a_lesson_step_never_sets_a_budget_the_run_has_passed():
    """Trained on past the post's 1,000 steps (space at the budget goes on), then ] and [:
    the step set its budget again, and the status read 'step 2,288/1,000' under a caption
    that said space runs to step 1,000. A run past the budget trains on without one, and
    the caption's keys say so."""
    session, guide = Session.open(str(NAMES300)), Guide()
    training = next(i for i, step in enumerate(STEPS) if step.title == "training")
    guide.go(session, training)
    assert session.trainer.config.run.steps == 1000
    assert guide.view(session).keys == "space runs to step 1,000 and pauses"
    session.reconfigure({"steps": "0"})  # what space does at the budget
    session.train(1_010)
    guide.go(session, 1)
    guide.go(session, -1)
    assert session.trainer.step == 1_010 and session.trainer.config.run.steps == 0
    assert guide.view(session).ours.startswith("step 1,010: ")
    assert guide.view(session).keys == "space trains on past the post's 1,000 steps"
    session.reset(confirmed=True)  # r: the post's net again, its budget with it
    guide.go(session, 0)
    assert session.trainer.step == 0 and session.trainer.config.run.steps == 1000
    session.reconfigure({"activation": "tanh", "steps": "0"})  # another net, past 1,000
    session.train(1_010)
    guide.go(session, 0, confirmed=True)  # the post's net, new: its budget is set
    assert session.trainer.step == 0 and session.trainer.config.run.steps == 1000


def test_a_checkpoint_of_other_characters_brings_its_own_data_back(tmp_path, monkeypatch):
    """l on a run of another alphabet opens the file it was trained on, where that still is,
    and keeps the runs so far; without that file, the items the checkpoint kept; without
    either (a list too large to keep) it is refused, and nothing changes."""
    russian = _in_cyrillic(tmp_path)
    theirs = Session.open(str(russian))
    theirs.train(3)
    theirs.save_checkpoint(str(tmp_path / "ru.pt"))
    session = Session.open(str(NAMES300))
    session.train(2)
    assert session.load_checkpoint(str(tmp_path / "ru.pt")) is None
    assert session.dataset.path == str(russian) and session.trainer.step == 3
    assert session.trainer.dataset is session.dataset
    assert [r.steps for r in session.runs_view().rows if r.dataset == "names300.txt"] == [2]
    monkeypatch.setattr(checkpoint, "ITEMS_KEPT_CHARACTERS", 0)
    theirs.save_checkpoint(str(tmp_path / "ru-large.pt"))
    russian.unlink()
    session = Session.open(str(NAMES300))
    assert session.load_checkpoint(str(tmp_path / "ru.pt")) is None
    assert session.dataset.name == "ru.txt" and session.dataset.path is None
    assert session.trainer.step == 3
    session = Session.open(str(NAMES300))
    with pytest.raises(CheckpointError, match="its vocabulary does not match names300.txt's"):
        session.load_checkpoint(str(tmp_path / "ru-large.pt"))
    assert session.dataset.name == "names300.txt"


def test_the_lessons_note_on_other_data_says_how_to_get_the_posts_on_its_first_step():
    """After it, a line: the caption's few lines go to the step."""
    session, guide = Session.open(str(NAMES300)), Guide()
    guide.go(session, 0)
    assert "not makemore's names.txt" in guide.view(session).note
    assert "o, then names" in guide.view(session).note
    guide.go(session, 1)
    assert guide.view(session).note == "On names300.txt, not names.txt: the figures differ."


def test_the_lessons_words_on_the_vocabulary_are_this_datasets(tmp_path):
    """With more symbols than the post's 27 (Greek names: 35), the captions said '27 logits'
    and 'its loss is ln 27' beside a measured ln 35; the post's own figures stay the post's."""
    wider = tmp_path / "accents.txt"
    wider.write_text(NAMES300.read_text() + "élodie\nzoë\n", encoding="utf-8")
    session, guide = Session.open(str(wider)), Guide()
    assert session.dataset.vocab.size == 29
    texts, ours = {}, {}
    for index, step in enumerate(STEPS[:13]):
        guide.go(session, index - guide.step, confirmed=True)
        texts[step.title], ours[step.title] = guide.view(session).text, guide.view(session).ours
    assert "its loss is ln 29." in texts["the uniform model"]
    assert "then 29 logits, one per next character" in texts["the layers"]
    assert "far above ln 29." in texts["softmax and the first loss"]
    assert guide.view(session).post == "26.47 (it depends on the random draw)"
    # the post's cell .a is the letter most names start with: said as such on any alphabet
    assert re.fullmatch(r"\.a [\d,]+; [\d,]+ pairs are 0", ours["the N table"])
    russian = _in_cyrillic(tmp_path)
    session, guide = Session.open(str(russian)), Guide()
    for index, step in enumerate(STEPS[:6]):
        guide.go(session, index - guide.step, confirmed=True)
        ours[step.title] = guide.view(session).ours
    assert re.match(r"\.а [\d,]+; ", ours["the N table"])  # not 'no .a in this vocabulary'
    assert re.match(r"P\(\.а\) 0\.\d{3}; ", ours["P, each row summing to 1"])


def test_the_lesson_says_whether_the_net_beat_the_counts_as_the_posts_did_not():
    """'The net does worse than counting pairs' was said on any data, beside figures where
    the net did better (Hindi names: 2.566 against 2.663)."""
    session, guide = Session.open(str(NAMES300)), Guide()
    against = next(i for i, step in enumerate(STEPS) if step.title == "the lesson")
    guide.go(session, 2)  # the counts
    guide.go(session, against - guide.step, confirmed=True)
    assert guide.view(session).ours == "train both first"
    session.train(1)
    assert re.fullmatch(
        r"mlp [\d.]+ against the bigram's [\d.]+ over [\d,]+ pairs: worse, as in the post",
        guide.view(session).ours,
    )
    session.trainer.last_loss = 1.0  # a net that learnt more than the pairs' counts
    assert guide.view(session).ours.endswith(": better here")
    assert guide.view(session).text.startswith("The post's net does worse than counting pairs")


def test_an_infinite_val_loss_is_said_not_hidden(few_names):
    """With smoothing 0, a val pair never counted has probability 0: the status says val inf,
    as `train` does, where it said nothing of val at all."""
    from engine.protocol import StatusView
    from engine.session import Session

    session = Session(few_names)
    session.reconfigure({"smoothing": "0"})
    while session.trainer.stopped is None:
        session.train(1_000)
    session.trainer.evaluate(("val",))
    status = next(v for v in session.views(False, None) if isinstance(v, StatusView))
    assert status.val_loss == math.inf and status.best_val is None
    assert not session.trainer.val_history.values  # no point of the curve at infinity
    # the engine says why, once, in the family's words, as `train --json` does
    notes = [
        r.text for r in record([Reconfigure({"smoothing": "0"}), Step(210)]) if isinstance(r, Note)
    ]
    assert (
        notes.count("val loss infinite: with smoothing 0, a pair never counted has probability 0.")
        == 1
    )


def _in_cyrillic(folder: Path) -> Path:
    """The 300 names of NAMES300, each letter swapped for a Cyrillic one."""
    cyrillic = str.maketrans("abcdefghijklmnopqrstuvwxyz", "абцдефгхийклмнопярстуввхыз")
    russian = folder / "ru.txt"
    russian.write_text(NAMES300.read_text().translate(cyrillic), encoding="utf-8")
    return russian

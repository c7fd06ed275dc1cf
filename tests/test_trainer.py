from __future__ import annotations

import math
import threading

import pytest
import torch

from engine.families import preset
from engine.history import LossHistory
from engine.trainer import Trainer


def test_report_and_reset_start_over(small):
    trainer = Trainer(small, preset("default"))
    first = [trainer.run(1).loss for _ in range(5)]
    report = trainer.run(3)
    assert (report.step, report.tokens_seen) == (8, 8 * 64)
    assert report.steps_per_second > 0 and report.stopped is None
    trainer.reset()
    assert trainer.step == 0 and len(trainer.train_history) == 0
    assert [trainer.run(1).loss for _ in range(5)] == first


def test_steps_in_chunks_equal_one_run(small):
    a, b = Trainer(small, preset("default")), Trainer(small, preset("default"))
    a.run(30)
    for _ in range(10):
        b.run(3)
    assert torch.equal(a.model.embedding, b.model.embedding)


def test_learning_rate_and_batch_change_between_steps(small):
    trainer = Trainer(small, preset("lecture"))
    trainer.run(2)
    assert trainer.reconfigure(trainer.config.with_values(learning_rate=0.5, batch_size=8)) is False
    report = trainer.run(1)
    assert trainer.step == 3 and trainer.optimizer.param_groups[0]["lr"] == 0.5
    assert report.tokens_seen == 2 * 32 + 8
    assert trainer.reconfigure(trainer.config.with_values(n_hidden=50)) is True
    assert trainer.step == 0 and trainer.model.weights[0].shape[1] == 50


def test_schedules():
    from engine.dataset import Dataset

    data = Dataset.from_items(["ab", "cd"] * 10)
    cosine = Trainer(
        data,
        preset("default").with_values(learning_rate=1.0, lr_min=0.1, decay_steps=10, epochs=0),
    )
    rates = []
    for _ in range(12):
        rates.append(cosine.learning_rate())
        cosine.run(1)
    assert rates[0] == 1.0 and rates[5] == pytest.approx(0.55) and rates[10:] == [0.1, 0.1]
    assert rates == sorted(rates, reverse=True)
    step = Trainer(data, preset("lecture").with_values(decay_steps=3))
    assert [step.learning_rate() for _ in range(1) if step.run(3)] == [0.01]
    # a rate typed (or found) below the preset's lr_min: the schedule stays there, not rises
    run = preset("default").with_values(learning_rate=1e-4, lr_min=3e-4, decay_steps=10).run
    rates = [run.learning_rate_at(step, 1) for step in (0, 5, 10, 20)]
    assert rates == [1e-4] * 4 and "lr 0.0001→0.0001" in run.describe()


def test_a_cancelled_run_stops_between_steps(small):
    trainer = Trainer(small, preset("default"))
    cancel = threading.Event()
    cancel.set()
    assert trainer.run(100, cancel).step == 0
    cancel.clear()
    assert trainer.run(5, cancel).step == 5


# At step 32 the weights are copied before the step: a copy that must not be kept.
@pytest.mark.parametrize("broken_at", [20, 32])
def test_nan_stops_the_run_and_keeps_good_weights(small, broken_at):
    trainer = Trainer(small, preset("lecture"))
    trainer.run(16)
    at_16 = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.run(broken_at - 16)
    with torch.no_grad():  # what a diverging update leaves behind
        trainer.model.out_weight[0, 0] = math.inf
    report = trainer.run(1000)
    assert report.stopped is not None and "loss became nan" in report.stopped.text
    assert report.step == broken_at and "kept the weights of step 16" in report.stopped.text
    assert all(torch.equal(p, q) for p, q in zip(trainer.model.parameters(), at_16, strict=True))
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters())
    assert math.isfinite(trainer.split_loss("val"))
    assert trainer.run(10).step == report.step  # stays stopped until reset
    trainer.reset()
    assert trainer.stopped is None


def test_loss_history_stays_bounded_and_keeps_the_whole_run():
    history = LossHistory(capacity=8)
    for step in range(1, 1001):
        history.append(step, float(step))
    assert len(history) <= 8 and history.stride == 128
    assert history.steps[0] < 100 and history.steps[-1] > 700  # downsampled, not truncated
    assert history.values == history.steps  # each point the mean of what it stands for
    assert LossHistory.from_state_dict(history.state_dict()).state_dict() == history.state_dict()


def test_trainer_history_is_bounded(small):
    trainer = Trainer(small, preset("bigram-neural"))
    trainer.run(5000)
    assert len(trainer.train_history) <= trainer.train_history.capacity
    trainer.evaluate()
    assert trainer.val_history.steps == [5000]


def test_a_run_ends_at_its_budget_of_steps(small):
    from engine.policy import RunPolicy

    trainer = Trainer(small, preset("lecture").with_values(steps=30))
    policy = RunPolicy(trainer)
    while n := policy.next_steps(1000):
        trainer.run(n)
    assert trainer.step == 30 and policy.at_budget()


def test_an_average_lets_go_of_untrained_weights_but_keeps_to_a_priors_start(embedded):
    """A net with no prior starts at ln|V|: its average follows it away from there within
    its first steps. A net on a prior starts at the counts' loss, a start its average keeps to
    (RunConfig.average)."""
    bare = Trainer(embedded, preset("lecture").with_values(average=0.999))
    untrained = bare.split_loss("val")
    bare.run(100)
    own = bare.split_loss("val")
    with bare.averaged():
        averaged = bare.split_loss("val")
    assert own < untrained - 0.4 and averaged == pytest.approx(own, abs=0.05)

    on_prior = Trainer(embedded, preset("default"))
    start = [p.detach().clone() for p in on_prior.model.parameters()]
    on_prior.run(100)
    moved = [p.detach().clone() for p in on_prior.model.parameters()]
    with on_prior.averaged():
        averaged = list(on_prior.model.parameters())
        for a, s, m in zip(averaged, start, moved, strict=True):
            assert (a - s).norm() < 0.2 * (m - s).norm()


def test_the_nets_on_one_dataset_share_its_prior(small):
    """Counted once a dataset and order: on a list of millions of items each net spent
    seconds counting the same 5-gram again when the learner switched to it."""
    from engine.families import family

    mlp = Trainer(small, family("mlp").preset("default"))
    wavenet = Trainer(small, family("wavenet").preset("default"))
    assert mlp.prior is not None and mlp.prior is wavenet.prior
    fourgram = Trainer(small, family("mlp").preset("default").with_values(prior_order=4))
    assert fourgram.prior is not mlp.prior and fourgram.prior.model.order == 4
    mlp.reset()
    assert mlp.prior is wavenet.prior

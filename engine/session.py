"""One interactive session: a dataset, a trainer per model, and what the UI draws of them.

Owned by the engine process's loop (engine/process.py); it holds no lock of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import checkpoint
from engine.config import MODEL_PRESETS, MODELS, PRESETS
from engine.dataset import Dataset
from engine.models import MLP, Model
from engine.records import Curve, Sample, SampleOptions, Snapshot
from engine.sampling import stream
from engine.sources import open_dataset
from engine.trainer import StepReport, Trainer
from engine.views import bigram_matrices, embedding_2d, top_bigrams


@dataclass
class Session:
    dataset: Dataset
    trainers: dict[str, Trainer] = field(default_factory=dict)
    active: str = "bigram"
    options: SampleOptions = field(default_factory=SampleOptions)
    sample_seed: int = 0

    @classmethod
    def open(cls, data: str | None = None, checkpoint_path: str | None = None) -> Session:
        if checkpoint_path is not None:
            state = checkpoint.read(checkpoint_path)
            saved = state["dataset"]["path"]
            dataset = open_dataset(data or saved, seed=state["dataset"]["seed"])
            trainer = checkpoint.restore(state, dataset, checkpoint_path)
            return cls(dataset, {trainer.config.model: trainer}, active=trainer.config.model)
        return cls(open_dataset(data))

    @property
    def trainer(self) -> Trainer:
        if self.active not in self.trainers:
            self.trainers[self.active] = Trainer(self.dataset, PRESETS[MODEL_PRESETS[self.active]])
        return self.trainers[self.active]

    def switch_model(self) -> str:
        self.active = MODELS[(MODELS.index(self.active) + 1) % len(MODELS)]
        return self.active

    def train(self, steps: int, cancel: Any = None) -> StepReport:
        return self.trainer.run(steps, cancel)

    def reset(self) -> None:
        self.trainer.reset()

    def reconfigure(self, values: dict[str, str]) -> bool:
        """Apply edited hyperparameters (text from a form); ValueError leaves all as it was."""
        config = self.trainer.config.with_values(**values)
        if config.model != self.active:
            raise ValueError("switch models with m, not in the form")
        return self.trainer.reconfigure(config)

    def set_options(self, **values: Any) -> SampleOptions:
        """New sampling options; a ValueError (bad value, unknown prefix) changes nothing."""
        merged = {**self.options.__dict__, **values}
        options = SampleOptions(**merged)
        self.dataset.vocab.encode(options.prefix)
        self.options = options
        return options

    def open_dataset(self, path: str) -> None:
        """Start over on another file; on a DatasetError the current session stays as it was."""
        dataset = open_dataset(path)
        self.dataset, self.trainers = dataset, {}
        self.options = SampleOptions(
            self.options.temperature, self.options.top_k, "", self.options.max_length
        )

    def load_checkpoint(self, path: str) -> None:
        trainer = checkpoint.load(path, self.dataset)
        self.trainers[trainer.config.model] = trainer
        self.active = trainer.config.model

    def save_checkpoint(self, path: str) -> None:
        checkpoint.save(self.trainer, path)

    def stream_names(self, n: int) -> Any:
        """Names from the active model, growing letter by letter (a StreamState each step),
        then the finished Samples; each call draws new names, reproducibly."""
        self.sample_seed += 1
        return stream(self.trainer.model, self.dataset, n, self.options, seed=self.sample_seed)

    def evaluate(self) -> dict[str, float]:
        """The val loss (for the curve); the train loss is the smoothed batch loss: a pass over
        the whole training split would cost the UI's trainer most of its time."""
        return self.trainer.evaluate(("val",))

    def export(self, stem: str, names: list[Sample]) -> list[Path]:
        """Write the names (with tag and log-probability) and every loss curve to files."""
        base = Path(stem)
        base.parent.mkdir(parents=True, exist_ok=True)
        names_path = base.with_name(base.name + "-names.tsv")
        loss_path = base.with_name(base.name + "-loss.csv")
        names_path.write_text(
            "name\tlogprob\ttag\n"
            + "".join(f"{s.text}\t{s.logprob:.4f}\t{s.tag}\n" for s in names),
            encoding="utf-8",
        )
        rows = ["model,split,step,loss"]
        for name, trainer in self.trainers.items():
            for split, history in (("train", trainer.train_history), ("val", trainer.val_history)):
                rows += [
                    f"{name},{split},{s:g},{v:.6f}"
                    for s, v in zip(history.steps, history.values, strict=True)
                ]
        loss_path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        return [names_path, loss_path]

    def snapshot(self) -> Snapshot:
        trainer, vocab = self.trainer, self.dataset.vocab
        source = self._bigram_source()
        counts, probs = bigram_matrices(source) if source else (None, None)
        points = embedding_2d(trainer.model)
        floor = self.trainers.get("bigram")
        return Snapshot(
            dataset=self.dataset.name,
            items=len(self.dataset.items),
            vocab_size=vocab.size,
            model=self.active,
            description=trainer.config.describe(),
            step=trainer.step,
            loss=_last(trainer.train_history.values),
            val_loss=trainer.val_history.values[-1] if trainer.val_history.values else None,
            learning_rate=trainer.learning_rate(),
            epoch=trainer.epoch,
            stopped=trainer.stopped,
            train_curves={n: _curve(t.train_history) for n, t in self.trainers.items() if t.step},
            val_curves={
                n: _curve(t.val_history) for n, t in self.trainers.items() if len(t.val_history)
            },
            bigram_floor=(
                floor.val_history.values[-1]
                if floor is not None and floor.stopped and floor.val_history.values
                else None
            ),
            top_bigrams=top_bigrams(source, vocab, 512) if source else [],
            counts=counts.tolist() if counts is not None else None,
            probabilities=probs.tolist() if probs is not None else None,
            symbols=[vocab.symbol(i) for i in range(vocab.size)],
            embedding=(
                [(vocab.symbol(i), x, y) for i, (x, y) in enumerate(points.tolist())]
                if points is not None
                else None
            ),
            embedding_size=trainer.config.n_embd if isinstance(trainer.model, MLP) else None,
            config=trainer.config.as_dict(),
            temperature=self.options.temperature,
            top_k=self.options.top_k,
            prefix=self.options.prefix,
        )

    def _bigram_source(self) -> Model | None:
        """The bigram model to draw: the active one, else the counting one as a reference."""
        for name in (self.active, "bigram"):
            trainer = self.trainers.get(name)
            if trainer and trainer.step and bigram_matrices(trainer.model) is not None:
                return trainer.model
        return None


def _curve(history: Any) -> Curve:
    return list(history.steps), list(history.values)


def _last(values: list[float]) -> float:
    return values[-1] if values else math.nan

"""python -m bench.engine_alone DATA SECONDS: steps/s of the default MLP, trained by the engine
alone in a fresh process with one torch thread, as the app's engine process trains it."""

import sys

import torch

from bench.timing import steps_per_second
from engine.families import preset
from engine.sources import open_dataset
from engine.trainer import Trainer

if __name__ == "__main__":
    torch.set_num_threads(1)
    data, seconds = sys.argv[1], float(sys.argv[2])
    trainer = Trainer(open_dataset(data or None), preset("default"))
    trainer.run(50)
    print(steps_per_second(trainer.run, seconds, chunk=100))

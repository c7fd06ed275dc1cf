"""Where the time of one MLP step goes, the engine's beside the lecture's plain loop (the MLP
step row), by torch's profiler: `python -m bench` writes it to results/{full,quick}-step-profile.md.

Each op's own time is summed by kind; what the profiler does not see is Python and the calls
into torch. The profiler slows every op alike, so each share is scaled to the step's time
measured without it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from torch.profiler import ProfilerActivity, profile

from bench import reference
from engine.dataset import Dataset
from engine.families import preset
from engine.trainer import Trainer

MATRIX_PRODUCTS = {"aten::mm", "aten::addmm", "aten::addmm_", "aten::bmm"}
STEPS = 3000


@dataclass
class StepTimes:
    """Microseconds per step, by kind."""

    total: float
    matrix_products: float
    other_kernels: float  # the other ops: elementwise, reductions, indexing, the update
    autograd: float  # the autograd engine's own bookkeeping, around the backward kernels
    python: float  # the rest: the interpreter and the calls into torch


def measure(train: Callable[[int], object]) -> StepTimes:
    train(300)  # warm up
    start = time.perf_counter()
    train(STEPS)
    total = (time.perf_counter() - start) / STEPS * 1e6
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        train(STEPS)
        profiled = time.perf_counter() - start
    kinds = {"matrix": 0.0, "other": 0.0, "autograd": 0.0}
    for event in prof.key_averages():
        if event.key in MATRIX_PRODUCTS:
            kinds["matrix"] += event.self_cpu_time_total
        elif event.key.startswith("aten::"):
            kinds["other"] += event.self_cpu_time_total
        elif event.key.startswith("autograd::") or "Backward" in event.key:
            kinds["autograd"] += event.self_cpu_time_total
    scale = total / (profiled * 1e6 / STEPS)  # profiled microseconds to plain ones
    per_step = {k: v / STEPS * scale for k, v in kinds.items()}
    return StepTimes(
        total=total,
        matrix_products=per_step["matrix"],
        other_kernels=per_step["other"],
        autograd=per_step["autograd"],
        python=total - sum(per_step.values()),
    )


def table(data: Dataset) -> str:
    x, y = data.examples("train").tensors(3)
    trainer = Trainer(data, preset("lecture"))
    plain = reference.LectureMLP(data.vocab.size, 3, 10, 200)
    engine = measure(trainer.run)
    lecture = measure(lambda steps: plain.train_steps(x, y, steps, 0.1))
    rows = [
        ("matrix products (6 a step, the same in each)", "matrix_products"),
        ("other kernels", "other_kernels"),
        ("autograd's bookkeeping", "autograd"),
        ("Python and calls into torch", "python"),
        ("**the step**", "total"),
    ]
    lines = [
        "| µs per step, lecture MLP, batch 32, 1 thread | engine (manual gradients) | "
        "the lecture's loop |",
        "| --- | ---: | ---: |",
    ]
    for label, field in rows:
        lines.append(f"| {label} | {getattr(engine, field):.1f} | {getattr(lecture, field):.1f} |")
    kernels = engine.matrix_products + engine.other_kernels
    lines += [
        "",
        f"Ratio {lecture.total / engine.total:.2f}x; with no Python at all, only the engine's "
        f"kernels: {lecture.total / kernels:.2f}x.",
    ]
    return "\n".join(lines) + "\n"

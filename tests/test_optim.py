"""The optimizers: AdamW is torch's fused AdamW step for step, and loads its checkpoints."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from engine.optim import AdamW


def _parameters(seed: int) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=generator).requires_grad_() for shape in ((5, 3), (4,))]


def _step(optimizer, params: list[torch.Tensor], generator: torch.Generator) -> None:
    for p in params:
        p.grad = torch.randn(p.shape, generator=generator)
    optimizer.step()


def test_adamw_is_torchs_fused_adamw_and_takes_its_state():
    ours, torchs = _parameters(0), _parameters(0)
    mine = AdamW(ours, lr=3e-3, weight_decay=0.1)
    reference = torch.optim.AdamW(torchs, lr=3e-3, weight_decay=0.1, fused=True)
    grads_a, grads_b = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    for _ in range(20):
        _step(mine, ours, grads_a)
        _step(reference, torchs, grads_b)
    assert all(torch.equal(a, b) for a, b in zip(ours, torchs, strict=True))

    # A checkpoint of either goes on in the other, exactly.
    resumed = _parameters(0)
    with torch.no_grad():
        torch._foreach_copy_(resumed, torchs)
    mine_again = AdamW(resumed, lr=1.0, weight_decay=0.0)
    mine_again.load_state_dict(reference.state_dict())
    assert mine_again.param_groups[0]["lr"] == 3e-3
    torch_again = torch.optim.AdamW(_parameters(0), lr=1.0, fused=True)
    torch_again.load_state_dict(mine.state_dict())
    assert float(torch_again.state_dict()["state"][0]["step"]) == 20
    for _ in range(5):
        _step(mine_again, resumed, grads_a)
        _step(reference, torchs, grads_b)
    assert all(torch.equal(a, b) for a, b in zip(resumed, torchs, strict=True))


@pytest.mark.slow
def test_the_default_mlp_trains_without_importing_dynamo():
    """torch.optim's optimizers import torch._dynamo on first use: 1.3 s before a first step."""
    script = (
        "import sys\n"
        "from engine.families import preset\n"
        "from engine.dataset import Dataset\n"
        "from engine.trainer import Trainer\n"
        "data = Dataset.from_items(['emma', 'olivia', 'ava', 'mia', 'luna', 'aria', 'ella'])\n"
        "Trainer(data, preset('default')).run(3)\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"

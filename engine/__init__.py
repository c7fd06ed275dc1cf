"""The part of makemore-tui that learns: plain Python and PyTorch, no Textual."""

import gc


def freeze_survivors() -> None:
    """Keep every object alive now (torch's modules, the data) out of the cyclic collector's
    full passes: with them, a pass took 80 ms of every other call that sampled 20,000 names,
    and in the app it stalled key presses."""
    gc.collect()
    gc.freeze()

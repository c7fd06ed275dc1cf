"""Inside the net, live (the lecture on activations and gradients): per hidden layer the
activations, their saturation and dead units, and the gradient at its output; per weight
matrix the gradient beside the data and the update beside the data, over time; and the
hand-written gradients checked against autograd (the lecture's cmp)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static

from engine.protocol import DiagnosticsView, LayerStats, NormStats, WeightStats
from tui.screens.dialog import ViewScreen
from tui.widgets.plots import HistogramPlot, UpdateRatioPlot
from tui.widgets.strips import fit

SATURATION_WARNING = 0.05  # above this share, the lectures' cure is a smaller init gain
RATIO_RANGE = (-4.0, -2.0)  # log10 update:data outside this: the rate is far off
MOST_FINDINGS = 3  # keys 1 to 3 open the form on a finding's setting
NORM_UNITS_SHOWN = 60  # a BatchNorm's units drawn one column each: what fits at 80 columns
SPARKS = "▁▂▃▄▅▆▇█"
# What the activations' histogram of a healthy layer looks like
HISTOGRAMS_CAPTION = {
    "tanh": "a healthy tanh layer spreads over -1..1 without piling at the ends",
    "relu": "a ReLU passes nothing back where it is 0: a healthy layer has about half its "
    "outputs there, and no unit at 0 for every example (dead, below)",
}


def findings(view: DiagnosticsView) -> list[tuple[str, str]]:
    """What looks wrong inside the net, each with the setting that changes it. Saturated or
    dead tanh units: the lectures' scaled init, or BatchNorm where the init is scaled
    already; none after a BatchNorm, which keeps the saturation low (the 5% of a normal's
    tails). The update beside the data once there has been one (step 0: none yet)."""
    found = []
    cure, setting = ("scaled init", "init") if view.init == "seed" else ("BatchNorm", "norm")
    if view.activation == "relu":
        cure, setting = "tanh", "activation"
    for layer in view.layers:
        if layer.norm is not None:
            continue
        if layer.saturation > SATURATION_WARNING and view.activation == "tanh":
            found.append((f"{layer.name} saturated {layer.saturation:.0%}: {cure}", setting))
        if layer.dead_units:
            found.append((f"{layer.name}: {len(layer.dead_units)} dead units: {cure}", setting))
    ratios = [w.update_to_data_log10 for w in view.weights] if view.step else []
    if any(not math.isfinite(r) or r > RATIO_RANGE[1] for r in ratios):
        found.append(("update:data above -2: a lower learning_rate", "learning_rate"))
    elif any(r < RATIO_RANGE[0] for r in ratios):
        found.append(("update:data below -4: a higher learning_rate", "learning_rate"))
    return found[:MOST_FINDINGS]


class DiagnosticsScreen(ViewScreen[DiagnosticsView]):
    VIEW = DiagnosticsView
    AUTO_FOCUS = "#diagnostics"  # it scrolls at once
    BINDINGS = [
        Binding("escape,d", "dismiss", "Close"),
        *(
            Binding(str(n), f"open_setting({n - 1})", f"Finding {n}", show=False)
            for n in range(1, MOST_FINDINGS + 1)
        ),
    ]

    def __init__(self, open_setting: Callable[[str], object]) -> None:
        super().__init__()
        self.open_setting = open_setting
        self.found: list[tuple[str, str]] = []
        self.header = Static("Waiting for the engine…")
        self.findings = Static(id="diagnostics-findings")
        self.levels_tree = Static(id="diagnostics-tree")
        self.body = Vertical(id="diagnostics-body")
        self.weights = Static(id="diagnostics-weights")
        self.updates = UpdateRatioPlot(classes="diagnostics-plot")
        self.checks = Static(id="diagnostics-checks")
        self._layers: list[
            tuple[HistogramPlot, HistogramPlot, Static, Static, Static, Static, Static]
        ] = []

    def compose(self) -> ComposeResult:
        frame = self.frame(
            VerticalScroll,
            "diagnostics",
            "Inside the net",
            "updates while training · Escape closes",
        )
        with frame:
            yield self.header
            yield self.findings
            yield self.levels_tree
            yield self.body
            yield Static(
                "Weights: grad:data = std(grad) / std(weight); update:data = "
                "log10(std(lr·grad) / std(weight)), healthy near -3.",
                classes="form-help",
            )
            yield self.weights
            yield Static("update:data over the steps (the guide line: -3)", classes="form-help")
            yield self.updates
            yield Static(
                "Hand-written gradients against autograd's, on this batch (the lecture's cmp):",
                classes="form-help",
            )
            yield self.checks

    def draw(self, view: DiagnosticsView) -> None:
        note = " (AdamW: the update is its normalised step)" if view.optimizer != "sgd" else ""
        self.header.update(
            f"[b]{view.model}[/b] at step {view.step:,}: {view.activation} layers, "
            f"one batch of 256 examples, no dropout{note}"
        )
        self.found = findings(view)
        lines = Text()
        for n, (finding, setting) in enumerate(self.found, 1):
            lines.append(f"{n} ", style="bold reverse")
            lines.append(f" {finding} → {n} opens the form on {setting}\n", style="yellow")
        self.findings.update(lines if self.found else Text("Nothing looks wrong.", "green"))
        self.levels_tree.display = view.levels is not None
        if view.levels is not None:
            self.levels_tree.update(tree_text(view.context or [], view.levels))
        while len(self._layers) < len(view.layers):
            self._add_layer()
        for (activations, gradients, stats, norm, caption, dead_line, dead), layer in zip(
            self._layers, view.layers, strict=False
        ):
            # Built in a thread, as the loss plot while training: keys never wait for them
            activations.show(layer.act_histogram, "cyan", background=True)
            gradients.show(layer.grad_histogram, "magenta", background=True)
            stats.update(_layer_line(layer, view.activation))
            caption.update(
                f"Left: the activations ({HISTOGRAMS_CAPTION[view.activation]}); right: the "
                "gradient at the layer's output."
            )
            norm.display = layer.norm is not None
            if layer.norm is not None:
                norm.update(norm_text(layer.norm, view.activation))
            dead_line.update(_dead_line(layer, view.activation))
            dead.update(_dead_map(layer))
        self.weights.update(_weights_table(view.weights))
        self.updates.show(view.update_history, background=True)
        self.checks.update(
            "\n".join(
                f"{c.name:<12} exact {str(c.exact):<5} approximate {str(c.approximate):<5} "
                f"max difference {c.max_difference:.1e}"
                for c in view.gradient_checks
            )
        )

    def action_open_setting(self, index: int) -> None:
        if index < len(self.found):
            self.open_setting(self.found[index][1])

    def _add_layer(self) -> None:
        activations = HistogramPlot(classes="diagnostics-plot")
        gradients = HistogramPlot(classes="diagnostics-plot")
        stats, norm, dead_line, dead = Static(), Static(), Static(), Static(classes="dead-map")
        caption = Static(classes="form-help")
        self._layers.append((activations, gradients, stats, norm, caption, dead_line, dead))
        self.body.mount(
            stats,
            norm,
            Horizontal(activations, gradients, classes="diagnostics-row"),
            caption,
            dead_line,
            dead,
        )


def _layer_line(layer: LayerStats, activation: str) -> Text:
    text = Text.assemble(
        (f"{layer.name}", "bold"),
        f" ({layer.units} units): mean {layer.act_mean:+.2f} std {layer.act_std:.2f} ",
    )
    saturated = f"saturated {layer.saturation:.1%} (|tanh| > 0.97)"
    if activation != "tanh":  # ReLU's zeros are its dead units' business, not a saturation
        text.append(f"at 0: {layer.saturation:.1%}")
    elif layer.saturation > SATURATION_WARNING and layer.norm is None:  # not BatchNorm's tails
        text.append(saturated, style="bold black on yellow")
        text.append(" above 5%: a smaller init gain, or a lower rate", style="yellow")
    else:
        text.append(saturated, style="green")
    text.append(f"; gradient std {layer.grad_std:.2e}")
    return text


def norm_text(norm: NormStats, activation: str) -> Text:
    """A BatchNorm's input per unit: this batch's mean and std beside the running estimates
    that val and sampling use, and the stds unit by unit, one column each."""
    mean_gap = statistics.fmean(
        abs(b - r) for b, r in zip(norm.batch_mean, norm.running_mean, strict=True)
    )
    std_gap = statistics.fmean(
        abs(b / r - 1) for b, r in zip(norm.batch_std, norm.running_std, strict=True) if r > 0
    )
    # to the inputs' own scale: a net started near zero has stds of a few thousandths
    places = _places(max(norm.batch_std))
    text = Text.assemble(
        ("BatchNorm", "bold"),
        f" before {activation}: each unit's input has, on this batch, mean "
        f"{min(norm.batch_mean):+.{places}f} to {max(norm.batch_mean):+.{places}f} and std "
        f"{min(norm.batch_std):.{places}f} to {max(norm.batch_std):.{places}f}; it leaves as "
        "mean 0, std 1, then its own gain and bias. The running estimates, which val and "
        f"sampling use, are {mean_gap:.{places}f} from this batch's mean and {std_gap:.0%} from "
        "its std, on average.\n",
    )
    shown = norm.batch_std[:NORM_UNITS_SHOWN]
    top = max([*shown, *norm.running_std[:NORM_UNITS_SHOWN], 1e-12])
    for label, values, style in (
        ("batch std  ", shown, "cyan"),
        ("running std", norm.running_std[:NORM_UNITS_SHOWN], "magenta"),
    ):
        bars = "".join(SPARKS[min(len(SPARKS) - 1, int(v / top * len(SPARKS)))] for v in values)
        text.append(f"{label} ", style="bold")
        text.append(bars + "\n", style=style)
    if len(norm.batch_std) > NORM_UNITS_SHOWN:
        text.append(f"(the first {NORM_UNITS_SHOWN} of {len(norm.batch_std)} units)", "dim")
    text.rstrip()
    return text


def _places(scale: float) -> int:
    """Decimals that show a value of this size to two significant digits, and at least two."""
    return max(2, 1 - math.floor(math.log10(scale))) if scale > 0 else 2


def tree_text(context: list[str], levels: list[list[tuple[int, int]]]) -> Text:
    """Which characters each level's units see, under one example's context: each level
    joins two neighbours of the level below."""
    cell = 3 if len(context) <= 16 else 2 if len(context) <= 32 else 1
    text = Text.assemble(
        ("The tree", "bold"), ": which characters of the context each level's units see\n"
    )
    text.append(f"{'context':<9}", style="bold")
    text.append("".join(fit(c, cell, "^") for c in context) + "\n")  # in cells, as the terminal
    for n, spans in enumerate(levels, 1):
        text.append(f"{f'level {n}':<9}", style="bold")
        for first, last in spans:
            width = cell * (last - first + 1)
            text.append("└" + "─" * (width - 2) + "┘" if width > 1 else "│", style="cyan")
        seen = spans[0][1] - spans[0][0] + 1
        groups = f"{len(spans)} groups" if len(spans) > 1 else "1 group"
        text.append(f" {groups} of units, each sees {seen}\n")
    text.rstrip()
    return text


def _dead_line(layer: LayerStats, activation: str) -> Text:
    mark = "|h| > 0.99" if activation == "tanh" else "h == 0"
    text = Text(f"Dead-unit map: examples down, units across, █ where {mark}; ")
    dead = len(layer.dead_units)
    text.append(f"{dead} dead units", style="bold red" if dead else "green")
    text.append(" (in red: marked for every example, they learn nothing)")
    return text


def _dead_map(layer: LayerStats) -> Text:
    dead = set(layer.dead_units)
    text = Text()
    for row in layer.dead_map:
        for unit, cell in enumerate(row):
            text.append(cell, style="red" if unit in dead else "")
        text.append("\n")
    text.rstrip()
    return text


def _weights_table(weights: list[WeightStats]) -> Text:
    text = Text(
        f"{'weight':<12} {'shape':<10} {'grad mean':>10} {'grad std':>9} "
        f"{'grad:data':>9} {'update:data':>11}\n",
        style="bold",
    )
    for w in weights:
        shape = "x".join(str(n) for n in w.shape)
        text.append(
            f"{w.name:<12} {shape:<10} {w.grad_mean:>+10.1e} {w.grad_std:>9.1e} "
            f"{w.grad_to_data:>9.2e} "
        )
        ratio = w.update_to_data_log10
        far = not math.isfinite(ratio) or not RATIO_RANGE[0] <= ratio <= RATIO_RANGE[1]
        text.append(f"{ratio:>11.2f}", style="bold black on yellow" if far else "green")
        if far:
            hint = "rate too high?" if math.isfinite(ratio) and ratio > -2 else "rate too low?"
            text.append(f" {hint}", style="yellow")
        text.append("\n")
    text.rstrip()
    return text

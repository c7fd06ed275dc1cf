"""The app's keys: each is in the footer or on the help screen, and in the command palette."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

from textual.binding import Binding
from textual.keys import Keys, key_to_character

from tui.preferences import config_dir

BINDINGS = [
    Binding("space", "toggle_run", "Run", tooltip="start or pause training"),
    Binding("n", "step", "Step", tooltip="one training step"),
    Binding("m", "switch_model", "Model", tooltip="switch model; each keeps its own run"),
    Binding("g", "generate", "Generate", tooltip="generate names from the current model"),
    Binding(
        "plus,equals_sign",
        "temperature(True)",
        "Temp+",
        key_display="+",
        show=False,
        tooltip="temperature up: wilder names",
    ),
    Binding(
        "minus",
        "temperature(False)",
        "Temp-",
        key_display="-",
        show=False,
        tooltip="temperature down: safer names",
    ),
    Binding("e", "edit", "Params", tooltip="edit hyperparameters (and the preset)"),
    Binding("r", "reset", "Reset", show=False, tooltip="reset the model to its seed"),
    Binding(
        "p",
        "sampling",
        "Sampling",
        show=False,
        tooltip="sampling options: temperature, top-k, prefix",
    ),
    Binding(
        "c",
        "toggle_counts",
        "Counts/probs",
        show=False,
        tooltip="bigrams: show counts or probabilities",
    ),
    Binding("y", "toggle_log", "Log scale", show=False, tooltip="loss: log scale on or off"),
    Binding("o", "open", "Open", show=False, tooltip="open a dataset file"),
    Binding("s", "save", "Save", show=False, tooltip="save a checkpoint"),
    Binding("l", "load", "Load", show=False, tooltip="load a checkpoint"),
    Binding(
        "x",
        "export",
        "Export",
        show=False,
        tooltip="export the generated names and the loss history",
    ),
    Binding(
        "f",
        "find_rate",
        "LR finder",
        show=False,
        tooltip="learning-rate finder: sweep the rate on a copy of the model; a applies it",
    ),
    Binding(
        "T",
        "tries",
        "Things to try",
        show=False,
        tooltip="the post's exercise 2: single changes to its net, each a new run",
    ),
    Binding(
        "w",
        "trace",
        "Trace",
        show=False,
        tooltip="trace a name: each letter's probability and -ln p under every model",
    ),
    Binding(
        "d",
        "diagnostics",
        "Diagnostics",
        show=False,
        tooltip="inside the net, live: activations, dead units, gradients (MLP, WaveNet); "
        "each head's attention (Transformer); the state at each letter (RNN, GRU)",
    ),
    Binding(
        "z",
        "maximize",
        "Zoom",
        show=False,
        tooltip="the focused panel (Tab moves) fills the screen; z or Escape restores",
    ),
    Binding(
        "t",
        "runs",
        "Runs",
        show=False,
        tooltip="the runs table: every run so far, this data's first, best val first",
    ),
    Binding(
        "L",
        "lesson",
        "Lesson",
        show=False,
        tooltip="follow the post step by step; L again leaves it, as it is",
    ),
    Binding(
        "right_square_bracket",
        "lesson_move(1)",
        "Next",
        key_display="]",
        show=False,
        tooltip="the lesson's next step",
    ),
    Binding(
        "left_square_bracket",
        "lesson_move(-1)",
        "Back",
        key_display="[",
        show=False,
        tooltip="the lesson's step before",
    ),
    Binding(
        "ctrl+z",
        "suspend_process",
        "Suspend",
        show=False,
        tooltip="back to the shell, the engine still running; fg returns (in a terminal)",
    ),
    Binding("question_mark", "help", "More keys", key_display="?", tooltip="this help: every key"),
    Binding("q", "quit", "Quit", tooltip="quit"),
    Binding("ctrl+q", "quit", "Quit", show=False, priority=True, tooltip="quit"),
    Binding("ctrl+c", "quit", "Quit", show=False, priority=True, tooltip="quit"),
]
# Keys the help screen and the palette leave out: quitting is in the footer.
UNLISTED = ("ctrl+q", "ctrl+c")
# Each binding's id, by which keys.toml remaps it: its action's name. ctrl+q and ctrl+c have
# none: a way out that no file can take away.
IDS = {
    "temperature(True)": "temperature_up",
    "temperature(False)": "temperature_down",
    "lesson_move(1)": "lesson_next",
    "lesson_move(-1)": "lesson_back",
    "suspend_process": "suspend",
}
BINDINGS = [
    b if b.key in UNLISTED else replace(b, id=IDS.get(b.action, b.action)) for b in BINDINGS
]


# Keys no keys.toml can take: Textual gives a remapped key to the file's action and takes it
# from whatever had it, so these would lose the way out, the palette or the focus.
RESERVED = {
    "ctrl+q": "always quits",
    "ctrl+c": "always quits",
    "ctrl+p": "opens the command palette",
    "tab": "moves the focus to the next panel",
    "ctrl+i": "is tab to a terminal, which moves the focus",
    "shift+tab": "moves the focus back",
}


def keymap_path() -> Path | None:
    """Where a user remaps keys: keys.toml in the app's config directory."""
    directory = config_dir()
    return None if directory is None else directory / "keys.toml"


def load_keymap(path: Path | None) -> tuple[dict[str, str], str | None]:
    """The remapped keys in the file (`step = "j"`, or several: `quit = "q,x"`), and what is
    wrong with it, if anything: a file with a mistake changes nothing."""
    if path is None or not path.is_file():
        return {}, None
    try:
        keymap = tomllib.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        return {}, f"{path}: nested too deep to be a keymap"
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        return {}, f"{path}: {error}"
    known = {b.id for b in BINDINGS if b.id}
    unknown = sorted(set(keymap) - known)
    if unknown:
        return {}, f"{path}: no key named {', '.join(unknown)}; they are {', '.join(sorted(known))}"
    if not all(isinstance(keys, str) and keys.strip() for keys in keymap.values()):
        return {}, f'{path}: each value is a key or keys, as text: step = "j"'
    # The keys the actions not remapped keep, then the file's
    owners = {
        key.strip(): b.id
        for b in BINDINGS
        if b.id and b.id not in keymap
        for key in b.key.split(",")
    }
    for action, keys in keymap.items():
        for key in (k.strip() for k in keys.split(",")):
            if not _is_key(key):
                return {}, f"{path}: {action} = {key!r}: not a key (a letter, f5, ctrl+j, space)"
            if key in RESERVED:
                return {}, f"{path}: {action} = {key!r}: {key} {RESERVED[key]}; choose another"
            if owners.setdefault(key, action) != action:
                return {}, f"{path}: {key} is given to both {owners[key]} and {action}"
    return keymap, None


MODIFIERS = ("shift", "ctrl", "alt", "meta", "super", "hyper")
NAMED_KEYS = (
    {k.value for k in Keys}
    | {f"f{n}" for n in range(1, 25)}
    | {"space", "enter", "backspace", "tab", "escape", "minus", "plus", "slash", "backslash"}
)


def _is_key(key: str) -> bool:
    """A key Textual can bind: a character or a key's name, after at most one of each
    modifier (so no ctrl+ctrl+a, no f99)."""
    *modifiers, name = key.split("+") if key != "+" else ["+"]
    return (
        len(set(modifiers)) == len(modifiers)
        and all(m in MODIFIERS for m in modifiers)
        and (len(name) == 1 and name.isprintable() or name in NAMED_KEYS or key_to_character(name))
    )

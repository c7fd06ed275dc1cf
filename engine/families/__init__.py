"""The registry of model families, in the order the app's `m` goes through them. A family is
one module of this package and one line here."""

from __future__ import annotations

from typing import Any

from engine.dataset import DataSize
from engine.families.base import Config, Family, config_from_values
from engine.families.bigram import Bigram
from engine.families.bow import BowFamily
from engine.families.mlp import MLPFamily
from engine.families.neural_bigram import NeuralBigramFamily
from engine.families.ngram import NGram
from engine.families.recurrent import GRUFamily, RNNFamily
from engine.families.transformer import TransformerFamily
from engine.families.uniform import UniformFamily
from engine.families.wavenet import WaveNetFamily

FAMILIES: tuple[Family, ...] = (
    Bigram(),
    NeuralBigramFamily(),
    MLPFamily(),
    NGram(),
    UniformFamily(),
    WaveNetFamily(),
    RNNFamily(),
    GRUFamily(),
    BowFamily(),
    TransformerFamily(),
)
NAMES = tuple(family.name for family in FAMILIES)
DEFAULT = "mlp"  # the family the CLI trains when none is named


def family(name: str) -> Family:
    """The family of this name; a ValueError names the ones there are."""
    for candidate in FAMILIES:
        if candidate.name == name:
            return candidate
    raise ValueError(f"no model is called {name!r}: there are {', '.join(NAMES)}")


def preset(name: str = "", model: str = "") -> Config:
    """A preset's values: of this model's (its default if no name), or of the one family
    that has a preset of this name; a name the default family shares with others is its."""
    if model or not name:
        return family(model or DEFAULT).preset(name)
    owners = [f for f in FAMILIES if name in f.presets]
    if len(owners) > 1 and name in family(DEFAULT).presets:
        owners = [family(DEFAULT)]
    if len(owners) != 1:
        having = " and ".join(f.name for f in owners)
        raise ValueError(
            f"preset {name!r} is of {having}: name the model"
            if owners
            else f"no preset is called {name!r}: there are {', '.join(preset_names())}"
        )
    return owners[0].preset(name)


def preset_names() -> list[str]:
    """Every preset's name, each once, in the families' order."""
    return list(dict.fromkeys(name for f in FAMILIES for name in f.presets))


def config_from_dict(values: dict[str, Any]) -> Config:
    """A config from its flat record (Config.as_dict; runs.jsonl, a checkpoint)."""
    return config_from_values(family(str(values.get("model", DEFAULT))), values)


def switch_preset(old: Config, values: dict[str, str], data: DataSize) -> Config:
    """The values of a form: a new preset's, sized for the data, with the fields the user
    changed on top; or the old values with the changes, when the preset stays."""
    name = values.get("preset", old.preset)
    values = {k: v for k, v in values.items() if k != "preset"}
    if name == old.preset:
        return old.with_values(**values)
    shown = old.editable()
    changed = {k: v for k, v in values.items() if shown.get(k) != v}
    return old.family.preset(name).for_data(data).with_values(**changed)


def changes_in_words(
    old: Config, values: dict[str, str], presets: dict[str, dict[str, str]]
) -> str:
    """A form's changes in a few words: a new preset by its name, then only the fields that
    differ from its own values (`presets`: Config.preset_values), the rest it filled itself."""
    name = values.get("preset", old.preset)
    if name == old.preset:
        named = values
    else:
        own = presets.get(name, {})  # none for a name it has not: reconfigure says so
        named = {"preset": name} | {k: v for k, v in values.items() if own.get(k) != v}
    return ", ".join(f"{k} {v}" for k, v in named.items())

"""Where the user's own files for the app live, and what the app remembers between sessions:
the theme picked in the palette (settings.toml, beside keys.toml)."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Container
from pathlib import Path


def config_dir() -> Path | None:
    """$XDG_CONFIG_HOME/makemore-tui, usually ~/.config/makemore-tui; None with no
    XDG_CONFIG_HOME and no home directory."""
    if os.environ.get("XDG_CONFIG_HOME"):
        return Path(os.environ["XDG_CONFIG_HOME"]) / "makemore-tui"
    try:
        return Path.home() / ".config" / "makemore-tui"
    except RuntimeError:  # HOME unset, and a user the system does not know
        return None


def settings_path() -> Path | None:
    directory = config_dir()
    return None if directory is None else directory / "settings.toml"


def load_theme(path: Path | None, themes: Container[str]) -> tuple[str | None, str | None]:
    """The theme the file names, if it is one of `themes`, and what is wrong with the file,
    if anything: then the default theme stays."""
    if path is None or not path.is_file():
        return None, None
    try:
        theme = tomllib.loads(path.read_text(encoding="utf-8")).get("theme")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as error:
        return None, f"{path}: {error}; the default theme is used"
    if theme is None:
        return None, None
    if not isinstance(theme, str) or theme not in themes:
        return None, f"{path}: no theme named {theme!r}; the default is used"
    return theme, None


def save_theme(path: Path | None, theme: str) -> str | None:
    """Write the theme to the file; what went wrong, if anything."""
    if path is None:
        return "no home directory to remember the theme in"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"theme = {json.dumps(theme)}\n", encoding="utf-8")  # a TOML string
    except OSError as error:
        return f"{path}: {error.strerror or error}; the theme is not remembered"
    return None

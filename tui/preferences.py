"""Where the user's own files for the app live, and what the app remembers between sessions:
the theme picked in the palette (settings.toml, beside keys.toml)."""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Container
from pathlib import Path

from engine.files import write_atomic


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
    """Write the theme into the file, leaving the user's other lines and comments as they
    are; what went wrong, if anything. A file whose mistake is not in its theme line is
    not written over."""
    if path is None:
        return "no home directory to remember the theme in"
    line = f"theme = {json.dumps(theme)}"  # a TOML string
    try:
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        candidates = [f"{line}\n{text}"]
        if _THEME_LINE.search(text):
            candidates.insert(0, _THEME_LINE.sub(line, text, count=1))
        written = next((c for c in candidates if _theme_of(c) == theme), None)
        if written is None:
            tomllib.loads(text)  # says what is wrong with the file
            return f"{path}: no place for the theme that keeps its other lines as they are"
        write_atomic(path, lambda file: file.write(written.encode("utf-8")))
    except (tomllib.TOMLDecodeError, RecursionError) as error:
        return f"{path}: {error}; not written over, so the theme is not remembered"
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else None
        return f"{path}: {reason or error}; the theme is not remembered"
    return None


_THEME_LINE = re.compile(r"^[ \t]*theme[ \t]*=.*$", re.MULTILINE)


def _theme_of(text: str) -> object:
    try:
        return tomllib.loads(text).get("theme")
    except (tomllib.TOMLDecodeError, RecursionError):
        return None

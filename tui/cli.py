"""`makemore-tui`: the app, or with train / lr-find / sample / fetch-names the headless commands.

Nothing heavy is imported here: the headless commands need no Textual, and the app must paint
its first frame before torch is imported.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# The subcommands of engine/cli.py, named here so that the app never imports torch to check.
HEADLESS = ("train", "lr-find", "sample", "fetch-names")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="makemore-tui",
        description="Watch character-level language models learn. Headless commands: "
        "makemore-tui {train,lr-find,sample,fetch-names} --help",
    )
    parser.add_argument("file", nargs="?", help="a text file, one item per line")
    parser.add_argument("--data", help="the same as FILE; 'names' for makemore's names.txt")
    parser.add_argument("--checkpoint", metavar="FILE", help="resume a saved run")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in HEADLESS:
        from engine.cli import main as headless

        return headless(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.file and args.data:
        parser.error("give the dataset as FILE or --data, not both")
    data = args.file or args.data
    # Only what is cheap to check before the first frame; the app reports the rest.
    for path in (None if data == "names" else data, args.checkpoint):
        if path is not None and not Path(path).exists():
            print(f"error: {path}: no such file", file=sys.stderr)
            return 2
    # Textual paints at most FPS times a second, and after a pause its timer waits one or two
    # periods before the next frame: at 120 fps that wait is half as long as at 60.
    # Read when Textual is imported; the user's own setting wins.
    os.environ.setdefault("TEXTUAL_FPS", "120")
    from tui.app import create_app

    app = create_app(data=data, checkpoint=args.checkpoint)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())

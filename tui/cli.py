"""`makemore-tui`: the app; `serve`: the app in a browser; with train / lr-find / sample /
score / fetch-names, the headless commands.

Nothing heavy is imported here: the headless commands need no Textual, and the app must paint
its first frame before torch is imported.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# The subcommands of engine/cli.py, named here so that the app never imports torch to check.
HEADLESS = ("train", "lr-find", "sample", "score", "fetch-names")
SESSIONS_PER_CORE = 1  # each trains on a core; a third on 2 cores slows all to 0.55x (README)


def build_parser(serving: bool = False) -> argparse.ArgumentParser:
    if serving:
        parser = argparse.ArgumentParser(
            prog="makemore-tui serve",
            description="The app in a browser: each browser gets an app and an engine of its "
            "own, which end when it goes.",
        )
    else:
        parser = argparse.ArgumentParser(
            prog="makemore-tui",
            description="Watch character-level language models learn. In a browser: "
            "makemore-tui serve --help. Headless commands: "
            "makemore-tui {train,lr-find,sample,score,fetch-names} --help",
        )
    parser.add_argument("file", nargs="?", help="a text file, one item per line")
    parser.add_argument("--data", help="the same as FILE; 'names' for makemore's names.txt")
    parser.add_argument("--checkpoint", metavar="FILE", help="resume a saved run")
    parser.add_argument(
        "--lesson", action="store_true", help="start in the lesson that follows the post"
    )
    if serving:
        parser.add_argument(
            "--host",
            default="127.0.0.1",
            help="the address to listen on (default: this machine only; 0.0.0.0 for a class)",
        )
        parser.add_argument("--port", type=_port, default=8000, help="default: 8000")
        parser.add_argument(
            "--max-sessions",
            type=_positive,
            default=SESSIONS_PER_CORE * (os.cpu_count() or 1),
            metavar="N",
            help=f"browsers at a time (default: {SESSIONS_PER_CORE} per core)",
        )
        parser.add_argument(
            "--allow-host",
            action="append",
            default=[],
            metavar="NAME",
            help="a name the class reaches this server by, beside its addresses and localhost "
            "(again for more): requests naming any other host are refused",
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in HEADLESS:
        from engine.cli import main as headless

        return headless(argv)
    serving = bool(argv) and argv[0] == "serve"
    parser = build_parser(serving)
    args = parser.parse_args(argv[1:] if serving else argv)
    if args.file and args.data:
        parser.error("give the dataset as FILE or --data, not both")
    data = args.file or args.data
    # Only what is cheap to check before the first frame; the app reports the rest.
    for path in (None if data == "names" else data, args.checkpoint):
        if path is not None and not Path(path).exists():
            print(f"error: {path}: no such file", file=sys.stderr)
            return 2
    if serving:
        return _serve(args, data)
    # A terminal's keys come on stdin: from a pipe or a file the app would draw and never
    # read a q. A browser's app (textual-serve's driver) reads its own pipe.
    if not sys.stdin.isatty() and "TEXTUAL_DRIVER" not in os.environ:
        print(
            "error: the app needs a terminal on its standard input; for scripts: "
            "makemore-tui {train,lr-find,sample,score} --help",
            file=sys.stderr,
        )
        return 2
    # Textual paints at most FPS times a second, and after a pause its timer waits one or two
    # periods before the next frame: at 120 fps that wait is half as long as at 60.
    # Read when Textual is imported; the user's own setting wins.
    os.environ.setdefault("TEXTUAL_FPS", "120")
    from tui.app import create_app

    app = create_app(data=data, checkpoint=args.checkpoint, lesson=args.lesson)
    app.run()
    return app.return_code or 0


def _serve(args: argparse.Namespace, data: str | None) -> int:
    try:
        from tui.serve import serve
    except ImportError:
        print(
            "error: serve needs the web extra: pip install 'makemore-tui[web]' "
            "(make run installs it)",
            file=sys.stderr,
        )
        return 2
    app_args = ["--data", data] if data else []
    if args.checkpoint:
        app_args += ["--checkpoint", args.checkpoint]
    if args.lesson:
        app_args.append("--lesson")
    try:
        serve(app_args, args.host, args.port, args.max_sessions, args.allow_host)
    except OSError as error:  # the port is taken, the address is not this machine's
        print(f"error: {args.host}:{args.port}: {error.strerror or error}", file=sys.stderr)
        return 2
    return 0


def _port(text: str) -> int:
    return _whole(text, 1, 65535)


def _positive(text: str) -> int:
    return _whole(text, 1, 10_000)


def _whole(text: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number from {low} to {high}")
    return value


if __name__ == "__main__":
    sys.exit(main())

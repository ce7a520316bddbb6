"""The designers' commands: preview (the live server) and new-family."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from ..errors import ImrgenError
from . import ENGINE_NAMES, Subparsers


def _folder(value: str | None, what: str) -> Path | None:
    if value is None:
        return None
    path = Path(value)
    if not path.is_dir():
        raise ImrgenError(f"{value}: no such {what} folder")
    return path


def cmd_preview(args: argparse.Namespace) -> int:
    from ..letter.i18n import check_language
    from ..letter.templates import template_set
    from ..preview import Preview, serve

    templates = template_set(_folder(args.templates, "templates"), _folder(args.styles, "styles"))
    examples = _folder(args.examples, "examples")
    assert examples is not None  # argparse gives a default
    if args.family:
        templates.chain(args.family)  # an unknown family fails here, with the known ones
    check_language(args.lang)
    preview = Preview(
        examples,
        templates,
        family=args.family,
        letter=args.letter,
        lang=args.lang,
        engine=args.engine,
    )
    running = serve(preview, args.port)
    count = len(preview.letters)
    print(
        f"imrgen preview: {count} example letter(s) at {running.url}  (Ctrl-C to stop)",
        flush=True,
    )
    stopped = threading.Event()
    # Ctrl-C, or SIGTERM from a service manager or a script: stop serving cleanly either way.
    previous = signal.signal(signal.SIGTERM, lambda number, frame: stopped.set())
    try:
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        running.stop()
    return 0


def cmd_new_family(args: argparse.Namespace) -> int:
    from ..letter.templates import new_family

    folder = new_family(args.name, args.parent, Path(args.templates))
    print(f"{folder}: family '{args.name}' extends '{args.parent}'; override blocks in letter.html")
    return 0


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "preview",
        help="serve every example letter on 127.0.0.1, re-rendered live as templates change",
    )
    p.add_argument("--templates", metavar="DIR", help="templates folder (default: the package's)")
    p.add_argument("--styles", metavar="DIR", help="styles folder (default: the package's)")
    p.add_argument(
        "--examples", metavar="DIR", default="examples", help="case files (default: examples)"
    )
    p.add_argument("--family", help="render every example with this family (default: its edition)")
    p.add_argument(
        "--letter",
        default="public-body",
        choices=["public-body", "full"],
        help="public-body: as the state publishes it (default); full: as sent to the parties",
    )
    p.add_argument("--lang", default="en", help="the letters' language (default: en)")
    p.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000)")
    p.add_argument(
        "--engine",
        choices=ENGINE_NAMES,
        help="the PDF's layout engine (default: typst for the families imrgen ships, weasyprint"
        " for a designer's own, whose CSS only WeasyPrint reads)",
    )

    p.set_defaults(func=cmd_preview)

    p = sub.add_parser("new-family", help="make a template family that starts as a copy of another")
    p.add_argument("name", metavar="NAME", help="the new family's name (its folder's, too)")
    p.add_argument(
        "--from", dest="parent", required=True, metavar="FAMILY", help="the family it extends"
    )
    p.add_argument(
        "--templates", metavar="DIR", default="templates", help="where (default: ./templates)"
    )
    p.set_defaults(func=cmd_new_family)

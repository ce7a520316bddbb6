"""`imrgen serve`: the letter service over HTTP (imrgen.service)."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable

from ..errors import ImrgenError
from . import Subparsers


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    def convert(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a number above 0, got {text!r}")
        return value

    return convert


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from ..service import ServiceConfig, load_tokens, serve
    except ImportError as exc:
        raise ImrgenError(
            f"imrgen serve needs the service extra: pip install 'imrgen[service]' ({exc})"
        ) from None
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    config = ServiceConfig(
        workers=args.workers,
        timeout=args.timeout,
        max_body=int(args.max_body * 2**20),
        tokens=tuple(load_tokens(args.token_file)),
    )
    serve(args.host, args.port, config, log_level=args.log_level)
    return 0


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "serve",
        help="serve letters over HTTP (validate, render, public, parse)",
        description="The letter service: an HTTP API with warm worker processes. It listens on"
        " 127.0.0.1 unless told otherwise; any other address needs a bearer token.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    p.add_argument(
        "--workers", type=_positive(int), default=2, help="worker processes (default: 2)"
    )
    p.add_argument(
        "--timeout",
        type=_positive(float),
        default=60.0,
        metavar="SECONDS",
        help="longest a request's work may take; past it: 504, worker replaced (default: 60)",
    )
    p.add_argument(
        "--max-body",
        type=_positive(float),
        default=20.0,
        metavar="MIB",
        help="largest request body in MiB; past it: 413 (default: 20)",
    )
    p.add_argument(
        "--token-file",
        metavar="FILE",
        help="bearer tokens, one a line (also: $IMRGEN_SERVICE_TOKENS); needed off 127.0.0.1",
    )
    p.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="how much the service logs (default: info)",
    )
    p.set_defaults(func=cmd_serve)

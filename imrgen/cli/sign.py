"""Signed letters: `sign` adds the organization's PAdES signature to finished PDF letters,
`verify` checks letters one was given; `--sign KEY.p12` on render, public and batch comes from
`add_signing_arguments` and `sign_request` here. The key's password is read from a file, an
environment variable or a prompt, never from the command line."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ImrgenError
from ..files import write_atomic
from . import Subparsers, describe

if TYPE_CHECKING:
    from asn1crypto.x509 import Certificate

    from ..signing import SignRequest

# pyHanko takes half a second to import: the signing module is loaded only when a command signs
# or verifies.

PASSWORD_ENV = "IMRGEN_KEY_PASSWORD"


def read_password(args: argparse.Namespace, key_path: str) -> bytes | None:
    """The key's password: --password-file, else $IMRGEN_KEY_PASSWORD (or the variable
    --password-env names), else a prompt on the terminal, else none (an unprotected key)."""
    if args.password_file:
        try:
            text = Path(args.password_file).read_bytes()
        except OSError as exc:
            raise ImrgenError(f"{args.password_file}: {exc.strerror or exc}") from None
        return text.rstrip(b"\r\n")
    variable = args.password_env or PASSWORD_ENV
    if variable in os.environ:
        return os.environ[variable].encode()
    if args.password_env:
        raise ImrgenError(f"--password-env {variable}: the environment has no such variable")
    if sys.stdin.isatty():
        return getpass.getpass(f"password for {key_path}: ").encode()
    return None


def _der_files(paths: list[str] | None) -> tuple[bytes, ...]:
    found = []
    for name in paths or []:
        try:
            found.append(Path(name).read_bytes())
        except OSError as exc:
            raise ImrgenError(f"{name}: {exc.strerror or exc}") from None
    return tuple(found)


def _trust(paths: list[str] | None) -> tuple[Certificate, ...] | None:
    from ..signing import load_certificates

    if not paths:
        return None
    return tuple(cert for name in paths for cert in load_certificates(Path(name)))


def sign_request(args: argparse.Namespace, key_path: str | None) -> SignRequest | None:
    """The signing the options ask for, with the key loaded once here so that a wrong password
    or an expired certificate stops the command before any letter is written."""
    if key_path is None:
        return None
    from ..signing import SignOptions, SignRequest

    options = SignOptions(
        timestamp_url=args.timestamp,
        crls=_der_files(args.crl),
        ocsps=_der_files(args.ocsp),
        fetch_revocation=args.fetch_revocation,
        archive_timestamp=args.archive_timestamp,
        trust=tuple(_trust(args.trust) or ()),
    )
    options.check()
    request = SignRequest(key_path, read_password(args, key_path), options)
    request.key()
    return request


def add_signing_arguments(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    """--key (sign) or --sign (render, public, batch), the password's source, and the level."""
    group = parser.add_argument_group("signing (PAdES)")
    if required:
        group.add_argument("--key", required=True, metavar="KEY.p12", help="PKCS#12 key file")
    else:
        group.add_argument(
            "--sign", metavar="KEY.p12", help="sign the PDF letters with this PKCS#12 key"
        )
    group.add_argument("--password-file", metavar="FILE", help="read the key's password from FILE")
    group.add_argument(
        "--password-env",
        metavar="NAME",
        help=f"read the key's password from this variable (default: {PASSWORD_ENV});"
        " without either, imrgen prompts",
    )
    group.add_argument(
        "--timestamp", metavar="URL", help="an RFC 3161 timestamp service: PAdES B-T"
    )
    group.add_argument(
        "--crl", action="append", metavar="FILE", help="a CRL (DER) to embed: PAdES B-LT"
    )
    group.add_argument(
        "--ocsp", action="append", metavar="FILE", help="an OCSP response (DER): PAdES B-LT"
    )
    group.add_argument(
        "--fetch-revocation",
        action="store_true",
        help="fetch the revocation information the certificates point to: PAdES B-LT",
    )
    group.add_argument(
        "--archive-timestamp",
        action="store_true",
        help="add a document timestamp over the validation data: PAdES B-LTA",
    )
    group.add_argument(
        "--trust",
        action="append",
        metavar="CA.pem",
        help="root(s) the chain is checked against for B-LT (default: the key file's root)",
    )


def cmd_sign(args: argparse.Namespace) -> int:
    request = sign_request(args, args.key)
    assert request is not None
    out = Path(args.output)
    failed = 0
    for name in args.letters:
        letter = Path(name)
        try:
            data = letter.read_bytes()
            target = out / letter.name
            if target.resolve() == letter.resolve():
                raise ImrgenError(f"{letter}: -o is the letter's own folder; give another")
            signed = request.apply(data)
            write_atomic(target, signed)
            if not args.quiet:
                print(f"{letter} -> {target} (PAdES {request.options.level})")
        except (ImrgenError, OSError) as exc:
            failed += 1
            message = f"{letter}: {describe(exc)}" if isinstance(exc, OSError) else str(exc)
            if not message.startswith(str(letter)):
                message = f"{letter}: {message}"
            print(f"error: {message}", file=sys.stderr)
    if failed:
        print(f"{failed} of {len(args.letters)} letter(s) not signed", file=sys.stderr)
    return 1 if failed else 0


def cmd_verify(args: argparse.Namespace) -> int:
    from ..signing import verify

    trust = _trust(args.trust)
    bad = 0
    for name in args.letters:
        letter = Path(name)
        try:
            verdict = verify(letter.read_bytes(), trust, source=str(letter))
        except (ImrgenError, OSError) as exc:
            bad += 1
            message = f"{letter}: {describe(exc)}" if isinstance(exc, OSError) else str(exc)
            print(f"error: {message}", file=sys.stderr)
            continue
        if not verdict.holds:
            bad += 1
        print(f"{letter}: {verdict.summary()}")
    if bad:
        print(
            f"{bad} of {len(args.letters)} letter(s) not signed, changed, or not trusted",
            file=sys.stderr,
        )
    return 1 if bad else 0


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "sign",
        help="sign PDF letters with the organization's key (PAdES)",
        description="Add a PAdES signature to each letter as an incremental update covering the"
        " whole file: B-B by default, B-T with --timestamp, B-LT with revocation information,"
        " B-LTA with --archive-timestamp.",
    )
    p.add_argument("letters", nargs="+", metavar="LETTER.pdf", help="PDF letters")
    p.add_argument(
        "-o", "--output", required=True, metavar="DIR", help="the folder for the signed letters"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    add_signing_arguments(p, required=True)
    p.set_defaults(func=cmd_sign)

    p = sub.add_parser(
        "verify",
        help="check the signature of PDF letters",
        description="One line per letter: signed or not, by whom, when, the PAdES level, whether"
        " the signature holds and the signer is trusted, and what changed after signing. Exit 0"
        " only when every letter is signed, intact and trusted.",
    )
    p.add_argument("letters", nargs="+", metavar="LETTER.pdf", help="PDF letters")
    p.add_argument(
        "--trust",
        action="append",
        metavar="CA.pem",
        help="trusted root(s), PEM or DER: the issuer's root; without it no signer is trusted",
    )
    p.set_defaults(func=cmd_verify)

"""Who may call the service: anyone on this machine when it listens on a loopback address;
with any other address, only a request that carries one of the configured bearer tokens. The
service refuses to start on such an address without a token."""

from __future__ import annotations

import hmac
import ipaddress
import os
from pathlib import Path

from ..errors import ImrgenError

TOKEN_ENV = "IMRGEN_SERVICE_TOKENS"
MIN_TOKEN_LENGTH = 16  # a token someone could guess is no token


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name other than localhost may resolve to anything
        return False


def read_tokens(text: str, source: str) -> list[str]:
    """Tokens one per line (or separated by commas); blank lines and # comments are skipped."""
    tokens: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0]
        for token in (t.strip() for t in line.split(",")):
            if not token:
                continue
            if len(token) < MIN_TOKEN_LENGTH or not token.isascii() or " " in token:
                raise ImrgenError(
                    f"{source}: line {number}: expected a token of at least"
                    f" {MIN_TOKEN_LENGTH} ASCII characters without spaces,"
                    f" got one of {len(token)} character(s)"
                )
            tokens.append(token)
    return tokens


def load_tokens(token_file: str | Path | None, environ: dict[str, str] | None = None) -> list[str]:
    """The tokens of --token-file and of $IMRGEN_SERVICE_TOKENS together."""
    env = os.environ if environ is None else environ
    tokens: list[str] = []
    if token_file is not None:
        path = Path(token_file)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ImrgenError(f"{path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise ImrgenError(f"{path}: not UTF-8 text ({exc.reason})") from None
        tokens += read_tokens(text, str(path))
        if not tokens:
            raise ImrgenError(f"{path}: expected at least one token, found none")
    if env.get(TOKEN_ENV):
        tokens += read_tokens(env[TOKEN_ENV], f"${TOKEN_ENV}")
    return tokens


def check_access(host: str, tokens: list[str]) -> None:
    """Refuse an address other than loopback when no token guards it."""
    if not is_loopback(host) and not tokens:
        raise ImrgenError(
            f"refusing to listen on {host} without a bearer token: give --token-file FILE"
            f" or set {TOKEN_ENV} (or listen on 127.0.0.1)"
        )


class TokenCheck:
    """Compares an Authorization header with every token, in constant time for each."""

    def __init__(self, tokens: list[str]) -> None:
        self._tokens = [t.encode("ascii") for t in tokens]

    @property
    def required(self) -> bool:
        return bool(self._tokens)

    def allows(self, authorization: str | None) -> bool:
        if not self._tokens:
            return True
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        offered = given.strip().encode("utf-8", "replace")
        # Compare with every token, not stopping at a match: the time says nothing of which.
        matches = [hmac.compare_digest(offered, token) for token in self._tokens]
        return any(matches)

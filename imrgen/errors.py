"""One small hierarchy: the library raises these; only the CLI prints them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ImrgenError(Exception):
    """A known failure: the CLI prints its message on one line and exits non-zero."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, what was expected, what was found."""

    location: str  # a field path such as "items[2].decision", or "line 14"
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.location
        if self.line is not None and not where.startswith("line "):
            where = f"{where} (line {self.line})"
        return f"{where}: {self.message}" if where else self.message


class CaseError(ImrgenError):
    """A case file that is not a valid case; carries every problem found, not just the first."""

    def __init__(self, source: str | Path, problems: list[Problem]) -> None:
        self.source = str(source)
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{self.source}: {len(problems)} problem(s)\n{lines}")


class ParseError(ImrgenError):
    """A letter that cannot be read back into a case."""

    def __init__(self, source: str | Path, message: str) -> None:
        self.source = str(source)
        super().__init__(f"{self.source}: {message}")

    @classmethod
    def from_validation(cls, source: str | Path, errors: list[Any], prefix: str = "") -> ParseError:
        """What a letter said that makes no valid case: the first problem, with its field."""
        first = errors[0]
        where = ".".join(str(p) for p in first["loc"])
        return cls(source, f"{prefix}{where}: {first['msg']}")


class UnknownFormatError(ImrgenError):
    pass


class RenderError(ImrgenError):
    pass

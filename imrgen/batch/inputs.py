"""A batch's inputs: files, folders and globs expanded into case files and letters, each with a
stem of its own."""

from __future__ import annotations

import glob
import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

from ..case.loading import CASE_SUFFIXES, not_an_input
from ..readers import readers
from .jobs import (
    InputResult,
    _failed,
    _skipped,
)


def input_suffixes() -> tuple[str, ...]:
    """Every suffix a batch reads from a folder: case files and every registered reader's."""
    return tuple(CASE_SUFFIXES) + tuple(s for r in readers() for s in r.suffixes)


def _is_glob(name: str) -> bool:
    return any(ch in name for ch in "*?[")


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def expand_inputs(
    inputs: Iterable[str | Path], exclude: Path | None = None
) -> tuple[list[tuple[Path, str]], list[InputResult]]:
    """Files, folders and globs -> (file, output stem) pairs, plus an error for each input that
    names nothing. Folders are walked for readable files (hidden ones and `exclude` left out) and
    keep their layout in the output stems; a file or a glob match gives its own name."""
    suffixes = input_suffixes()
    found: list[tuple[Path, str]] = []
    missing: list[InputResult] = []
    excluded = exclude.resolve() if exclude is not None else None

    def inside_excluded(path: Path) -> bool:
        return excluded is not None and path.resolve().is_relative_to(excluded)

    def walk(folder: Path) -> None:
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or _hidden(path, folder) or inside_excluded(path):
                continue
            # A folder's other files (notes, a README) are listed as skipped, not failed.
            why = not_an_input(path) if path.suffix.lower() in suffixes else "not a case or letter"
            if why is None:
                found.append((path, str(path.relative_to(folder).with_suffix(""))))
            else:
                missing.append(_skipped(str(path), f"{path}: {why}"))

    for item in inputs:
        name = str(item)
        path = Path(name)
        if path.is_dir():
            walk(path)
        elif path.exists():
            found.append((path, path.stem))
        elif _is_glob(name):
            matches = sorted(glob.glob(name, recursive=True))
            if not matches:
                missing.append(_failed(name, f"{name}: no file matches this pattern"))
            for match in map(Path, matches):
                if match.is_dir():
                    walk(match)
                elif match.suffix.lower() in suffixes and not inside_excluded(match):
                    found.append((match, match.stem))
        else:
            missing.append(_failed(name, f"{name}: no such file or folder"))

    # The same file named twice is one input; two inputs that would make the same output name
    # (a.yaml and a.pdf, or two folders' a.pdf) get their suffix, then a hash of their path.
    unique: dict[Path, tuple[Path, str]] = {}
    for path, stem in found:
        unique.setdefault(path.resolve(), (path, stem))
    pairs = list(unique.values())
    pairs = _disambiguate(pairs, lambda p, s: f"{s}-{p.suffix.lstrip('.').lower()}")
    pairs = _disambiguate(
        pairs, lambda p, s: f"{s}-{hashlib.sha256(str(p.resolve()).encode()).hexdigest()[:8]}"
    )
    return pairs, missing


def _disambiguate(
    pairs: list[tuple[Path, str]], rename: Callable[[Path, str], str]
) -> list[tuple[Path, str]]:
    counts: dict[str, int] = {}
    for _, stem in pairs:
        counts[stem.lower()] = counts.get(stem.lower(), 0) + 1
    return [(p, rename(p, s) if counts[s.lower()] > 1 else s) for p, s in pairs]

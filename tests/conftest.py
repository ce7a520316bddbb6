"""Shared inputs: the real letters in ../shared (or IMRGEN_SHARED), and the test cases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
CASES = TESTS / "cases"
EXAMPLES = ROOT / "examples"


def _shared() -> Path:
    candidates = [os.environ.get("IMRGEN_SHARED"), ROOT.parent / "shared", TESTS / "shared"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "corpus").is_dir():
            return Path(candidate)
    raise RuntimeError(
        "the real letters are missing: expected ../shared/corpus and ../shared/seeds beside the"
        " repository (or set IMRGEN_SHARED)"
    )


SHARED = _shared()
CORPUS = sorted((SHARED / "corpus").glob("*/*.pdf"))
SEEDS = sorted((SHARED / "seeds").glob("*.txt"))
REAL_LETTERS = CORPUS + SEEDS


def letter_id(path: Path) -> str:
    return path.stem


@pytest.fixture(scope="session")
def parsed_letters() -> dict[Path, object]:
    """Every real letter parsed once per session."""
    import imrgen

    return {path: imrgen.parse(path) for path in REAL_LETTERS}

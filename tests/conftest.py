"""Shared inputs: the real letters in ../shared (or IMRGEN_SHARED), and the test cases.

Without the real letters the suite still runs: every test that needs them fails on its own with
a message saying what is missing (a test parametrised over them is skipped with that message),
and the others run as usual."""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path
from typing import SupportsIndex, overload

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
CASES = TESTS / "cases"
EXAMPLES = ROOT / "examples"


def _shared() -> tuple[Path, str | None]:
    """The shared folder, and why it cannot be used (None when it can)."""
    named = os.environ.get("IMRGEN_SHARED")
    candidates = [named] if named else [str(ROOT.parent / "shared"), str(TESTS / "shared")]
    for candidate in candidates:
        if candidate and (Path(candidate) / "corpus").is_dir():
            return Path(candidate), None
    where = f"IMRGEN_SHARED={named}" if named else f"{ROOT.parent / 'shared'}"
    return Path(candidates[0] or "shared"), (
        f"the real letters are missing: expected {where}/corpus and seeds/ (the folder beside the"
        " repository, or set IMRGEN_SHARED); this test needs them"
    )


SHARED, SHARED_MISSING = _shared()


class _Letters(list[Path]):
    """The real letters of one kind. With the shared folder missing it holds none, and
    `LETTERS[n]` is a path in the missing folder, so a module that picks one at import still
    imports and the test that uses it fails, naming the folder."""

    def __init__(self, folder: Path, pattern: str) -> None:
        self.folder = folder
        super().__init__(sorted(folder.glob(pattern)) if SHARED_MISSING is None else [])

    @overload
    def __getitem__(self, index: SupportsIndex) -> Path: ...
    @overload
    def __getitem__(self, index: slice) -> list[Path]: ...
    def __getitem__(self, index: SupportsIndex | slice) -> Path | list[Path]:
        if SHARED_MISSING is not None and not isinstance(index, slice):
            return self.folder / f"missing-letter-{int(index)}"
        return super().__getitem__(index)


CORPUS = _Letters(SHARED / "corpus", "*/*.pdf")
SEEDS = _Letters(SHARED / "seeds", "*.txt")
REAL_LETTERS = CORPUS + SEEDS


def need_shared() -> None:
    """Fail the calling test (only it) when the real letters are missing."""
    if SHARED_MISSING is not None:
        pytest.fail(SHARED_MISSING, pytrace=False)


def letter_id(path: Path) -> str:
    return path.stem


@pytest.fixture(scope="session")
def parsed_letters() -> dict[Path, object]:
    """Every real letter parsed once per session."""
    import imrgen

    need_shared()
    return {path: imrgen.parse(path) for path in REAL_LETTERS}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test parametrised over the missing letters has no cases: say why, not 'empty set'."""
    if SHARED_MISSING is None:
        return
    for item in items:
        item.own_markers = [
            pytest.mark.skip(reason=SHARED_MISSING).mark
            if mark.name == "skip"
            and str(mark.kwargs.get("reason", "")).startswith("got empty parameter set")
            else mark
            for mark in item.own_markers
        ]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A test that failed on a path in the missing shared folder says what is missing."""
    report = yield
    text = str(report.longrepr)
    missing = SHARED_MISSING is not None and str(SHARED) in text
    if missing and report.failed and str(SHARED_MISSING) not in text:
        report.longrepr = f"{SHARED_MISSING}\n\n{text}"
    return report

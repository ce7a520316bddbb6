"""Without the real letters (../shared) the suite still runs: each test that needs them fails or
is skipped on its own, saying what is missing; the others pass."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from conftest import TESTS

PROBE = """
import pytest
from conftest import CORPUS, SEEDS, SHARED, need_shared

FIRST = CORPUS[0]  # picked at import, as some modules do
ONE_SEED = SEEDS[:1]


def test_needs_nothing():
    assert 1 + 1 == 2


@pytest.mark.parametrize("path", CORPUS)
def test_each_letter(path):
    assert path.is_file()


def test_uses_the_parsed_letters(parsed_letters):
    assert parsed_letters


def test_reads_the_first_letter():
    FIRST.read_bytes()


def test_asks_for_the_letters():
    need_shared()
"""


def test_the_suite_runs_without_the_shared_folder(tmp_path: Path) -> None:
    repo = tmp_path / "repo"  # no ../shared beside it
    (repo / "tests").mkdir(parents=True)
    for name in ("conftest.py", "test_batch.py", "test_preview.py"):
        shutil.copy(TESTS / name, repo / "tests" / name)
    shutil.copytree(TESTS / "cases", repo / "tests" / "cases")
    (repo / "tests" / "test_probe.py").write_text(PROBE)
    env = {k: v for k, v in os.environ.items() if k != "IMRGEN_SHARED"}
    report = tmp_path / "report.xml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--junitxml={report}",
            "tests/test_probe.py",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    outcomes: dict[str, str] = {}
    messages: dict[str, str] = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        name = case.get("name", "")
        child = next(iter(case), None)
        outcomes[name] = "passed" if child is None or child.tag == "system-out" else child.tag
        messages[name] = "" if child is None else (child.get("message", "") + (child.text or ""))
    assert outcomes == {
        "test_needs_nothing": "passed",
        "test_each_letter[NOTSET]": "skipped",
        "test_uses_the_parsed_letters": "error",
        "test_reads_the_first_letter": "failure",
        "test_asks_for_the_letters": "failure",
    }, done.stdout
    missing = f"the real letters are missing: expected {tmp_path / 'shared'}/corpus"
    for name in outcomes.keys() - {"test_needs_nothing"}:
        assert missing in messages[name], (name, messages[name])

    # The real modules that use the letters still import and collect.
    collected = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "--collect-only",
            "tests/test_batch.py",
            "tests/test_preview.py",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert "tests/test_batch.py::test_public_versions" in collected.stdout
    assert "tests/test_preview.py::test_the_shipped_examples_all_render" in collected.stdout

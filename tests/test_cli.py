"""The imrgen command: outputs, exit codes, and one-line errors that name the input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, EXAMPLES, SEEDS

import imrgen
from imrgen.cli import main
from imrgen.loading import load_case


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "imrgen", *map(str, args)], capture_output=True, text=True
    )


def test_parse_one_letter_to_yaml_and_json(tmp_path: Path) -> None:
    assert main(["parse", str(CORPUS[0]), "-o", str(tmp_path / "one.yaml")]) == 0
    assert main(["parse", str(CORPUS[0]), "-o", str(tmp_path / "one.json")]) == 0
    from_yaml = load_case(tmp_path / "one.yaml")
    assert from_yaml == load_case(tmp_path / "one.json") == imrgen.parse(CORPUS[0])


def test_parse_several_letters_into_a_folder_and_one_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "in" / "memo.txt"
    bad.parent.mkdir()
    bad.write_text("Dear Sir,\n\nNot a determination.\n")
    out = tmp_path / "out"
    result = run("parse", CORPUS[0], bad, SEEDS[0], "-o", out)
    assert result.returncode == 1
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{CORPUS[0].stem}.json", f"{SEEDS[0].stem}.json"]
    )
    assert f"{bad}: not an IMR determination" in result.stderr
    assert "1 of 3 input(s) failed" in result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads((out / f"{SEEDS[0].stem}.json").read_text())["edition"] == "2014"


def test_parse_several_letters_refuses_a_file_as_output(tmp_path: Path) -> None:
    result = run("parse", CORPUS[0], CORPUS[1], "-o", tmp_path / "x.json")
    assert result.returncode == 2
    assert "with several letters, -o names a folder" in result.stderr
    assert not (tmp_path / "x.json").exists()


def test_render_writes_every_format(tmp_path: Path) -> None:
    cases = [EXAMPLES / "CM16-0213037.yaml", EXAMPLES / "CM14-0008529.yaml"]
    assert main(["render", *map(str, cases), "-f", "html,txt,md", "-o", str(tmp_path)]) == 0
    for case in cases:
        for suffix in (".html", ".txt", ".md"):
            written = tmp_path / f"{case.stem}{suffix}"
            assert written.read_bytes() == imrgen.render(case, suffix[1:])
    assert not list(tmp_path.glob("*.part"))


def test_render_a_bad_case_reports_it_and_does_the_rest(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("summary: [x]\nitems:\n  - request: TENS\n    decision: approved\n")
    good = EXAMPLES / "CM16-0213037.yaml"
    out = tmp_path / "out"
    result = run("render", bad, good, "-f", "txt", "-o", out)
    assert result.returncode == 1
    assert [p.name for p in out.iterdir()] == ["CM16-0213037.txt"]
    assert f"{bad}: 2 problem(s)" in result.stderr
    assert "items[0].decision (line 4): expected 'upheld' or 'overturned', got 'approved'" in (
        result.stderr
    )
    assert "items[0].rationale (line 3): required field is missing" in result.stderr


def test_render_unknown_format_fails_before_writing(tmp_path: Path) -> None:
    result = run("render", EXAMPLES / "CM16-0213037.yaml", "-f", "txt,odt", "-o", tmp_path / "o")
    assert result.returncode == 2
    assert "unknown format 'odt'; available: " in result.stderr
    assert not (tmp_path / "o").exists()


def test_validate_exit_codes(tmp_path: Path) -> None:
    good = run("validate", EXAMPLES / "CM16-0213037.yaml")
    assert good.returncode == 0 and "valid" in good.stdout
    bad = tmp_path / "bad.json"
    bad.write_text('{"summary": [], "items": []}')
    result = run("validate", EXAMPLES / "CM16-0213037.yaml", bad)
    assert result.returncode == 1
    assert "summary (line 1): expected at least 1 item(s), got 0" in result.stderr
    assert "items (line 1): expected at least 1 item(s), got 0" in result.stderr


def test_schema_is_json_schema() -> None:
    result = run("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["properties"]["items"]["type"] == "array"


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_version_and_help(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 0
    assert "imrgen" in result.stdout


def test_console_script_is_installed() -> None:
    """The `imrgen` command sits beside the interpreter that runs the suite, whatever PATH says."""
    script = Path(sys.executable).parent / "imrgen"
    assert script.is_file(), f"no console script at {script}"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert result.stdout.strip() == f"imrgen {imrgen.__version__}"


def test_an_output_that_cannot_be_written_is_one_line_per_input(tmp_path: Path) -> None:
    """The machine's refusal (a file where the folder should be) is reported, not a traceback."""
    blocker = tmp_path / "out"
    blocker.write_text("a file, not a folder")
    cases = [EXAMPLES / "CM16-0213037.yaml", EXAMPLES / "CM14-0008529.yaml"]
    result = run("render", *cases, "-f", "txt", "-o", blocker)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    for case in cases:
        assert f"error: {case}: {blocker}" in result.stderr
    assert "2 of 2 input(s) failed" in result.stderr


def test_parse_makes_the_folders_of_its_output(tmp_path: Path) -> None:
    result = run("parse", CORPUS[0], "-o", tmp_path / "missing" / "deeper" / "x.json")
    assert result.returncode == 0
    assert (tmp_path / "missing" / "deeper" / "x.json").is_file()

"""The imrgen command: outputs, exit codes, and one-line errors that name the input."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, EXAMPLES, ROOT, SEEDS

import imrgen
from imrgen.case.loading import load_case
from imrgen.cli import main


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


# --- what a new user hit (issue 12) --------------------------------------------------------

GOOD_CASE = EXAMPLES / "CM16-0213037.yaml"


def test_validate_checks_every_file_past_an_impossible_date(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        GOOD_CASE.read_text().replace("decision_date: 2016-12-09", "decision_date: 2016-02-30")
    )
    later = tmp_path / "c.yaml"
    later.write_text("summary: [x]\n")
    result = run("validate", GOOD_CASE, bad, later)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    line = next(n for n, t in enumerate(bad.read_text().splitlines(), 1) if "2016-02-30" in t)
    assert f"header.decision_date (line {line}): expected a date that exists" in result.stderr
    assert "got '2016-02-30'" in result.stderr
    assert f"{later}: 1 problem(s)" in result.stderr  # the file after it was checked too
    assert f"{GOOD_CASE}: valid" in result.stdout


def test_a_deeply_nested_json_case_is_one_line_and_exit_1(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    for command in (["validate", deep], ["render", deep, "-o", tmp_path / "out"]):
        result = run(*command)
        assert result.returncode == 1, command
        assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
        assert f"{deep}: 1 problem(s)" in result.stderr
        assert "nested too deep" in result.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_get_the_mode_of_any_new_file(tmp_path: Path, umask: int, mode: int) -> None:
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "imrgen",
            "render",
            str(GOOD_CASE),
            "-f",
            "txt,html",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        preexec_fn=lambda: os.umask(umask),
    )
    assert result.returncode == 0, result.stderr
    for name in ("CM16-0213037.txt", "CM16-0213037.html"):
        assert stat.S_IMODE((out / name).stat().st_mode) == mode, name
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]


def test_a_rewritten_output_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "CM16-0213037.txt"
    target.write_text("old")
    target.chmod(0o640)
    assert main(["render", str(GOOD_CASE), "-f", "txt", "-o", str(tmp_path)]) == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_bytes() == imrgen.render(GOOD_CASE, "txt")


def test_render_refuses_two_inputs_with_one_name_naming_both(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = tmp_path / "a" / "x.yaml", tmp_path / "b" / "x.yaml"
    first.write_text(GOOD_CASE.read_text())
    second.write_text((EXAMPLES / "CM14-0008529.yaml").read_text())
    out = tmp_path / "out"
    result = run("render", first, second, "-f", "txt", "-o", out)
    assert result.returncode == 2
    assert f"{first} and {second} would both be written as x.*" in result.stderr
    assert not out.exists()
    # The same file twice is one input, not a clash.
    assert main(["render", str(first), str(first), "-f", "txt", "-o", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == ["x.txt"]


def test_parse_to_a_name_with_another_suffix_is_a_clear_error(tmp_path: Path) -> None:
    result = run("parse", CORPUS[0], "-o", tmp_path / "x.txt")
    assert result.returncode == 2
    assert "parse writes case files: -o names a .json or .yaml file" in result.stderr
    assert not (tmp_path / "x.txt").exists()
    assert main(["parse", str(CORPUS[0]), "-o", str(tmp_path / "x.yml")]) == 0
    assert (tmp_path / "x.yml").is_file()
    # An existing folder is a folder, whatever its name.
    (tmp_path / "letters.txt").mkdir()
    assert main(["parse", str(CORPUS[0]), "-o", str(tmp_path / "letters.txt")]) == 0
    assert (tmp_path / "letters.txt" / f"{CORPUS[0].stem}.json").is_file()


@pytest.mark.parametrize("command", ["render", "public", "batch"])
def test_an_output_folder_named_like_a_file_is_a_clear_error(tmp_path: Path, command: str) -> None:
    result = run(command, GOOD_CASE, "-o", tmp_path / "letter.html")
    assert result.returncode == 2
    assert f"error: {tmp_path / 'letter.html'}: {command} writes one file per" in result.stderr
    assert "-o names a folder" in result.stderr
    assert not (tmp_path / "letter.html").exists()


def test_render_reads_letters_as_batch_does(tmp_path: Path) -> None:
    """render, validate, public and batch all take case files and letters alike (issue 12, 8)."""
    assert main(["render", str(CORPUS[0]), "-f", "txt", "-o", str(tmp_path)]) == 0
    written = tmp_path / f"{CORPUS[0].stem}.txt"
    assert written.read_bytes() == imrgen.render(imrgen.parse(CORPUS[0]), "txt")
    assert main(["validate", str(CORPUS[0])]) == 0
    odd = tmp_path / "notes.odt"
    odd.write_bytes(b"PK\x03\x04 not a letter")
    result = run("render", odd, "-o", tmp_path / "out")
    assert result.returncode == 1
    assert f"{odd}: 1 problem(s)" in result.stderr
    assert "expected a case file (.yaml, .yml, .json) or a letter (.pdf" in result.stderr
    assert "got a file with the suffix .odt" in result.stderr
    assert "not UTF-8" not in result.stderr
    result = run("parse", GOOD_CASE, "-o", tmp_path / "cases")
    assert result.returncode == 1
    assert f"{GOOD_CASE}: is a case file already; parse reads letters (pdf, docx" in result.stderr


def test_a_folder_takes_what_imrgen_reads_and_skips_the_rest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("batch", EXAMPLES, "-f", "txt", "-o", out)
    assert result.returncode == 0, result.stderr
    cases = sorted(EXAMPLES.glob("*.yaml"))
    assert f"skipped: {EXAMPLES / 'sources.txt'}: has the suffix .txt but is not an IMR letter" in (
        result.stderr
    )
    assert f"{len(cases)} done, 1 skipped, 0 failed of {len(cases) + 1} input(s)" in result.stderr
    assert sorted(p.name for p in out.glob("*.txt")) == sorted(f"{c.stem}.txt" for c in cases)


def test_not_an_input_by_suffix_and_first_bytes(tmp_path: Path) -> None:
    from imrgen.case.loading import not_an_input

    files = {
        "a.yaml": b"summary: [x]\n",
        "imrgen-case.schema.json": b"{}",
        "letter.pdf": b"%PDF-1.7\n",
        "fake.pdf": b"hello",
        "letter.docx": b"PK\x03\x04rest",
        "letter.txt": b"HOW THE IMR FINAL DETERMINATION WAS MADE",
        "letter16.txt": "HOW THE IMR FINAL".encode("utf-16"),
        "README.md": b"# notes",
        "photo.png": b"\x89PNG",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    taken = {name for name in files if not_an_input(tmp_path / name) is None}
    assert taken == {"a.yaml", "letter.pdf", "letter.docx", "letter.txt", "letter16.txt"}


def test_policy_by_name_and_by_path(tmp_path: Path) -> None:
    case = EXAMPLES / "draft-full-letter.yaml"
    assert main(["public", str(case), "--policy", "marker-only", "-o", str(tmp_path / "a")]) == 0
    assert list((tmp_path / "a").iterdir())
    own = tmp_path / "mine.yaml"
    own.write_text(
        (Path(imrgen.__file__).parent / "public" / "policies" / "marker-only.yaml").read_text()
    )
    assert main(["public", str(case), "--policy", str(own), "-o", str(tmp_path / "b")]) == 0
    assert [p.read_bytes() for p in (tmp_path / "b").iterdir()] == [
        p.read_bytes() for p in (tmp_path / "a").iterdir()
    ]
    result = run("public", case, "--policy", "nosuch", "-o", tmp_path / "c")
    assert result.returncode == 2
    assert "unknown policy 'nosuch'; shipped: default, marker-only" in result.stderr
    result = run("public", case, "--policy", tmp_path / "absent.yaml", "-o", tmp_path / "c")
    assert result.returncode == 2 and f"{tmp_path / 'absent.yaml'}: " in result.stderr
    assert not (tmp_path / "c").exists()


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    from imrgen.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_help_describes_every_argument_and_shows_defaults(command: str) -> None:
    parser = _subcommands()[command]
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{command} {action.dest}: no help"
        default = action.default
        if default not in (None, False, argparse.SUPPRESS) and not action.required:
            assert "default" in action.help, f"{command} {action.option_strings}: no default"


def test_help_names_match_the_registries() -> None:
    from imrgen.case import loading
    from imrgen.cli import CASE_SUFFIXES, ENGINE_NAMES, FILE_SUFFIXES, FORMAT_NAMES, LETTER_KINDS
    from imrgen.letter.i18n import languages
    from imrgen.readers import readers
    from imrgen.writers import writers

    assert FORMAT_NAMES.split(", ") == imrgen.formats()
    from imrgen.writers import ENGINES

    assert ENGINE_NAMES == ENGINES
    assert CASE_SUFFIXES == loading.CASE_SUFFIXES
    every_suffix = {*CASE_SUFFIXES, *(s for r in readers() for s in r.suffixes)}
    assert every_suffix | {w.suffix for w in writers().values()} == FILE_SUFFIXES
    assert sorted(LETTER_KINDS.split(", ")) == sorted(r.name for r in readers())
    parse_help = _subcommands()["parse"].format_help()
    assert "docx" in parse_help and "pdf" in parse_help
    render_help = " ".join(_subcommands()["render"].format_help().split())
    assert f"language of the fixed text: {', '.join(languages())}" in render_help
    public_help = " ".join(_subcommands()["public"].format_help().split())
    assert "(default: html)" in public_help


def test_the_progress_bar_labels_elapsed_and_left() -> None:
    from rich.console import Console

    from imrgen.cli.progress import progress_bar

    console = Console(file=io.StringIO(), width=120, force_terminal=True, color_system=None)
    progress = progress_bar(console, show=True)
    with progress:
        task = progress.add_task("letters", total=65)
        progress.update(task, completed=65)
        progress.refresh()
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert re.search(r"65/65 .* elapsed \d+:\d\d:\d\d left \d+:\d\d:\d\d", shown), shown


@pytest.mark.parametrize(
    "args", [["--help"], ["validate", str(GOOD_CASE)], ["render", "--help"], ["batch", "--help"]]
)
def test_start_up_loads_no_pdf_or_docx_machinery(args: list[str]) -> None:
    """imrgen --help and validate stay quick: WeasyPrint, python-docx and pypdfium2 are loaded
    only by the commands that write or read those files (bench/startup.py has the times)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "imrgen", *args], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    loaded = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "imrgen.cli" in loaded  # the listing is what it claims to be
    heavy = {m for m in loaded if m.split(".")[0] in ("weasyprint", "docx", "pypdfium2", "lxml")}
    assert not heavy, sorted(heavy)
    if args == ["--help"]:  # not even the model and the templates: the help's names are constants
        assert not {"imrgen.writers", "imrgen.case.model", "pydantic", "jinja2"} & loaded


def test_new_family_extends_by_folder_when_the_folder_has_another_name(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    (mine / "house-look").mkdir(parents=True)
    (mine / "house-look" / "family.yaml").write_text('name: "house"\nparent: "2015"\n')
    (mine / "house-look" / "letter.html").write_text(
        '{% extends "2015/letter.html" %}\n{% block title %}HOUSE TITLE{% endblock %}\n'
    )
    assert main(["new-family", "county", "--from", "house", "--templates", str(mine)]) == 0
    assert (mine / "county" / "letter.html").read_text() == (
        '{% extends "house-look/letter.html" %}\n'
    )
    from imrgen.letter.templates import template_set

    options = imrgen.RenderOptions(templates=template_set(mine), family="county")
    ours = imrgen.render(GOOD_CASE, "html", options)
    parent = imrgen.render(
        GOOD_CASE, "html", imrgen.RenderOptions(templates=template_set(mine), family="house")
    )
    assert ours == parent


def test_the_readme_says_how_to_get_imrgen_on_the_path() -> None:
    using = (ROOT / "README.md").read_text().split("## Using it", 1)[1].split("\n## ", 1)[0]
    assert ".venv/bin/imrgen" in using and "source .venv/bin/activate" in using
    assert "--policy marker-only" in using


def test_batch_reports_an_impossible_date_with_its_field_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        GOOD_CASE.read_text().replace("decision_date: 2016-12-09", "decision_date: 2016-02-30")
    )
    result = run("batch", bad, "-f", "txt", "-j", "1", "-o", tmp_path / "out")
    assert result.returncode == 1
    assert "internal error" not in result.stderr and "ValueError" not in result.stderr
    assert "header.decision_date (line 8): expected a date that exists" in result.stderr

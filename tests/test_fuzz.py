"""Hostile input through every command (issue 12, 3): random and mutated case files, mutated
letters of every format, mutated redaction policies, fed to validate, render, parse, public and
batch. Whatever the input: no traceback (an unknown error escapes main() and fails the test),
a non-zero exit that names the file, no half-written output, and bounded time and memory.

The default run is short; IMRGEN_FUZZ_EXAMPLES=500 runs longer (as IMRGEN_EXAMPLES does for the
round trips)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from conftest import EXAMPLES
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import imrgen
from imrgen.cli import main

EXAMPLES_COUNT = int(os.environ.get("IMRGEN_FUZZ_EXAMPLES", "12"))
SECONDS_PER_RUN = 60.0  # generous: the machine is shared; a hang or a blow-up is far beyond it
MEMORY_LIMIT = 2 * 2**30  # the process's peak resident set, after every run

FUZZ = settings(
    max_examples=EXAMPLES_COUNT,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

CASE_TEXTS = [p.read_bytes() for p in sorted(EXAMPLES.glob("*.yaml"))]
POLICY_TEXT = (Path(imrgen.__file__).parent / "public" / "policies" / "default.yaml").read_bytes()
# Tokens that YAML, JSON, the model and the readers each treat specially.
TOKENS = [
    b": ",
    b"- ",
    b"[",
    b"]",
    b"{",
    b"}",
    b"null",
    b"~",
    b"2016-02-30",
    b"2016-13-01 25:00:00",
    b"&a ",
    b"*a",
    b"!!python/object:os.system ",
    b"!!binary ",
    b"\t",
    b"\x00",
    b"\x01",
    b"\xff\xfe",
    b"\n",
    b'"',
    b"'",
    b"#",
    b"%",
    b"upheld",
    b"overturned",
    b"CM16-0213037",
    b"{{ 7*7 }}",
    b"<script>",
    b"HOW THE IMR FINAL DETERMINATION WAS MADE",
    b"Case Number:",
    b"1e999",
    b"-1",
    b"[" * 3000,
]


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """The bytes with a few random edits: flips, deletions, insertions, a cut."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "delete", "insert", "token", "cut", "duplicate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 200))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=40))
        elif kind == "token":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif kind == "cut":
            del data[at:]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 400))]
    return bytes(data)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["summary", "items", "header", "edition", "request", "x"]) | st.text(),
            children,
            max_size=4,
        )
    ),
    max_leaves=30,
)


@st.composite
def case_file(draw: st.DrawFn) -> tuple[str, bytes]:
    """(file name, bytes): a mutated example, an example as JSON mutated, or random data."""
    kind = draw(st.sampled_from(["yaml", "json", "random-json", "random-yaml"]))
    if kind == "yaml":
        return "case.yaml", draw(mutated(draw(st.sampled_from(CASE_TEXTS))))
    if kind == "json":
        data = yaml.safe_load(draw(st.sampled_from(CASE_TEXTS)))
        text = json.dumps(data, indent=2, default=str).encode()
        return "case.json", draw(mutated(text))
    value = draw(JSON_VALUES)
    if kind == "random-json":
        return "case.json", json.dumps(value).encode()
    return "case.yml", yaml.safe_dump(value).encode()


@cache
def letters() -> dict[str, bytes]:
    """One real letter in every format imrgen writes (and so reads back)."""
    case = imrgen.load_case(EXAMPLES / "CM16-0213037.yaml")
    return {fmt: imrgen.render(case, fmt) for fmt in ("pdf", "docx", "html", "txt", "md")}


@st.composite
def mutated_docx(draw: st.DrawFn, original: bytes) -> bytes:
    """A DOCX with one zip part mutated (the document, the embedded case, the styles ...), or
    a part dropped, or the zip's own bytes mutated."""
    if draw(st.booleans()):
        return draw(mutated(original))
    with zipfile.ZipFile(io.BytesIO(original)) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    name = draw(st.sampled_from(sorted(parts)))
    if draw(st.integers(0, 4)) == 0:
        del parts[name]
    else:
        parts[name] = draw(mutated(parts[name]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for part, data in parts.items():
            target.writestr(part, data)
    return out.getvalue()


@st.composite
def letter_file(draw: st.DrawFn) -> tuple[str, bytes]:
    fmt = draw(st.sampled_from(sorted(letters())))
    original = letters()[fmt]
    data = draw(mutated_docx(original)) if fmt == "docx" else draw(mutated(original))
    return f"letter.{fmt}", data


@dataclass
class Outcome:
    code: int
    err: str
    source: Path
    out: Path


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="imrgen-fuzz-") as folder:
        yield Path(folder)


def run_cli(args: list[str], source: Path, out: Path, also: Path | None = None) -> Outcome:
    """main() in this process (an unknown error escapes it, failing the test with its
    traceback), within the time and memory bounds."""
    stderr, stdout = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
        code = main(args)
    seconds = time.monotonic() - started
    assert seconds < SECONDS_PER_RUN, f"{args}: {seconds:.1f} s"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert peak < MEMORY_LIMIT, f"{args}: peak RSS {peak / 2**20:.0f} MiB"
    outcome = Outcome(code, stderr.getvalue(), source, out)
    check_outcome(args, outcome, also)
    return outcome


def check_outcome(args: list[str], outcome: Outcome, also: Path | None) -> None:
    err = outcome.err
    assert "Traceback" not in err, err
    assert "internal error" not in err, err  # the batch's word for a bug it caught
    if outcome.code != 0:
        named = str(outcome.source) in err or (also is not None and str(also) in err)
        assert named, (args, err)
    # Nothing half-written: no temporary part is left, and no output is empty.
    if outcome.out.exists():
        for path in outcome.out.rglob("*"):
            assert not path.name.endswith(".part"), path
            if path.is_file() and not path.name.startswith(".imrgen"):
                assert path.stat().st_size > 0, path


def write_input(folder: Path, name: str, data: bytes) -> Path:
    path = folder / "in" / name
    path.parent.mkdir()
    path.write_bytes(data)
    return path


FORMATS = st.sampled_from(["txt", "html,md", "txt,docx", "md", "pdf"])


# What the fuzzing found, kept as explicit examples that every run tries first.
IMPOSSIBLE_DATE = (
    (EXAMPLES / "CM16-0213037.yaml")
    .read_bytes()
    .replace(b"decision_date: 2016-12-09", b"decision_date: 2016-02-30")
)
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000


@FUZZ
@given(case=case_file(), formats=FORMATS)
@example(case=("case.yaml", IMPOSSIBLE_DATE), formats="txt")
@example(case=("case.json", DEEP_JSON), formats="txt")
@example(case=("case.yaml", b"items: null\nsummary: ~\n"), formats="txt")
def test_case_files_through_validate_and_render(case: tuple[str, bytes], formats: str) -> None:
    name, data = case
    with workspace() as folder:
        source = write_input(folder, name, data)
        out = folder / "out"
        validated = run_cli(["validate", "-q", str(source)], source, out)
        rendered = run_cli(["render", str(source), "-f", formats, "-o", str(out)], source, out)
        if validated.code == 0:
            assert rendered.code == 0, rendered.err
            assert len(list(out.iterdir())) == len(formats.split(","))
        elif rendered.code != 0:
            assert not out.exists() or not list(out.iterdir())  # a failed input writes nothing


@FUZZ
@given(letter=letter_file())
@example(letter=("letter.html", b""))
@example(letter=("letter.html", b"<!"))
@example(letter=("letter.pdf", b"%PDF-1.7\n"))
@example(letter=("letter.docx", b"PK\x03\x04"))
def test_mutated_letters_through_parse_public_and_batch(letter: tuple[str, bytes]) -> None:
    name, data = letter
    with workspace() as folder:
        source = write_input(folder, name, data)
        parsed = run_cli(["parse", str(source), "-o", str(folder / "p")], source, folder / "p")
        if parsed.code != 0:
            assert not (folder / "p").exists() or not list((folder / "p").iterdir())
        run_cli(["public", str(source), "-f", "txt", "-o", str(folder / "q")], source, folder / "q")
        batch = folder / "b"
        outcome = run_cli(
            ["batch", str(source), "-f", "txt", "-j", "1", "-o", str(batch)], source, batch
        )
        if parsed.code == 0:
            assert outcome.code == 0, outcome.err


@FUZZ
@given(policy=mutated(POLICY_TEXT))
@example(policy=POLICY_TEXT.replace(b"parties:", b"parties: " + b"[" * 3000, 1))
def test_mutated_policies_through_public(policy: bytes) -> None:
    with workspace() as folder:
        source = write_input(folder, "policy.yaml", policy)
        case = EXAMPLES / "draft-full-letter.yaml"
        out = folder / "out"
        outcome = run_cli(
            ["public", str(case), "--policy", str(source), "-f", "txt,html", "-o", str(out)],
            source,
            out,
            also=case,
        )
        if outcome.code != 0 and str(case) not in outcome.err:
            # The policy itself was refused: named, and nothing was written.
            assert not out.exists() or not list(out.iterdir())

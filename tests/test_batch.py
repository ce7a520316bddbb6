"""imrgen batch: outputs equal single renders; bad inputs are reported and the rest done; resume
redoes exactly what changed or is missing, also after kill -9; the same work on a Dask cluster."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest
from conftest import CASES, CORPUS, SEEDS, need_shared

import imrgen
from imrgen.batch import (
    LOCK_NAME,
    MANIFEST_NAME,
    BatchStopped,
    expand_inputs,
    iter_results,
    locked,
    run,
)
from imrgen.case.loading import dump_case, is_case_file, load_case
from imrgen.errors import ImrgenError
from imrgen.files import write_atomic
from imrgen.writers import get_writer, writers

IMRGEN = [sys.executable, "-m", "imrgen"]
# Every registered format, so that pdf and docx are exercised as soon as they exist.
FORMATS = sorted(writers())
LETTERS = CORPUS[:3] + SEEDS[:1]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def expected(path: Path, fmt: str) -> bytes:
    """What `imrgen render` (for a case file) or parse + render (for a letter) makes."""
    case = load_case(path) if is_case_file(path) else imrgen.parse(path)
    return imrgen.render(case, fmt)


def manifest(out: Path) -> dict[str, dict[str, object]]:
    """The last record of each input, as a resuming run reads it."""
    records: dict[str, dict[str, object]] = {}
    for line in (out / MANIFEST_NAME).read_text().splitlines():
        record = json.loads(line)
        records[record["input"]] = record
    return records


def visible(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file() and not p.name.startswith("."))


def mtimes(out: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in visible(out)}


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """A folder of case files (parsed from real letters) and the real letters themselves."""
    need_shared()
    folder = tmp_path / "in"
    (folder / "letters").mkdir(parents=True)
    for letter in LETTERS:
        case = imrgen.parse(letter)
        (folder / f"case-{letter.stem}.yaml").write_text(dump_case(case), encoding="utf-8")
        (folder / "letters" / letter.name).write_bytes(letter.read_bytes())
    return folder


def all_inputs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def output_for(folder: Path, out: Path, path: Path, fmt: str) -> Path:
    return out / path.relative_to(folder).with_suffix(get_writer(fmt).suffix)


def test_batch_outputs_equal_single_renders(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = run([inputs], FORMATS, out, jobs=2)
    sources = all_inputs(inputs)
    assert (summary.total, summary.done, summary.skipped, summary.failed) == (
        len(sources),
        len(sources),
        0,
        0,
    )
    records = manifest(out)
    assert len(visible(out)) == len(sources) * len(FORMATS)
    for path in sources:
        record = records[str(path.resolve())]
        assert record["status"] == "ok"
        assert record["sha256"] == sha(path)
        for fmt in FORMATS:
            written = output_for(inputs, out, path, fmt)
            assert written.read_bytes() == expected(path, fmt), written
            outputs = record["outputs"]
            assert isinstance(outputs, dict)
            assert outputs[fmt] == {"path": str(written.relative_to(out)), "sha256": sha(written)}


def test_inputs_from_files_globs_and_folders(inputs: Path, tmp_path: Path) -> None:
    (inputs / "notes.png").write_bytes(b"\x89PNG")  # not a readable format: left out of folders
    (inputs / ".hidden.yaml").write_text("x: 1\n")  # hidden: left out of folders
    same_stem = inputs / f"case-{LETTERS[0].stem}.json"
    same_stem.write_text(dump_case(imrgen.parse(LETTERS[0]), "json"))
    out = inputs / "out"  # inside an input folder: its outputs are never read as inputs
    run([inputs], ["html"], out, jobs=1)

    pairs, missing = expand_inputs(
        [inputs / "letters", str(inputs / "case-*.yaml"), inputs / "nowhere.yaml", "zz-*.pdf"],
        exclude=out,
    )
    names = {stem for _, stem in pairs}
    assert names == {p.stem for p in LETTERS} | {f"case-{p.stem}" for p in LETTERS}
    assert [r.error for r in missing] == [
        f"{inputs / 'nowhere.yaml'}: no such file or folder",
        "zz-*.pdf: no file matches this pattern",
    ]

    pairs, _ = expand_inputs([inputs], exclude=out)
    stems = sorted(stem for _, stem in pairs)
    # case-X.yaml and case-X.json would write the same files: each keeps its suffix in the name
    assert f"case-{LETTERS[0].stem}-json" in stems
    assert f"case-{LETTERS[0].stem}-yaml" in stems
    assert f"letters/{LETTERS[1].stem}" in stems
    assert not any(s.startswith(("out", ".")) or "notes" in s for s in stems)


def test_bad_inputs_are_reported_by_name_and_the_rest_done(inputs: Path, tmp_path: Path) -> None:
    from weasyprint import HTML

    bad_yaml = inputs / "broken.yaml"
    bad_yaml.write_text("edition: '2016'\nsummary: [unclosed\n", encoding="utf-8")
    bad_case = inputs / "incomplete.yaml"
    bad_case.write_text("edition: '2015'\nsummary: ['A worker.']\n", encoding="utf-8")
    not_imr = inputs / "letters" / "quarterly-report.pdf"
    not_imr.write_bytes(HTML(string="<h1>Quarterly report</h1><p>Sales rose.</p>").write_pdf())
    out = tmp_path / "out"
    result = subprocess.run(
        [*IMRGEN, "batch", str(inputs), "-f", ",".join(FORMATS), "-o", str(out), "--jobs", "2"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"error: {bad_yaml}: 1 problem(s)" in result.stderr
    assert "line 3: not valid YAML" in result.stderr
    assert f"error: {bad_case}: 1 problem(s)" in result.stderr
    assert "items (line 1): required field is missing" in result.stderr
    assert f"error: {not_imr}: not an IMR determination" in result.stderr
    good = len(LETTERS) * 2
    assert f"{good} done, 0 skipped, 3 failed of {good + 3} input(s)" in result.stderr
    assert "letters/s" in result.stderr
    assert f"3 of {good + 3} input(s) failed" in result.stderr
    for path in all_inputs(inputs):
        for fmt in FORMATS:
            written = output_for(inputs, out, path, fmt)
            assert written.exists() == (path not in (bad_yaml, bad_case, not_imr)), written
    records = manifest(out)
    assert records[str(not_imr.resolve())]["status"] == "error"
    assert records[str(not_imr.resolve())]["outputs"] == {}
    assert str(records[str(bad_yaml.resolve())]["error"]).startswith(f"{bad_yaml}: 1 problem(s)")

    # --quiet: errors still, nothing else; an unknown format stops before any work
    again = subprocess.run(
        [*IMRGEN, "batch", str(bad_yaml), "-f", "html", "-o", str(out), "-q"],
        capture_output=True,
        text=True,
    )
    assert again.returncode == 1
    assert again.stderr.startswith(f"error: {bad_yaml}: 1 problem(s)")
    assert "letters/s" not in again.stderr
    unknown = subprocess.run(
        [*IMRGEN, "batch", str(inputs), "-f", "odt", "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert unknown.returncode == 2
    assert "unknown format 'odt'; available:" in unknown.stderr


def test_run_again_redoes_nothing(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run([inputs], FORMATS, out, jobs=2)
    before = mtimes(out)
    summary = run([inputs], FORMATS, out, jobs=2)
    assert (summary.done, summary.skipped, summary.failed) == (0, len(all_inputs(inputs)), 0)
    assert mtimes(out) == before
    assert {r["status"] for r in manifest(out).values()} == {"skipped"}


def test_a_changed_input_alone_is_redone(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run([inputs], FORMATS, out, jobs=2)
    before = mtimes(out)
    changed = inputs / f"case-{LETTERS[1].stem}.yaml"
    case = load_case(changed)
    case = case.model_copy(update={"summary": ["The injured worker is a 51 year old woman."]})
    changed.write_text(dump_case(case), encoding="utf-8")

    results = list(iter_results([inputs], FORMATS, out, jobs=2))
    redone = [r.path for r in results if r.status == "ok"]
    assert redone == [str(changed.resolve())]
    assert all(r.status == "skipped" for r in results if r.path != str(changed.resolve()))
    after = mtimes(out)
    for fmt in FORMATS:
        written = output_for(inputs, out, changed, fmt)
        assert written.read_bytes() == expected(changed, fmt)
        del before[written], after[written]
    assert after == before


def test_a_missing_or_corrupt_output_is_redone(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run([inputs], FORMATS, out, jobs=2)
    deleted_from = inputs / "letters" / LETTERS[0].name
    corrupted_from = inputs / f"case-{LETTERS[2].stem}.yaml"
    deleted = output_for(inputs, out, deleted_from, FORMATS[0])
    corrupted = output_for(inputs, out, corrupted_from, FORMATS[-1])
    deleted.unlink()
    corrupted.write_bytes(corrupted.read_bytes()[:-10] + b"0123456789")
    before = mtimes(out)

    summary = run([inputs], FORMATS, out, jobs=2)
    assert (summary.done, summary.skipped) == (2, len(all_inputs(inputs)) - 2)
    assert deleted.read_bytes() == expected(deleted_from, FORMATS[0])
    assert corrupted.read_bytes() == expected(corrupted_from, FORMATS[-1])
    after = mtimes(out)
    # only the broken files were written again, not the other formats of the same inputs
    assert {p for p in after if after[p] != before.get(p)} == {deleted, corrupted}


def test_a_new_format_renders_only_that_format(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run([inputs], ["txt"], out, jobs=1)
    before = mtimes(out)
    summary = run([inputs], ["txt", "md"], out, jobs=1)
    assert summary.done == len(all_inputs(inputs))
    after = mtimes(out)
    assert {p: after[p] for p in before} == before
    assert {p.suffix for p in after} == {".txt", ".md"}


def test_one_batch_per_output_folder(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with locked(out), pytest.raises(ImrgenError, match="another imrgen batch is writing here"):
        run([inputs], ["html"], out, jobs=1)
    assert visible(out) == []


def test_public_versions(tmp_path: Path) -> None:
    from imrgen.public.redaction import redact

    cases = [CASES / "full" / "full-02.yaml", CASES / "full" / "full-24.yaml"]
    out = tmp_path / "out"
    summary = run(cases, FORMATS, out, public=True, jobs=2)
    assert summary.failed == 0
    for path in cases:
        case = load_case(path)
        assert case.parties is not None
        public = redact(case)
        for fmt in FORMATS:
            # named by the case number, never by the input's file name
            written = out / f"{case.header.case_number}{get_writer(fmt).suffix}"
            assert written.read_bytes() == imrgen.render(public, fmt)
            assert case.parties.employee is not None and case.parties.employee.name
            assert case.parties.employee.name.encode() not in written.read_bytes()


def test_public_without_a_redaction_module_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "imrgen.public.redaction", None)  # as if it were not installed
    with pytest.raises(ImrgenError, match=r"--public needs imrgen\.public\.redaction"):
        run([CASES / "full" / "full-02.yaml"], ["html"], tmp_path / "out", public=True)
    assert not (tmp_path / "out" / MANIFEST_NAME).exists()


def test_kill_9_then_run_again_finishes_the_rest(tmp_path: Path) -> None:
    """kill -9 lands while a worker is in the middle of writing a file (writes are slowed to make
    sure of it): what is visible is complete, the half-written temporary file is hidden, and the
    next run removes it and finishes the rest."""
    import batch_faults

    folder = tmp_path / "in"
    folder.mkdir()
    sources = [CASES / "full" / f"full-{n:02}.yaml" for n in range(10)]
    for copy in range(4):
        for source in sources:
            (folder / f"{source.stem}-{copy:03}.yaml").write_bytes(source.read_bytes())
    total = len(sources) * 4
    out = tmp_path / "out"
    out.mkdir()
    # From the tenth input on, every write stops halfway for a while: the kill finds one there.
    slow = batch_faults.Fault(str(out.resolve()), "slow", after=10 * len(FORMATS), delay=0.5)
    env = {
        **os.environ,
        **slow.to_env(),
        **batch_faults.sitecustomize(tmp_path / "site", Path(__file__).parent),
    }
    process = subprocess.Popen(
        [*IMRGEN, "batch", str(folder), "-f", ",".join(FORMATS), "-o", str(out), "-j", "2", "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=env,
    )

    def half_written() -> list[Path]:
        return [p for p in out.rglob(".*.part") if p.stat().st_size > 0]

    try:
        deadline = time.monotonic() + 120
        manifest_file = out / MANIFEST_NAME
        while time.monotonic() < deadline and process.poll() is None:
            lines = manifest_file.read_bytes().count(b"\n") if manifest_file.exists() else 0
            if lines >= 10 and half_written():
                break
            time.sleep(0.005)
        assert process.poll() is None, "the batch ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the workers die with it anyway; be sure
        if process.stderr is not None:
            process.stderr.close()
    time.sleep(0.5)  # let a worker that was mid-write die (it is signalled at its parent's death)

    renders = {s.name: {f: imrgen.render(load_case(s), f) for f in FORMATS} for s in sources}

    def right(output: Path) -> bytes:
        return renders[f"{output.stem.rsplit('-', 1)[0]}.yaml"][output.suffix.lstrip(".")]

    killed = manifest(out)
    finished = {k for k, r in killed.items() if r["status"] == "ok"}
    assert 10 <= len(finished) < total
    # The kill came in the middle of a write: its temporary file holds the first half of a
    # letter, under a hidden name, and no visible file is incomplete.
    parts = half_written()
    assert parts, "no write was cut short: the kill did not land in the middle of one"
    for part in parts:
        target = part.parent / part.name[1:].rsplit(".", 2)[0]
        assert 0 < len(part.read_bytes()) < len(right(target))
        assert right(target).startswith(part.read_bytes())
    for output in visible(out):  # complete, whether or not the manifest heard of it
        assert output.read_bytes() == right(output), output
    for record in killed.values():
        for entry in record["outputs"].values():  # type: ignore[attr-defined]
            assert sha(out / entry["path"]) == entry["sha256"]
    before = mtimes(out)

    results = list(iter_results([folder], FORMATS, out, jobs=2))
    assert len(results) == total
    assert {r.path for r in results if r.status == "skipped"} == finished
    assert all(r.status == "ok" for r in results if r.path not in finished)
    assert len(visible(out)) == total * len(FORMATS)
    leftovers = [p.name for p in out.rglob("*") if p.is_file() and p.name != MANIFEST_NAME]
    assert [n for n in leftovers if n.startswith(".")] == [LOCK_NAME]  # no .part
    after = mtimes(out)
    for path in finished:
        for entry in killed[path]["outputs"].values():  # type: ignore[attr-defined]
            assert after[out / entry["path"]] == before[out / entry["path"]]
    for output in visible(out):
        assert output.read_bytes() == right(output), output


# ---------------------------------------------------------------------------------------------
# Dask: a scheduler and two workers on 127.0.0.1, as a user's cluster would be


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[str]:
    scheduler_file = tmp_path / "scheduler.json"
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    processes: list[subprocess.Popen[bytes]] = []
    handles: list[BinaryIO] = []

    def start(name: str, *args: str) -> None:
        log = (logs / f"{name}.log").open("wb")
        handles.append(log)
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_" + name.split("-")[0], *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=tmp_path,
            )
        )

    try:
        start(
            "scheduler",
            *("--host", "127.0.0.1", "--port", "0", "--no-dashboard"),
            *("--scheduler-file", str(scheduler_file)),
        )
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for n in (1, 2):
            start(
                f"worker-{n}",
                address,
                *("--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard"),
                *("--name", f"worker-{n}"),
            )
        yield address
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for handle in handles:
            handle.close()


def test_batch_on_a_dask_cluster(dask_cluster: str, inputs: Path, tmp_path: Path) -> None:
    from distributed import Client

    with Client(dask_cluster, timeout="30s") as client:  # type: ignore[no-untyped-call]
        client.wait_for_workers(2, timeout=60)
        assert len(client.scheduler_info()["workers"]) == 2

    out = tmp_path / "out"
    bad = inputs / "broken.yaml"
    bad.write_text("summary: [unclosed\n", encoding="utf-8")
    summary = run([inputs], FORMATS, out, scheduler=dask_cluster)
    sources = [p for p in all_inputs(inputs) if p != bad]
    assert (summary.done, summary.failed) == (len(sources), 1), [e.error for e in summary.errors]
    assert summary.errors[0].error is not None
    assert summary.errors[0].error.startswith(f"{bad}: 1 problem(s)")
    records = manifest(out)
    for path in sources:
        assert records[str(path.resolve())]["status"] == "ok"
        for fmt in FORMATS:
            written = output_for(inputs, out, path, fmt)
            assert written.read_bytes() == expected(path, fmt)

    again = run([inputs], FORMATS, out, scheduler=dask_cluster)
    assert (again.done, again.skipped, again.failed) == (0, len(sources), 1)


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(
        ImrgenError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"
    ):
        run(
            [CASES / "full" / "full-02.yaml"],
            ["html"],
            tmp_path / "out",
            scheduler="tcp://127.0.0.1:9",
        )


def test_a_pool_worker_starts_warm_with_what_it_loaded_out_of_the_collectors_sight() -> None:
    """A worker keeps WeasyPrint, fonts, stylesheets and templates for its whole life: after
    warming they are frozen (gc.freeze), so each collection walks only what the letters make."""
    probe = (
        "import gc, imrgen.batch as b; b.pool_worker_start(('pdf',), False);"
        " print(gc.get_freeze_count())"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert int(done.stdout.split()[-1]) > 50_000


# ---------------------------------------------------------------------------------------------
# Durability and faults


def test_an_output_and_its_name_reach_the_disk_before_the_manifest_says_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """write_atomic flushes the file, renames it, then flushes the folder (without that, a power
    cut can lose the new name of a file the manifest records as done); the manifest's own
    record comes after."""
    events: list[tuple[str, object]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        info = os.fstat(fd)
        is_folder = stat.S_ISDIR(info.st_mode)
        events.append(("fsync-folder" if is_folder else "fsync-file", (info.st_dev, info.st_ino)))
        real_fsync(fd)

    def replace(source: str, target: str) -> None:
        real_replace(source, target)
        events.append(("rename", Path(target).name))

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    out = tmp_path / "out"
    (out / "deeper").mkdir(parents=True)
    write_atomic(out / "deeper" / "x.txt", b"a letter\n")
    folder = (out / "deeper").stat()
    assert events == [
        ("fsync-file", (folder.st_dev, (out / "deeper" / "x.txt").stat().st_ino)),
        ("rename", "x.txt"),
        ("fsync-folder", (folder.st_dev, folder.st_ino)),
    ]

    events.clear()
    run([CASES / "full" / "full-02.yaml"], ["txt"], out, jobs=1)
    renamed = events.index(("rename", "full-02.txt"))
    assert events[renamed + 1] == ("fsync-folder", (out.stat().st_dev, out.stat().st_ino))
    manifest_file = (out / MANIFEST_NAME).stat()
    assert events[-1] == ("fsync-file", (manifest_file.st_dev, manifest_file.st_ino))


def test_an_upgrade_of_a_dependency_redoes_every_letter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The resume fingerprint holds imrgen's version and its dependencies' (WeasyPrint's among
    them, found through imrgen's requirements): after an upgrade nothing old is kept."""
    from importlib import metadata

    cases = [CASES / "full" / "full-02.yaml", CASES / "full" / "full-24.yaml"]
    out = tmp_path / "out"
    assert run(cases, ["txt"], out, jobs=1).done == 2
    assert run(cases, ["txt"], out, jobs=1).skipped == 2

    real = metadata.distribution

    class Upgraded:
        def __init__(self, dist: metadata.Distribution) -> None:
            self._dist = dist

        def __getattr__(self, name: str) -> object:
            return getattr(self._dist, name)

        @property
        def version(self) -> str:
            return "999.0"

    for upgraded in ("weasyprint", "tinycss2", "imrgen"):  # direct, indirect, itself
        monkeypatch.setattr(
            metadata,
            "distribution",
            lambda name, up=upgraded: Upgraded(real(name)) if name == up else real(name),
        )
        again = run(cases, ["txt"], out, jobs=1)
        assert (again.done, again.skipped) == (2, 0), upgraded
        assert run(cases, ["txt"], out, jobs=1).skipped == 2
    monkeypatch.setattr(metadata, "distribution", real)


def test_a_crashed_worker_is_charged_only_to_its_own_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One input kills its worker every time; the inputs in flight with it are innocent: they
    are run again and done, and only the killer is reported."""
    import batch_faults

    import imrgen.batch

    folder = tmp_path / "in"
    folder.mkdir()
    sources = [CASES / "full" / f"full-{n:02}.yaml" for n in range(5)]
    crasher = folder / f"a-{batch_faults.CRASH_MARK}.yaml"
    crasher.write_bytes(sources[0].read_bytes())
    for source in sources:
        (folder / source.name).write_bytes(source.read_bytes())
    monkeypatch.setattr(imrgen.batch, "run_job", batch_faults.crash_on_marked)
    out = tmp_path / "out"
    summary = run([folder], ["txt"], out, jobs=2)
    assert [e.error for e in summary.errors] == [f"{crasher}: the worker process died"]
    assert (summary.done, summary.failed) == (len(sources), 1), [e.error for e in summary.errors]
    records = manifest(out)
    assert records[str(crasher.resolve())]["status"] == "error"
    for source in sources:
        assert records[str((folder / source.name).resolve())]["status"] == "ok"
        assert (out / f"{source.stem}.txt").read_bytes() == imrgen.render(load_case(source), "txt")


FAULT_FORMATS = ["txt", "md", "html"]  # quick ones: the faults are the point here


def _fault_inputs(tmp_path: Path, count: int = 8) -> tuple[Path, dict[str, bytes]]:
    """A folder of case files, and what each output of theirs must hold, by output name."""
    folder = tmp_path / "in"
    folder.mkdir()
    right: dict[str, bytes] = {}
    for n in range(count):
        source = CASES / "full" / f"full-{n:02}.yaml"
        (folder / source.name).write_bytes(source.read_bytes())
        for fmt in FAULT_FORMATS:
            right[f"{source.stem}.{fmt}"] = imrgen.render(load_case(source), fmt)
    return folder, right


def _consistent(out: Path, right: dict[str, bytes]) -> dict[str, dict[str, object]]:
    """Every manifest line whole but perhaps the last, every recorded output on disk as
    recorded, and every finished file complete whether or not the manifest heard of it."""
    lines = (out / MANIFEST_NAME).read_bytes().split(b"\n")
    for line in lines[:-2]:
        json.loads(line)
    records = manifest_tolerant(out)
    for record in records.values():
        for entry in record["outputs"].values():  # type: ignore[attr-defined]
            assert sha(out / entry["path"]) == entry["sha256"]
    for output in visible(out):
        assert output.read_bytes() == right[output.name], output
    return records


def manifest_tolerant(out: Path) -> dict[str, dict[str, object]]:
    """The manifest as a resuming run reads it: a line cut short by the fault is left out."""
    records: dict[str, dict[str, object]] = {}
    for line in (out / MANIFEST_NAME).read_bytes().splitlines():
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            records[record["input"]] = record
    return records


@pytest.mark.parametrize(
    ("kind", "spare", "reason"),
    [
        ("enospc", "", "No space left on device"),
        ("enospc", MANIFEST_NAME, "No space left on device"),  # a line fits, a letter does not
        ("readonly", "", "Read-only file system"),
    ],
    ids=["disk-full", "disk-full-but-a-line-fits", "read-only"],
)
def test_a_full_or_read_only_folder_stops_the_batch_and_a_later_run_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, spare: str, reason: str
) -> None:
    import batch_faults

    folder, right = _fault_inputs(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    # halfway: two inputs done, the third has one of its three files when the folder fails
    fault = batch_faults.Fault(str(out.resolve()), kind, after=7, spare=spare)
    for name, replacement in batch_faults.patches(fault).items():
        monkeypatch.setattr(os, name, replacement)
    seen: list[imrgen.batch.InputResult] = []
    with pytest.raises(BatchStopped) as stopped:
        for result in iter_results([folder], FAULT_FORMATS, out, jobs=1):
            seen.append(result)
    monkeypatch.undo()

    third = folder / "full-02.yaml"
    assert [(r.status, r.fault, r.error) for r in seen] == [
        ("ok", False, None),
        ("ok", False, None),
        ("error", True, f"{third}: cannot write to {out.resolve()} ({reason})"),
    ]
    message = str(stopped.value)
    if spare:
        assert message.startswith(f"{out.resolve()}: the batch stopped, the folder cannot be")
    else:
        assert message.startswith(
            f"{out.resolve() / MANIFEST_NAME}: cannot record {third} ({reason})"
        )
    assert "run the batch again to finish the rest" in message
    records = _consistent(out, right)
    done = {k for k, r in records.items() if r["status"] == "ok"}
    assert done == {str((folder / f"full-0{n}.yaml").resolve()) for n in (0, 1)}
    parts = list(out.rglob(".*.part"))
    assert parts == [] if kind == "enospc" else len(parts) <= 1  # read-only: cannot clean up
    if kind == "enospc":  # a full disk may also cut the manifest's last line short
        with (out / MANIFEST_NAME).open("ab") as cut:
            cut.write(b'{"input": "' + str(third.resolve()).encode() + b'", "sha2')

    summary = run([folder], FAULT_FORMATS, out, jobs=1)
    assert (summary.done, summary.skipped, summary.failed) == (6, 2, 0)
    assert not list(out.rglob(".*.part"))
    assert len(visible(out)) == len(right)
    assert {r["status"] for r in _consistent(out, right).values()} == {"ok", "skipped"}


def test_the_command_on_a_disk_that_fills_up(tmp_path: Path) -> None:
    """The same through `imrgen batch` with two worker processes: one line per failure, no
    traceback, a non-zero exit; run again, it finishes."""
    import batch_faults

    folder, right = _fault_inputs(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    fault = batch_faults.Fault(str(out.resolve()), "enospc", after=7)
    env = {
        **os.environ,
        **fault.to_env(),
        **batch_faults.sitecustomize(tmp_path / "site", Path(__file__).parent),
    }
    command = [*IMRGEN, "batch", str(folder), "-f", ",".join(FAULT_FORMATS), "-o", str(out)]
    full = subprocess.run([*command, "-j", "2"], capture_output=True, text=True, env=env)
    assert full.returncode == 2, full.stderr
    assert "Traceback" not in full.stderr
    # which fails first, a worker's letter or the manifest's line, is up to the timing
    assert re.search(
        rf"(cannot write to {re.escape(str(out.resolve()))}|cannot record .*)"
        r" \(No space left on device\)",
        full.stderr,
    ), full.stderr
    assert "run the batch again to finish the rest" in full.stderr
    lines = full.stderr.splitlines()
    assert all(line.startswith("error: ") for line in lines), lines
    records = _consistent(out, right)
    assert not list(out.rglob(".*.part"))

    again = subprocess.run([*command, "-j", "2", "-q"], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert len(visible(out)) == len(right)
    after = _consistent(out, right)
    assert all(after[k]["status"] == "skipped" for k, r in records.items() if r["status"] == "ok")

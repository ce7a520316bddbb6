"""The two PDF engines side by side: ms a letter in one process (cases loaded beforehand, nothing
read or written), `imrgen batch -f pdf --engine typst|weasyprint` letters/s (start-up included,
and steady) and the memory of each worker over the run, for each batch size asked for, the naive
WeasyPrint loop, and the preview's page images per letter. The corpus letters are repeated (each
copy its own case number) to the sizes asked for. `--baseline DIR` runs the same batches with
another checkout of imrgen too (an earlier commit: `git worktree add DIR COMMIT`), in the same
run, so that before and after meet the same load. Prints figures; asserts nothing.

    python bench/bench_engines.py                                  # short: a few seconds each
    python bench/bench_engines.py --letters 1000,10000 --naive 30  # the issue's figures
    python bench/bench_engines.py --letters 1000 --baseline ../imrgen-before
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import (
    CORPUS,
    MB,
    Figure,
    naive_pdf,
    show,
    timed_batch,
    timed_loop,
)

import imrgen
from imrgen.case.loading import dump_case
from imrgen.case.model import Case
from imrgen.preview import png_pages
from imrgen.writers import RenderOptions
from imrgen.writers.pdf_writer import engine_for

ENGINES = ("typst", "weasyprint")
# Case fields newer than the code a baseline may run: its copy of the cases leaves them out
# (those letters then break their pages as that code does), or it would refuse the files.
NEWER_FIELDS = ("page_breaks_before",)


def in_process(cases: list[Case], engine: str, rounds: int) -> float:
    """ms a letter, the best of `rounds` passes over the cases, after one warming letter."""
    options = RenderOptions(engine=engine)
    imrgen.render(cases[0], "pdf", options)
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for case in cases:
            imrgen.render(case, "pdf", options)
        best = min(best, (time.perf_counter() - started) / len(cases))
    return best * 1000


def page_images(cases: list[Case], engine: str) -> float:
    """ms a letter for the preview's page images: the PDF (as the preview renders it, without
    the case attached) and its PNG pages."""
    options = RenderOptions(engine=engine, embed_data=False)
    png_pages(imrgen.render(cases[0], "pdf", options))
    started = time.perf_counter()
    for case in cases:
        png_pages(imrgen.render(case, "pdf", options))
    return (time.perf_counter() - started) / len(cases) * 1000


def memory(figure: Figure) -> None:
    """Each worker's RSS over the batch: the median after 10-20% of its samples (warm) against
    the median of its last 10%, when it was sampled long enough to tell."""
    for pid, series in figure.series.items():
        if len(series) < 10:
            continue
        rss = [r / MB for _, r in series]
        tenth = max(1, len(rss) // 10)
        early, late = statistics.median(rss[tenth : 2 * tenth]), statistics.median(rss[-tenth:])
        print(f"    worker {pid}: {len(rss)} samples, after 10-20% {early:.1f} MB, last 10%"
              f" {late:.1f} MB, max {max(rss):.1f} MB, growth {late - early:+.1f} MB",
              flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--letters", default="130", help="letters per batch run; several sizes: 1000,10000"
    )
    parser.add_argument("--naive", type=int, default=20, help="letters through the naive loop")
    parser.add_argument("--rounds", type=int, default=1, help="in-process passes (best taken)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--baseline", type=Path, help="another checkout of imrgen, run beside this one"
    )
    parser.add_argument(
        "--baseline-engines", default="typst", help="the engines the baseline runs (typst)"
    )
    parser.add_argument(
        "--engines", default=",".join(ENGINES), help="the engines the batches run (both)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each batch, taken in turn (medians)"
    )
    args = parser.parse_args()
    sizes = [int(n) for n in args.letters.split(",") if n.strip()]
    load = os.getloadavg()[0]
    print(f"imrgen {imrgen.__version__}, {os.cpu_count()} cores, --jobs {args.jobs}, corpus"
          f" {len(CORPUS)} PDFs, load average before: {load:.1f}", flush=True)  # fmt: skip
    cases = [imrgen.parse(p) for p in CORPUS]
    for engine in ENGINES:
        ms = in_process(cases, engine, args.rounds)
        print(f"in one process, --engine {engine:<10}: {ms:6.1f} ms a letter"
              f" ({1000 / ms:5.1f} letters/s; {args.jobs} cores at best"
              f" {args.jobs * 1000 / ms:5.1f}/s)", flush=True)  # fmt: skip
    for engine in ENGINES:
        ms = page_images(cases[:10], engine)
        print(f"preview page images, --engine {engine:<10}: {ms:6.1f} ms a letter", flush=True)
    work = Path(tempfile.mkdtemp(prefix="imrgen-engines-"))
    try:
        folder = work / "cases"
        older = work / "cases-baseline"
        folder.mkdir()
        older.mkdir()
        for n in range(max(sizes)):
            case = cases[n % len(cases)]
            if n >= len(cases):  # each copy its own case number, as a real corpus has
                header = case.header.model_copy(update={"case_number": f"CM99-{n:07}"})
                case = case.model_copy(update={"header": header})
            (folder / f"letter-{n:05}.yaml").write_text(dump_case(case), encoding="utf-8")
            plain = case.model_copy(update={field: [] for field in NEWER_FIELDS})
            (older / f"letter-{n:05}.yaml").write_text(dump_case(plain), encoding="utf-8")
        loop: list[object] = list(cases[: args.naive])
        naive = timed_loop("naive WeasyPrint loop", loop, naive_pdf)  # type: ignore[arg-type]
        show(naive)
        engines = [e for e in args.engines.split(",") if e]
        default = engine_for(cases[0], RenderOptions())
        runs: list[tuple[str, Path | None]] = [(engine, None) for engine in engines]
        if args.baseline is not None:
            for engine in args.baseline_engines.split(","):
                if engine in engines:
                    runs.insert(runs.index((engine, None)) + 1, (engine, args.baseline))
        for size in sizes:
            batch = work / f"batch-{size}"
            old_batch = work / f"batch-{size}-baseline"
            for source, target in ((folder, batch), (older, old_batch)):
                target.mkdir()
                for path in sorted(source.iterdir())[:size]:
                    os.link(path, target / path.name)
            figures: dict[str, list[Figure]] = {}
            for _ in range(args.repeat):
                for engine, code in runs:
                    # The default engine as users run it (no option): for Typst, the default
                    # of the shipped families, the whole of its per-letter path is measured.
                    extra = () if engine == default else ("--engine", engine)
                    name = f"batch -f pdf {' '.join(extra) or f'(default: {engine})'}"
                    if code is not None:
                        name += f" (baseline {code.name})"
                    cases_in = batch if code is None else old_batch
                    figure = timed_batch(name, cases_in, "pdf", work / "out", args.jobs,
                                         extra=extra, code=code,
                                         interval=0.1 if size <= 2000 else 1.0)  # fmt: skip
                    show(figure, naive)
                    memory(figure)
                    figures.setdefault(name, []).append(figure)
            if args.repeat > 1:
                print(f"  medians of {args.repeat} runs of {size} letters:", flush=True)
                for name, each in figures.items():
                    rate = statistics.median(f.rate for f in each)
                    steady = statistics.median(f.steady for f in each)
                    cpu = statistics.median(f.cpu / f.letters * 1000 for f in each)
                    print(f"    {name:<44} {rate:6.1f}/s (steady {steady:6.1f}/s),"
                          f" CPU {cpu:5.1f} ms a letter", flush=True)  # fmt: skip
            shutil.rmtree(batch)
            shutil.rmtree(old_batch)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()

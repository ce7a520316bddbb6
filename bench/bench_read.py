"""What reading a letter back costs, per reader: the example letters rendered once in every
format that has a reader, then parsed. A PDF or DOCX imrgen wrote is timed twice, carrying its
case and not: the PDF reader reads the text in both cases (it checks the carried case against
it), so the two figures are close; the attachment alone is timed beside them for comparison.

    python bench/bench_read.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import imrgen
from imrgen.case.embedding import case_from_json
from imrgen.case.loading import load_case
from imrgen.readers import readers
from imrgen.readers.pdf import embedded_case

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("CM*.yaml"))


def best_ms(work: Callable[[], object], rounds: int) -> float:
    """The best of `rounds` runs, in milliseconds (the least disturbed by other processes)."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def _attachment_alone(data: bytes) -> imrgen.Case:
    """What the PDF reader did before it checked the carried case against the text."""
    return case_from_json(embedded_case(data, "letter.pdf") or b"", "letter.pdf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    cases = [load_case(path) for path in EXAMPLES]
    readable = sorted(r.name for r in readers())
    print(f"{len(cases)} example letters, best of {args.rounds}, median over the letters (ms)")
    for fmt in readable:
        suffix = imrgen.get_writer(fmt).suffix
        variants = [("text", imrgen.RenderOptions(embed_data=False))]
        if fmt in ("pdf", "docx"):
            variants.append(("carrying its case", imrgen.RenderOptions()))
        for label, options in variants:
            letters = [imrgen.render(case, fmt, options) for case in cases]
            name = f"letter{suffix}"
            figures = [
                best_ms(partial(imrgen.parse, name, data=data), args.rounds) for data in letters
            ]
            print(f"  {fmt:5} {label:18} {statistics.median(figures):7.1f}")
            if fmt == "pdf" and label == "carrying its case":
                attachment = [
                    best_ms(partial(_attachment_alone, data), args.rounds) for data in letters
                ]
                print(f"  {fmt:5} {'attachment alone':18} {statistics.median(attachment):7.1f}")


if __name__ == "__main__":
    main()

"""What signing adds to a letter: milliseconds per PDF letter for PAdES B-B with an RSA 2048 key
(the issue's budget: at most 10 ms), beside the unsigned render of the same letters in one
process, as a batch worker does it (key loaded once, WeasyPrint warm); and B-T against a
timestamp service on 127.0.0.1; then `imrgen batch` of the same letters to PDF/A with and
without --sign (2 workers, each loading the key once). Prints figures; asserts nothing.

    python bench/bench_signing.py               # 20 letters (a few seconds)
    python bench/bench_signing.py --letters 200
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from pki import PASSWORD, throwaway_pki  # noqa: E402

import imrgen  # noqa: E402
from imrgen.batch import run  # noqa: E402
from imrgen.case.loading import dump_case  # noqa: E402
from imrgen.signing import SignOptions, SignRequest, load_key, sign, verify  # noqa: E402
from imrgen.writers import PdfOptions, RenderOptions  # noqa: E402


def per_letter(seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"median {statistics.median(ms):6.1f} ms, best {min(ms):6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=20)
    args = parser.parse_args()
    cases = [imrgen.load_case(p) for p in sorted((ROOT / "examples").glob("*.yaml"))]
    cases = (cases * (args.letters // len(cases) + 1))[: args.letters]
    options = RenderOptions(pdf=PdfOptions(variant="pdf/a-3b"))
    imrgen.render(cases[0], "pdf", options)  # warm WeasyPrint as a batch worker does
    with throwaway_pki() as pki, tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        key = load_key(pki.signer.p12(Path(folder)), PASSWORD)
        loaded = time.perf_counter() - started
        sign(imrgen.render(cases[0], "pdf", options), key)  # warm pyHanko
        render_times, sign_times, stamp_times, sign_cpu = [], [], [], []
        stamped = SignOptions(timestamp_url=f"{pki.services.url}/tsa")
        for case in cases:
            t0 = time.perf_counter()
            data = imrgen.render(case, "pdf", options)
            t1, c1 = time.perf_counter(), time.process_time()
            signed = sign(data, key)
            t2 = time.perf_counter()
            sign_cpu.append(time.process_time() - c1)
            sign(data, key, stamped)
            t3 = time.perf_counter()
            render_times.append(t1 - t0)
            sign_times.append(t2 - t1)
            stamp_times.append(t3 - t2)
            assert verify(signed, [key.chain[-1]]).unchanged
        inputs = Path(folder) / "cases"
        inputs.mkdir()
        for number, case in enumerate(cases):
            (inputs / f"case-{number:04d}.yaml").write_text(dump_case(case, "yaml"))
        request = SignRequest(str(pki.signer.p12(Path(folder))), PASSWORD)
        batches = {}
        for name, signing in (("unsigned", None), ("signed B-B", request)):
            summary = run([str(inputs)], ["pdf"], Path(folder) / name, jobs=2, options=options,
                          sign=signing)  # fmt: skip
            assert summary.failed == 0, summary.errors
            batches[name] = summary
    print(f"{len(cases)} archival PDF letters (PDF/A-3b + PDF/UA-1), one process, RSA 2048")
    print(f"  key loaded once:           {loaded * 1000:6.1f} ms")
    print(f"  unsigned render:           {per_letter(render_times)}")
    print(f"  + sign, PAdES B-B:         {per_letter(sign_times)}")
    print(f"  + sign, PAdES B-T (local): {per_letter(stamp_times)}")
    # CPU time is what an idle machine's wall time would be; under load the wall time waits.
    print(f"  B-B, CPU time of this process: {per_letter(sign_cpu)}")
    share = statistics.median(sign_times) / statistics.median(render_times)
    print(f"  B-B adds {share:.0%} to a letter's render")
    for name, summary in batches.items():
        per = summary.seconds / summary.total * 1000
        print(
            f"  batch, 2 workers, {name:10}: {summary.letters_per_second:5.1f} letters/s"
            f" ({per:5.1f} ms a letter, wall)"
        )


if __name__ == "__main__":
    main()

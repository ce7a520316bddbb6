"""What signing adds to a letter: milliseconds per PDF letter for PAdES B-B with an RSA 2048 key
(the issue's budget: at most 10 ms), beside the unsigned render of the same letters in one
process, as a batch worker does it (key loaded once, the engine warm), for each layout engine;
B-T against a timestamp service on 127.0.0.1 (default engine); then `imrgen batch` of the same
letters to PDF/A with and without --sign (2 workers, each loading the key once). With
--sections, where a B-B signature's time goes (pyHanko's steps, timed from outside). Prints
figures; asserts nothing.

    python bench/bench_signing.py               # 20 letters (a few seconds)
    python bench/bench_signing.py --letters 200 --sections
"""

from __future__ import annotations

import argparse
import functools
import inspect
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from pki import PASSWORD, throwaway_pki  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.sign.signers import pdf_cms, pdf_signer  # noqa: E402

import imrgen  # noqa: E402
from imrgen import signing  # noqa: E402
from imrgen.batch import run  # noqa: E402
from imrgen.case.loading import dump_case  # noqa: E402
from imrgen.signing import SignOptions, SignRequest, load_key, sign, verify  # noqa: E402
from imrgen.writers import ENGINES, PdfOptions, RenderOptions  # noqa: E402

DEFAULT_ENGINE = "typst"  # of the families imrgen ships

# (owner, attribute, label): inclusive CPU times; indented labels are parts of the one above.
SECTIONS = [
    (IncrementalPdfFileWriter, "__init__", "read the letter (pyHanko's PDF reader)"),
    (signing, "_tag_signature_field", "signature field, widget, structure element"),
    (pdf_signer.PdfSigner, "sign_pdf", "pyHanko sign_pdf (asyncio.run and below)"),
    (pdf_signer.PdfSigner, "init_signing_session", "  signing session (field, extensions)"),
    (pdf_signer.PdfSigningSession, "prepare_tbs_document", "  signature dictionary"),
    (pdf_signer.PdfTBSDocument, "digest_tbs_document", "  write the update, digest ByteRange"),
    (pdf_signer.PdfTBSDocument, "perform_signature", "  CMS object, written into /Contents"),
    (pdf_cms.Signer, "signed_attrs", "    signed attributes"),
    (signing._KeptKeySigner, "sign_raw", "    RSA signature"),
    (pdf_cms.Signer, "_package_signature", "    SignerInfo, SignedData"),
]


def per_letter(seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"median {statistics.median(ms):6.1f} ms, best {min(ms):6.1f} ms"


@contextmanager
def sections() -> Iterator[dict[str, float]]:
    """CPU seconds spent in each of SECTIONS while the block runs (the wrappers cost about a
    microsecond each)."""
    spent: dict[str, float] = defaultdict(float)
    saved = []
    for owner, name, label in SECTIONS:
        original = getattr(owner, name)
        saved.append((owner, name, original))
        setattr(owner, name, _timed(original, label, spent))
    try:
        yield spent
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def _timed(function: Callable[..., Any], label: str, spent: dict[str, float]) -> Any:
    if inspect.iscoroutinefunction(function):

        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return await function(*args, **kwargs)
            finally:
                spent[label] += time.process_time() - started

        return functools.wraps(function)(timed_async)

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.process_time() - started

    return functools.wraps(function)(timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=20)
    parser.add_argument("--sections", action="store_true", help="where a signature's time goes")
    args = parser.parse_args()
    cases = [imrgen.load_case(p) for p in sorted((ROOT / "examples").glob("*.yaml"))]
    cases = (cases * (args.letters // len(cases) + 1))[: args.letters]
    engines = [DEFAULT_ENGINE, *(e for e in ENGINES if e != DEFAULT_ENGINE)]
    figures: dict[str, dict[str, list[float]]] = {}
    parts: dict[str, dict[str, list[float]]] = {}
    with throwaway_pki() as pki, tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        key = load_key(pki.signer.p12(Path(folder)), PASSWORD)
        loaded = time.perf_counter() - started
        stamped = SignOptions(timestamp_url=f"{pki.services.url}/tsa")
        for engine in engines:
            options = RenderOptions(pdf=PdfOptions(variant="pdf/a-3b"), engine=engine)
            sign(imrgen.render(cases[0], "pdf", options), key)  # warm the engine and pyHanko
            times: dict[str, list[float]] = defaultdict(list)
            split: dict[str, list[float]] = defaultdict(list)
            for case in cases:
                t0 = time.perf_counter()
                data = imrgen.render(case, "pdf", options)
                t1, c1 = time.perf_counter(), time.process_time()
                signed = sign(data, key)
                times["sign"].append(time.perf_counter() - t1)
                times["cpu"].append(time.process_time() - c1)
                times["render"].append(t1 - t0)
                if engine == DEFAULT_ENGINE:
                    t2 = time.perf_counter()
                    sign(data, key, stamped)
                    times["stamp"].append(time.perf_counter() - t2)
                assert verify(signed, [key.chain[-1]]).unchanged
                if args.sections:
                    c2 = time.process_time()
                    with sections() as spent:
                        sign(data, key)
                    split["B-B signature, CPU"].append(time.process_time() - c2)
                    for label, seconds in spent.items():
                        split[label].append(seconds)
            figures[engine], parts[engine] = times, split
        inputs = Path(folder) / "cases"
        inputs.mkdir()
        for number, case in enumerate(cases):
            (inputs / f"case-{number:04d}.yaml").write_text(dump_case(case, "yaml"))
        request = SignRequest(str(pki.signer.p12(Path(folder))), PASSWORD)
        batch_options = RenderOptions(pdf=PdfOptions(variant="pdf/a-3b"))
        batches = {}
        for name, signing_request in (("unsigned", None), ("signed B-B", request)):
            summary = run([str(inputs)], ["pdf"], Path(folder) / name, jobs=2,
                          options=batch_options, sign=signing_request)  # fmt: skip
            assert summary.failed == 0, summary.errors
            batches[name] = summary
    print(f"{len(cases)} archival PDF letters (PDF/A-3b + PDF/UA-1), one process, RSA 2048")
    print(f"  key loaded once:           {loaded * 1000:6.1f} ms")
    for engine in engines:
        times = figures[engine]
        default = " (default)" if engine == DEFAULT_ENGINE else ""
        print(f"  {engine}{default}:")
        print(f"    unsigned render:           {per_letter(times['render'])}")
        print(f"    + sign, PAdES B-B:         {per_letter(times['sign'])}")
        # CPU time is what an idle machine's wall time would be; under load the wall time waits.
        print(f"    B-B, CPU time of this process: {per_letter(times['cpu'])}")
        if times["stamp"]:
            print(f"    + sign, PAdES B-T (local): {per_letter(times['stamp'])}")
        share = statistics.median(times["sign"]) / statistics.median(times["render"])
        print(f"    B-B adds {share:.0%} to a letter's render")
    for name, summary in batches.items():
        per = summary.seconds / summary.total * 1000
        print(
            f"  batch, 2 workers, {DEFAULT_ENGINE}, {name:10}: {summary.letters_per_second:5.1f}"
            f" letters/s ({per:5.1f} ms a letter, wall)"
        )
    if args.sections:
        print("  where a B-B signature's CPU time goes (median ms; inclusive, indented = part of):")
        print(f"    {'':46}" + "".join(f"{e:>12}" for e in engines))
        labels = ["B-B signature, CPU"] + [label for _, _, label in SECTIONS]
        for label in labels:
            row = [statistics.median(parts[e][label] or [0.0]) * 1000 for e in engines]
            print(f"    {label:46}" + "".join(f"{ms:12.2f}" for ms in row))


if __name__ == "__main__":
    main()

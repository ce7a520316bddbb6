"""The standards a PDF letter claims, checked by validators imrgen does not write: `page`
(PDF/A-3 and PDF/UA-1 rules) and `outloud` (PDF/UA-1 Matterhorn checkpoints, WCAG 2.2). Every
PDF variant of every example letter and of a sample of real letters, with each engine: zero
failures. The README's "Standards" table lists the same claims."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import outloud
import page
import pikepdf
import pytest
from conftest import CORPUS, EXAMPLES
from pki import PASSWORD, Pki, throwaway_pki

import imrgen
from imrgen.case.model import Case
from imrgen.signing import SignOptions, load_key, sign
from imrgen.writers import PdfOptions, RenderOptions
from imrgen.writers.pdf_writer import VARIANTS

# Each engine as the RenderOptions fields that select it; another engine adds a line here.
ENGINES: dict[str, dict[str, Any]] = {
    "typst": {"engine": "typst"},
    "weasyprint": {"engine": "weasyprint"},
}
# The claims of each variant, as `page` profiles; outloud checks every variant for PDF/UA-1.
PROFILES = {"pdf/ua-1": ("ua1",), "pdf/a-3b": ("ua1", "3b")}
# `page` applies PDF/A-1's ban on a filtered catalog metadata stream to PDF/A-3 as well. The ban
# is ISO 19005-1, 6.7.2 (as amended by its Technical Corrigendum 2): "The metadata stream
# dictionary, which is the value of the Metadata key in the document catalog dictionary, shall
# not contain the Filter key." ISO 19005-3, 6.6.2.1 (like 19005-2) asks of metadata streams only
# that the catalog have one, that they conform to the XMP specification and be well-formed, and
# that the packet header have no bytes or encoding attribute: no Filter ban. So that one rule,
# and nothing more, is skipped.
STRICTER_THAN_THE_STANDARD = {"PDFA3B-METADATA-FILTER-001", "PDFA3A-METADATA-FILTER-001"}

# outloud's warnings are "needs review", not failures (its verdict and exit status fail only on
# errors); each one accepted here says why, and any other warning fails the test.
ACCEPTED_WARNINGS = {
    # "Heading is a paragraph" (semantic, WCAG 2.4.6): an item's heading is the question as the
    # case words it, and two published letters word it in three sentences (CM16-0234202,
    # CM17-0007300). The words are the case's; a person decides whether to shorten them.
    "HDG-011",
}

EXAMPLE_CASES = sorted(p for p in EXAMPLES.glob("*.yaml"))
CORPUS_SAMPLE = CORPUS[::20]  # four published letters, read into cases and rendered again


# ISO 19005-3 (as -2), 6.1.7.1: "The value of the Length key specified in the stream dictionary
# shall match the number of bytes in the file following the LINE FEED (0Ah) character after the
# stream keyword and preceding the EOL marker before the endstream keyword." `page` takes a CR
# that ends the (compressed) data, followed by the LF that is the EOL marker, for a CR LF marker,
# and so counts one byte less than the clause does: about one stream in 256 ends in that byte.
# Its finding is set aside only where every stream of the file, read here byte by byte, meets
# the clause; any stream that does not keeps the rule failing.
STREAM_LENGTH = {"PDFA3B-STREAM-LENGTH-001"}
_STREAM = re.compile(rb"/Length (\d+)\b[^\n]*?>>\s*stream(\r\n|\n)")


def stream_lengths_meet_the_clause(data: bytes) -> bool:
    """Every direct /Length stream of the file is followed, after Length bytes, by an EOL
    marker and `endstream` (object streams hide nothing here: they are streams themselves)."""
    found = False
    for match in _STREAM.finditer(data):
        found = True
        end = match.end() + int(match.group(1))
        if not re.match(rb"(\r\n|\n|\r)endstream", data[end : end + 12]):
            return False
    return found


def page_failures(data: bytes, profile: str) -> list[str]:
    report = page.validate_pdf_bytes(data, profile=profile)
    clause_met = stream_lengths_meet_the_clause(data)
    return [
        f"{f.rule_id}: {f.message}"
        for f in report.failures
        if f.rule_id not in STRICTER_THAN_THE_STANDARD
        and not (f.rule_id in STREAM_LENGTH and clause_met)
    ]


def test_the_stream_length_check_is_exact() -> None:
    # The byte-by-byte reading that may set `page`'s stream-length finding aside finds a wrong
    # /Length, so it sets aside only what the clause allows.
    good = b"1 0 obj\n<</Length 4>>\nstream\nab\r\r\nendstream\nendobj\n"
    assert stream_lengths_meet_the_clause(good)
    assert not stream_lengths_meet_the_clause(good.replace(b"/Length 4", b"/Length 2"))
    assert not stream_lengths_meet_the_clause(good.replace(b"/Length 4", b"/Length 5"))


def outloud_failures(data: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "letter.pdf"
    path.write_bytes(data)
    result = outloud.check(str(path))
    if result.error:
        return [f"unreadable: {result.error}"]
    return [
        f"{f.rule}: {f.message}"
        for f in result.findings
        if f.severity == "error" or (f.severity == "warning" and f.rule not in ACCEPTED_WARNINGS)
    ]


def check(data: bytes, variant: str, tmp_path: Path) -> dict[str, list[str]]:
    """Every failure, by the validator and profile that found it."""
    found = {f"page {profile}": page_failures(data, profile) for profile in PROFILES[variant]}
    found["outloud"] = outloud_failures(data, tmp_path)
    return {name: failures for name, failures in found.items() if failures}


def render(case: Case, engine: str, variant: str) -> bytes:
    return imrgen.render(
        case, "pdf", RenderOptions(pdf=PdfOptions(variant=variant), **ENGINES[engine])
    )


# Signed letters keep every claim: B-B (the default) and B-T. B-LT and B-LTA add a later
# revision (the document security store), see the README's "Standards".
SIGNING = ["unsigned", "B-B"]


@pytest.fixture(scope="module")
def pki() -> Iterator[Pki]:
    with throwaway_pki() as made:
        yield made


@pytest.fixture(scope="module")
def signer(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Any:
    key = load_key(pki.signer.p12(tmp_path_factory.mktemp("key")), PASSWORD)

    def signed(data: bytes, level: str) -> bytes:
        if level == "unsigned":
            return data
        url = f"{pki.services.url}/tsa" if level == "B-T" else None
        options = SignOptions(timestamp_url=url)
        assert options.level == level
        return sign(data, key, options)

    return signed


def test_every_variant_has_its_claims() -> None:
    assert set(PROFILES) == set(VARIANTS)


@pytest.mark.parametrize("signing", SIGNING)
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("path", EXAMPLE_CASES, ids=lambda p: p.stem)
def test_example_letters_pass_both_validators(
    path: Path, variant: str, engine: str, signing: str, signer: Any, tmp_path: Path
) -> None:
    data = signer(render(imrgen.load_case(path), engine, variant), signing)
    assert check(data, variant, tmp_path) == {}


@pytest.mark.parametrize("signing", [*SIGNING, "B-T"])
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("path", CORPUS_SAMPLE, ids=lambda p: p.stem)
def test_real_letters_pass_both_validators(
    path: Path,
    variant: str,
    engine: str,
    signing: str,
    signer: Any,
    tmp_path: Path,
    parsed_letters: dict[Path, Case],
) -> None:
    data = signer(render(parsed_letters[path], engine, variant), signing)
    assert check(data, variant, tmp_path) == {}


@pytest.mark.parametrize("engine", ENGINES)
def test_the_archival_letter_meets_level_a_in_substance(engine: str) -> None:
    """Why PDF/A-3b + PDF/UA-1 and not PDF/A-3a: level A adds to level B Unicode mapping and
    Tagged PDF, which PDF/UA-1 asks for too (and checks far more closely). Against `page`'s 3a
    profile the archival letter fails only the conformance letter it declares."""
    data = render(imrgen.load_case(EXAMPLE_CASES[0]), engine, "pdf/a-3b")
    assert [f.split(":")[0] for f in page_failures(data, "3a")] == ["PDFA3A-ID-CONFORMANCE-001"]


def test_the_validators_catch_a_missing_identification(tmp_path: Path) -> None:
    """The check itself can fail: a PDF/A-3b letter without its PDF/UA identification (as
    imrgen wrote it before) fails both validators."""
    data = render(imrgen.load_case(EXAMPLE_CASES[0]), "weasyprint", "pdf/a-3b")
    pdf = pikepdf.open(io.BytesIO(data))
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        del meta["pdfuaid:part"]
    out = io.BytesIO()
    pdf.save(out)
    found = check(out.getvalue(), "pdf/a-3b", tmp_path)
    assert "PDFUA1-ID-SCHEMA-001" in " ".join(found["page ua1"])
    assert any(f.startswith("DOC-012") for f in found["outloud"])

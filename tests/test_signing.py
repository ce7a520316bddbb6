"""Signed letters (issue 14): PAdES B-B, B-T, B-LT and B-LTA with pyHanko, against a throwaway
PKI and an RFC 3161 timestamp service on 127.0.0.1 that the tests start; the letter stays what
it was (an incremental update over the whole file, still tagged, still read back to the same
case); verify names each kind of tampering; the CLI never takes or prints the password."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import pickle
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import EXAMPLES
from pki import NOW, PASSWORD, Pki, throwaway_pki
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

import imrgen
from imrgen import signing
from imrgen.batch import MANIFEST_NAME, iter_results
from imrgen.case.embedding import ATTACHMENT_NAME
from imrgen.case.model import Case, Decision
from imrgen.cli import main
from imrgen.errors import ImrgenError
from imrgen.public.redaction import default_policy, redact
from imrgen.signing import (
    SigningError,
    SignOptions,
    SignRequest,
    Verdict,
    load_certificates,
    load_key,
    sign,
    verify,
)
from imrgen.writers import PdfOptions, RenderOptions

EXAMPLE = EXAMPLES / "CM16-0213037.yaml"
PASSWORD_ENV = {"IMRGEN_KEY_PASSWORD": PASSWORD.decode()}
OTHER = EXAMPLES / "CM17-0007300.yaml"


@pytest.fixture(scope="module")
def pki() -> Iterator[Pki]:
    with throwaway_pki() as made:
        yield made


@pytest.fixture(scope="module")
def keys(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    files = {
        name: getattr(pki, name).p12(folder)
        for name in ("signer", "revoked", "expired", "stranger", "tsa")
    }
    files["root"] = pki.root.pem(folder)
    return files


@pytest.fixture(scope="module")
def roots(keys: dict[str, Path]) -> list[Any]:
    return load_certificates(keys["root"])


@pytest.fixture(scope="module")
def case() -> Case:
    return imrgen.load_case(EXAMPLE)


@pytest.fixture(scope="module")
def letters(case: Case) -> dict[str, bytes]:
    """The letters a recipient gets: archival, accessible, and a public version."""
    return {
        "archival": imrgen.render(case, "pdf", RenderOptions(pdf=PdfOptions(variant="pdf/a-3b"))),
        "accessible": imrgen.render(case, "pdf"),
        "public": imrgen.render(redact(case, default_policy()), "pdf"),
    }


@pytest.fixture(scope="module")
def signed(letters: dict[str, bytes], keys: dict[str, Path]) -> dict[str, bytes]:
    key = load_key(keys["signer"], PASSWORD)
    return {name: sign(data, key) for name, data in letters.items()}


def byte_range(data: bytes) -> list[int]:
    pdf = pikepdf.open(io.BytesIO(data))
    field = next(f for f in pdf.Root.AcroForm.Fields if "/V" in f)
    return [int(v) for v in field.V.ByteRange]


# -- the signature and the letter ------------------------------------------------------------


@pytest.mark.parametrize("variant", ["archival", "accessible", "public"])
def test_b_b_is_an_incremental_update_over_the_whole_file(
    variant: str, letters: dict[str, bytes], signed: dict[str, bytes], roots: list[Any]
) -> None:
    original, data = letters[variant], signed[variant]
    assert data[: len(original)] == original  # the letter's bytes, untouched
    start, _, after, rest = byte_range(data)
    assert (start, after + rest) == (0, len(data))  # everything but the signature value
    verdict = verify(data, roots)
    assert verdict.holds, verdict.summary()
    assert (verdict.level, verdict.intact, verdict.trusted) == ("B-B", True, True)
    assert verdict.signer is not None and "Test IMR Signer" in verdict.signer
    assert verdict.signing_time is not None and verdict.timestamp is None


@pytest.mark.parametrize("variant", ["archival", "accessible", "public"])
def test_signed_letters_read_back_to_the_same_case(
    variant: str, letters: dict[str, bytes], signed: dict[str, bytes]
) -> None:
    assert imrgen.parse("letter.pdf", data=signed[variant]) == imrgen.parse(
        "letter.pdf", data=letters[variant]
    )


def test_a_signed_letter_stays_tagged_and_keeps_its_identification(
    letters: dict[str, bytes], signed: dict[str, bytes]
) -> None:
    before, after = (pikepdf.open(io.BytesIO(d)) for d in (letters["archival"], signed["archival"]))
    with before.open_metadata() as old, after.open_metadata() as new:
        assert dict(new) == dict(old)  # PDF/A-3b and PDF/UA-1, the dates, the title: as they were
    assert bool(after.Root.MarkInfo.Marked)
    assert list(after.attachments) == [ATTACHMENT_NAME]
    assert after.attachments[ATTACHMENT_NAME].obj.AFRelationship == pikepdf.Name.Data
    # The signature's widget is a Form element of the structure, named for a screen reader.
    widget = next(a for a in after.pages[0].Annots if a.get("/FT") == "/Sig")
    form = after.Root.StructTreeRoot.ParentTree.Nums[-1]
    assert form.S == "/Form" and form.K.Obj.objgen == widget.objgen
    assert str(widget.TU).startswith("Digital signature")


def test_b_t_carries_a_timestamp_from_the_service(
    letters: dict[str, bytes], keys: dict[str, Path], roots: list[Any], pki: Pki
) -> None:
    asked = pki.services.timestamp_requests
    options = SignOptions(timestamp_url=f"{pki.services.url}/tsa")
    data = sign(letters["archival"], load_key(keys["signer"], PASSWORD), options)
    verdict = verify(data, roots)
    assert verdict.holds, verdict.summary()
    assert verdict.level == "B-T" and verdict.timestamp is not None
    assert abs(verdict.timestamp - NOW) < timedelta(hours=1)
    assert pki.services.timestamp_requests == asked + 1


@pytest.mark.parametrize("given", [True, False], ids=["crl-given", "crl-fetched"])
def test_b_lt_embeds_the_revocation_information(
    given: bool, letters: dict[str, bytes], keys: dict[str, Path], roots: list[Any], pki: Pki
) -> None:
    fetched = pki.services.crl_requests
    options = SignOptions(
        timestamp_url=f"{pki.services.url}/tsa",
        crls=(pki.crl,) if given else (),
        fetch_revocation=not given,
        trust=tuple(roots),
    )
    data = sign(letters["archival"], load_key(keys["signer"], PASSWORD), options)
    pdf = pikepdf.open(io.BytesIO(data))
    assert [c.read_bytes() for c in pdf.Root.DSS.CRLs] == [pki.crl]
    assert (pki.services.crl_requests > fetched) is not given
    verdict = verify(data, roots)
    assert verdict.holds and verdict.level == "B-LT", verdict.summary()


def test_b_lta_adds_a_document_timestamp(
    letters: dict[str, bytes], keys: dict[str, Path], roots: list[Any], pki: Pki
) -> None:
    options = SignOptions(
        timestamp_url=f"{pki.services.url}/tsa",
        crls=(pki.crl,),
        archive_timestamp=True,
        trust=tuple(roots),
    )
    data = sign(letters["archival"], load_key(keys["signer"], PASSWORD), options)
    verdict = verify(data, roots)
    assert verdict.holds and verdict.level == "B-LTA", verdict.summary()


def test_levels_need_what_they_build_on() -> None:
    with pytest.raises(SigningError, match="B-LT builds on a signature timestamp"):
        SignOptions(fetch_revocation=True).check()
    with pytest.raises(SigningError, match="B-LTA timestamps the validation data"):
        SignOptions(timestamp_url="http://127.0.0.1:1/", archive_timestamp=True).check()


# -- keys ------------------------------------------------------------------------------------


def test_a_wrong_password_names_the_file_and_never_the_password(keys: dict[str, Path]) -> None:
    with pytest.raises(SigningError) as caught:
        load_key(keys["signer"], b"hunter2")
    message = str(caught.value)
    assert str(keys["signer"]) in message and "password does not open it" in message
    assert "hunter2" not in message


def test_an_expired_or_unfit_certificate_is_refused(keys: dict[str, Path]) -> None:
    with pytest.raises(SigningError, match="expired on"):
        load_key(keys["expired"], PASSWORD)
    with pytest.raises(SigningError, match="lacks the non-repudiation key usage"):
        load_key(keys["tsa"], PASSWORD)


def test_the_kept_signed_attributes_are_the_ones_pyhanko_makes(keys: dict[str, Path]) -> None:
    """A key keeps the signed attribute that depends on its certificate alone, built once; the
    CMS object is still byte for byte the one pyHanko's own signer makes for the same digest
    (RSA PKCS#1 v1.5 is deterministic), for the first letter and for the next."""
    kept = load_key(keys["signer"], PASSWORD).signer
    plain = signers.SimpleSigner(
        signing_cert=kept.signing_cert,
        signing_key=kept.signing_key,
        cert_registry=kept.cert_registry,
    )

    def cms(signer: signers.Signer, letter: bytes) -> Any:
        made = signer.async_sign(
            hashlib.sha256(letter).digest(),
            "sha256",
            use_pades=True,
            signed_attr_settings=PdfCMSSignedAttributes(signing_time=NOW),
        )
        return asyncio.run(made)

    for letter in (b"a letter", b"the next letter"):
        ours, theirs = cms(kept, letter), cms(plain, letter)
        assert ours.dump() == theirs.dump()
    attributes = ours["content"]["signer_infos"][0]["signed_attrs"]
    assert [a["type"].native for a in attributes] == [
        "content_type",
        "message_digest",
        "signing_certificate_v2",
    ]


# -- tampering: each detected and named ------------------------------------------------------


def _incremental(data: bytes, change: Any) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _stream(writer: IncrementalPdfFileWriter, like: Any, data: bytes) -> Any:
    entries = {k: v for k, v in like.items() if k not in ("/Length", "/Filter", "/DecodeParms")}
    return writer.add_object(generic.StreamObject(entries, stream_data=data))


def one_byte_changed(data: bytes, **_: Any) -> bytes:
    """A byte inside the signed range (a character of the text content) changed in place."""
    hole = byte_range(data)[1]
    at = hole // 2
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def decision_changed(data: bytes, overturned: bytes, **_: Any) -> bytes:
    """An incremental update that gives page 1 the content of the same letter overturned."""
    source = pikepdf.open(io.BytesIO(overturned))
    content = source.pages[0].Contents.read_bytes()

    def change(writer: IncrementalPdfFileWriter) -> None:
        page_ref = writer.root["/Pages"].raw_get("/Kids")[0]
        page = page_ref.get_object()
        page["/Contents"] = _stream(writer, page["/Contents"], content)
        writer.update_container(page)

    return _incremental(data, change)


def attachment_replaced(data: bytes, **_: Any) -> bytes:
    """An incremental update that replaces the embedded case with one whose decision differs."""

    def change(writer: IncrementalPdfFileWriter) -> None:
        names = writer.root["/Names"]["/EmbeddedFiles"]["/Names"]
        spec = names[1]
        old = spec["/EF"]["/F"]
        case = json.loads(old.data)
        for item in case["items"]:
            item["decision"] = "overturned"
        spec["/EF"]["/F"] = _stream(writer, old, json.dumps(case).encode())
        writer.update_container(spec)

    return _incremental(data, change)


def signature_copied(data: bytes, other: bytes, other_signed: bytes, **_: Any) -> bytes:
    """The signature revision of this letter glued onto another letter."""
    return other + data[data.rindex(b"%%EOF", 0, byte_range(data)[1]) + 5 :]


TAMPERING = {
    "one-byte-of-text": (one_byte_changed, "the signed bytes were changed after signing"),
    "decision-by-incremental-update": (decision_changed, "changed after signing"),
    "attachment-replaced": (attachment_replaced, "changed after signing"),
    "signature-copied-onto-another-letter": (signature_copied, "made for another file"),
}


@pytest.fixture(scope="module")
def others(case: Case, keys: dict[str, Path]) -> dict[str, bytes]:
    flipped = case.model_copy(
        update={
            "items": [
                item.model_copy(update={"decision": Decision.OVERTURNED}) for item in case.items
            ]
        }
    )
    other = imrgen.render(
        imrgen.load_case(OTHER), "pdf", RenderOptions(pdf=PdfOptions(variant="pdf/a-3b"))
    )
    return {
        "overturned": imrgen.render(
            flipped, "pdf", RenderOptions(pdf=PdfOptions(variant="pdf/a-3b"))
        ),
        "other": other,
        "other_signed": sign(other, load_key(keys["signer"], PASSWORD)),
    }


@pytest.mark.parametrize("variant", ["archival", "public"])
@pytest.mark.parametrize("tampering", TAMPERING)
def test_verify_names_the_tampering(
    tampering: str,
    variant: str,
    signed: dict[str, bytes],
    others: dict[str, bytes],
    roots: list[Any],
) -> None:
    tamper, named = TAMPERING[tampering]
    verdict = verify(tamper(signed[variant], **others), roots)
    assert verdict.signed and not verdict.holds
    assert any(named in problem for problem in verdict.problems), verdict.problems


def _signed_by(who: str, keys: dict[str, Path], data: bytes) -> bytes:
    # The expired key is loaded as of a day when it was valid: a letter signed back then.
    now = NOW - timedelta(days=10) if who == "expired" else None
    return sign(data, load_key(keys[who], PASSWORD, now=now))


SIGNERS = {
    "untrusted-signer": ("stranger", "the signer is not trusted"),
    "revoked-signer": ("revoked", "the signer's certificate is revoked"),
    "expired-certificate": ("expired", "certificate has expired"),
}


@pytest.mark.parametrize("variant", ["archival", "public"])
@pytest.mark.parametrize("signer", SIGNERS)
def test_verify_names_the_signer_it_does_not_trust(
    signer: str,
    variant: str,
    letters: dict[str, bytes],
    keys: dict[str, Path],
    roots: list[Any],
) -> None:
    who, named = SIGNERS[signer]
    verdict = verify(_signed_by(who, keys, letters[variant]), roots)
    assert verdict.unchanged and not verdict.trusted and not verdict.holds
    assert verdict.trust_problem is not None and named in verdict.trust_problem


def test_an_unsigned_letter_is_said_to_be_unsigned(letters: dict[str, bytes]) -> None:
    assert verify(letters["archival"]) == Verdict(signed=False)


# -- the command line ------------------------------------------------------------------------


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The imrgen command in this process (no terminal: no prompt), as the console runs it."""
    monkeypatch.delenv("IMRGEN_KEY_PASSWORD", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO())

    def imrgen_command(*args: str, env: dict[str, str] | None = None) -> Ran:
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        code = main(list(args))
        for name in env or {}:
            monkeypatch.delenv(name)
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return imrgen_command


def test_sign_and_verify_from_the_command_line(
    run: Any, tmp_path: Path, letters: dict[str, bytes], keys: dict[str, Path]
) -> None:
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(letters["archival"])
    unsigned = tmp_path / "unsigned.pdf"
    unsigned.write_bytes(letters["accessible"])
    secret = tmp_path / "password.txt"
    secret.write_bytes(PASSWORD + b"\n")
    out = tmp_path / "signed"
    done = run(
        "sign",
        str(letter),
        "--key",
        str(keys["signer"]),
        "--password-file",
        str(secret),
        "-o",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert "PAdES B-B" in done.stdout
    signed = out / "letter.pdf"
    ok = run("verify", str(signed), "--trust", str(keys["root"]))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith(f"{signed}: signed by Common Name: Test IMR Signer")
    assert "trusted by the given roots: valid" in ok.stdout
    # No root to trust, and an unsigned letter: exit 1, a line for each.
    mixed = run("verify", str(signed), str(unsigned))
    assert mixed.returncode == 1
    lines = mixed.stdout.splitlines()
    assert "trust was not checked" in lines[0] and lines[1] == f"{unsigned}: not signed"
    # parse says that the letter is signed, and reads it back to the same case
    parsed = run("parse", str(signed), "-o", str(tmp_path / "case.json"))
    assert parsed.returncode == 0, parsed.stderr
    assert "the signature holds: signed by Common Name: Test IMR Signer" in parsed.stdout
    assert imrgen.load_case(tmp_path / "case.json") == imrgen.parse(letter)


def test_the_password_comes_from_the_environment_and_is_never_printed(
    run: Any, tmp_path: Path, keys: dict[str, Path]
) -> None:
    out = tmp_path / "out"
    rendered = run(
        "render",
        str(EXAMPLE),
        "-f",
        "pdf,html",
        "-o",
        str(out),
        "--sign",
        str(keys["signer"]),
        env=PASSWORD_ENV,
    )
    assert rendered.returncode == 0, rendered.stderr
    assert verify((out / "CM16-0213037.pdf").read_bytes()).signed
    wrong = run(
        "render",
        str(EXAMPLE),
        "-f",
        "pdf",
        "-o",
        str(tmp_path / "no"),
        "--sign",
        str(keys["signer"]),
        env={"IMRGEN_KEY_PASSWORD": "hunter2"},
    )
    assert wrong.returncode == 2 and "password does not open it" in wrong.stderr
    assert "hunter2" not in wrong.stderr + wrong.stdout
    assert not (tmp_path / "no").exists()
    # No terminal and no password: the key does not open, and says how to give one.
    none = run(
        "sign",
        str(out / "CM16-0213037.pdf"),
        "--key",
        str(keys["signer"]),
        "-o",
        str(tmp_path / "none"),
    )
    assert none.returncode == 2 and str(keys["signer"]) in none.stderr


def test_public_and_batch_sign_their_pdf_letters(
    run: Any, tmp_path: Path, keys: dict[str, Path]
) -> None:
    env = {"IMRGEN_KEY_PASSWORD": PASSWORD.decode()}
    public = run(
        "public",
        str(EXAMPLE),
        "-f",
        "pdf",
        "-o",
        str(tmp_path / "public"),
        "--sign",
        str(keys["signer"]),
        env=env,
    )
    assert public.returncode == 0, public.stderr
    assert verify((tmp_path / "public" / "CM16-0213037.pdf").read_bytes()).signed
    out = tmp_path / "batch"
    batch = run(
        "batch",
        str(EXAMPLE),
        str(OTHER),
        "-f",
        "pdf,txt",
        "-o",
        str(out),
        "-j",
        "2",
        "--sign",
        str(keys["signer"]),
        env=env,
    )
    assert batch.returncode == 0, batch.stderr
    for stem in ("CM16-0213037", "CM17-0007300"):
        assert verify((out / f"{stem}.pdf").read_bytes()).signed
    manifest = (out / MANIFEST_NAME).read_text()
    assert manifest and PASSWORD.decode() not in manifest and "BEGIN" not in manifest


def test_the_key_is_loaded_once_per_process(
    keys: dict[str, Path], letters: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[Path] = []

    def counting_load(path: Path, password: bytes | None, now: Any = None) -> Any:
        loads.append(path)
        return load_key(path, password, now)

    monkeypatch.setattr(signing, "load_key", counting_load)
    signing.forget_keys()
    request = SignRequest(str(keys["signer"]), PASSWORD)
    again = pickle.loads(pickle.dumps(request))  # as a batch job reaches a worker
    for data in (letters["archival"], letters["public"]):
        assert verify(request.apply(data)).signed
        assert verify(again.apply(data)).signed
    assert loads == [keys["signer"]]
    assert "correct horse" not in repr(request)
    signing.forget_keys()


def test_bad_input_is_one_line_naming_the_file(
    run: Any, tmp_path: Path, keys: dict[str, Path]
) -> None:
    not_pdf = tmp_path / "letter.pdf"
    not_pdf.write_text("not a PDF at all")
    done = run(
        "sign",
        str(not_pdf),
        "--key",
        str(keys["signer"]),
        "-o",
        str(tmp_path / "out"),
        env=PASSWORD_ENV,
    )
    assert done.returncode == 1 and done.stderr.startswith(f"error: {not_pdf}: cannot sign")
    assert "Traceback" not in done.stderr and not (tmp_path / "out" / "letter.pdf").exists()
    checked = run("verify", str(not_pdf))
    assert checked.returncode == 1 and f"error: {not_pdf}: not a readable PDF" in checked.stderr
    no_pdf = run(
        "render",
        str(EXAMPLE),
        "-f",
        "html",
        "-o",
        str(tmp_path / "html"),
        "--sign",
        str(keys["signer"]),
        env=PASSWORD_ENV,
    )
    assert no_pdf.returncode == 2 and "add pdf to --formats" in no_pdf.stderr


def test_a_batch_on_a_cluster_does_not_take_the_key(keys: dict[str, Path], tmp_path: Path) -> None:
    request = SignRequest(str(keys["signer"]), PASSWORD)
    results = iter_results(
        [EXAMPLE], ["pdf"], tmp_path, scheduler="tcp://127.0.0.1:1", sign=request
    )
    with pytest.raises(ImrgenError, match="--sign runs on local workers only"):
        next(results)


def test_another_pades_reader_sees_the_same_signature(
    tmp_path: Path, signed: dict[str, bytes]
) -> None:
    """poppler's pdfsig, which imrgen does not drive: the signature is valid and covers the
    whole document; one changed byte is a digest mismatch there too."""
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(signed["archival"])
    bad.write_bytes(one_byte_changed(signed["archival"]))
    said = subprocess.run(["pdfsig", str(good)], capture_output=True, text=True).stdout
    assert "Signer Certificate Common Name: Test IMR Signer" in said
    assert "Signature Type: ETSI.CAdES.detached" in said
    assert "Total document signed" in said and "Signature is Valid." in said
    said = subprocess.run(["pdfsig", str(bad)], capture_output=True, text=True).stdout
    assert "Signature is Valid." not in said and "Digest Mismatch" in said

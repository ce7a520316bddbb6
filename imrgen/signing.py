"""Signed letters: a PAdES signature of the issuing organization over the whole PDF, added as an
incremental update (pyHanko), and its verification. B-B by default; B-T with an RFC 3161
timestamp; B-LT with the revocation information embedded; B-LTA with a document timestamp
over all of it."""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asn1crypto import algos as asn1_algos
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp as asn1_tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import attributes, fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from .errors import ImrgenError

LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")
FIELD_NAME = "IMRDetermination"
WIDGET_NAME = "Digital signature of the organization that issued this determination"
# The CMS object is written into space reserved before signing; B-LT and B-LTA carry more.
# PDF/A caps a string at 32,767 bytes (ISO 19005-3, 6.1.13), the signature's /Contents too; the
# revocation data of B-LT goes in the document security store, not in the CMS object.
RESERVED_BYTES = {"B-B": 12_288, "B-T": 20_480, "B-LT": 20_480, "B-LTA": 20_480}
TIMESTAMP_SECONDS = 10
DIGEST = "sha256"  # of the document and of the signed attributes; the signer is bound to it


class SigningError(ImrgenError):
    """A key that cannot be used, or a letter that cannot be signed; never holds key material."""


@dataclass(frozen=True)
class SigningKey:
    """An organization's key and certificate chain, loaded once (per process or batch worker)."""

    signer: signers.SimpleSigner = field(repr=False)
    subject: str
    source: str  # the file's name, for messages
    chain: tuple[asn1_x509.Certificate, ...] = field(repr=False)


class _KeptSigningCertificate(attributes.CMSAttributeProvider):
    """The signing-certificate-v2 attribute (RFC 5035: the signer's certificate by its SHA-256
    and issuer/serial), which depends on the certificate alone: built once, and kept as parsed
    from its DER encoding. asn1crypto re-encodes a value built in Python whenever it or
    anything holding it is dumped, each nested level doing it again for every level above
    (this one is nested deep, with a default that it compares against): 1,200 re-encodings a
    signature, 70% of a B-B signature's time (bench/bench_signing.py --sections). A parsed
    value dumps the bytes it was parsed from."""

    attribute_type = "signing_certificate_v2"

    def __init__(self, cert: asn1_x509.Certificate) -> None:
        built = as_signing_certificate_v2(cert)
        self._value = asn1_tsp.SigningCertificateV2.load(built.dump())

    async def build_attr_value(self, dry_run: bool = False) -> asn1_tsp.SigningCertificateV2:
        return self._value


class _KeptSignedAttributes(attributes.SignedAttributeProviderSpec):
    """The signed attributes of a PAdES signature as pyHanko makes them (its
    CAdESSignedAttributeProviderSpec with is_pades): content-type and message-digest, which
    pyHanko adds itself, and signing-certificate-v2; no signing-time, which PAdES leaves to
    the signature dictionary. imrgen asks for no further CAdES attributes (commitment type,
    signer attributes, content timestamp), which that spec would add."""

    def __init__(self, cert: asn1_x509.Certificate) -> None:
        self._signing_certificate = _KeptSigningCertificate(cert)

    def signed_attr_providers(
        self, data_digest: bytes, digest_algorithm: str
    ) -> Iterable[attributes.CMSAttributeProvider]:
        yield self._signing_certificate


class _KeptKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner parses the private key again for every signature, about 100 ms
    for RSA 2048 (most of it checking the key); this one signs with the key parsed once from
    the PKCS#12 file, so a batch pays that once per worker; and it keeps what depends on the
    certificate alone: the signed attributes (_KeptSignedAttributes) and, given by load_key,
    the signature mechanism (_signature_mechanism)."""

    def __init__(self, private_key: PrivateKeyTypes, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._private_key = private_key
        assert self.signing_cert is not None  # load_key gives it
        self.signed_attr_prov_spec = _KeptSignedAttributes(self.signing_cert)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._private_key, RSAPrivateKey):
            digest = get_pyca_cryptography_hash(digest_algorithm)
            return self._private_key.sign(data, PKCS1v15(), digest)
        result: bytes = super().sign_raw(data, digest_algorithm)
        return result


def _subject(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def load_key(path: Path, password: bytes | None, now: datetime | None = None) -> SigningKey:
    """A PKCS#12 file (.p12/.pfx) with the signer's key, certificate and chain. The errors name
    the file and what is wrong with it, never the password or the key."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError(f"{source}: cannot read the key file ({exc.strerror})") from None
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password)
    except ValueError:
        given = "" if password is not None else " (no password was given)"
        raise SigningError(
            f"{source}: not a PKCS#12 key file, or the password does not open it{given}"
        ) from None
    if key is None or cert is None:
        raise SigningError(f"{source}: expected a private key and its certificate, found none")
    moment = now or datetime.now(UTC)
    if cert.not_valid_after_utc < moment:
        raise SigningError(
            f"{source}: the certificate '{_subject(cert)}' expired on"
            f" {cert.not_valid_after_utc.date().isoformat()}; a letter signed with it would not"
            " verify"
        )
    if cert.not_valid_before_utc > moment:
        raise SigningError(
            f"{source}: the certificate '{_subject(cert)}' is valid only from"
            f" {cert.not_valid_before_utc.date().isoformat()}"
        )
    usage = _key_usage(cert)
    if usage is not None and not usage.content_commitment:
        raise SigningError(
            f"{source}: the certificate '{_subject(cert)}' lacks the non-repudiation key usage"
            " that a signature on a decision needs"
        )
    der_key = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    chain = tuple(_asn1(c) for c in extra)
    signing_cert = _asn1(cert)
    signer = _KeptKeySigner(
        key,
        signing_cert=signing_cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore.from_certs(chain),  # type: ignore[no-untyped-call]
        signature_mechanism=_signature_mechanism(signing_cert),
    )
    return SigningKey(signer=signer, subject=_subject(cert), source=source, chain=chain)


def _signature_mechanism(cert: asn1_x509.Certificate) -> asn1_algos.SignedDigestAlgorithm:
    """The mechanism pyHanko picks for the certificate's key with SHA-256 (sha256_rsa for RSA),
    which it would otherwise build anew several times a signature; kept as parsed from DER
    (see _KeptSigningCertificate)."""
    chosen = signers.Signer(signing_cert=cert).get_signature_mechanism_for_digest(DIGEST)
    return asn1_algos.SignedDigestAlgorithm.load(chosen.dump())


def _key_usage(cert: x509.Certificate) -> x509.KeyUsage | None:
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None


def load_certificates(path: Path) -> list[asn1_x509.Certificate]:
    """Trusted roots (or other certificates) from a PEM or DER file."""
    try:
        certs = list(load_certs_from_pemder_data(path.read_bytes()))
    except OSError as exc:
        raise SigningError(f"{path}: cannot read the certificate file ({exc.strerror})") from None
    except ValueError as exc:
        raise SigningError(f"{path}: expected PEM or DER certificates ({exc})") from None
    if not certs:
        raise SigningError(f"{path}: expected PEM or DER certificates, found none")
    return certs


@dataclass(frozen=True)
class SignOptions:
    """What the signature carries beyond B-B."""

    timestamp_url: str | None = None  # an RFC 3161 service: B-T
    crls: tuple[bytes, ...] = ()  # DER CRLs given: B-LT
    ocsps: tuple[bytes, ...] = ()  # DER OCSP responses given: B-LT
    fetch_revocation: bool = False  # fetch CRLs/OCSP from the certificates' URLs: B-LT
    archive_timestamp: bool = False  # a document timestamp over the validation data: B-LTA
    trust: tuple[asn1_x509.Certificate, ...] = ()  # roots for B-LT (default: the key's chain)

    @property
    def level(self) -> str:
        long_term = bool(self.crls or self.ocsps or self.fetch_revocation)
        if self.archive_timestamp:
            return "B-LTA"
        if long_term:
            return "B-LT"
        return "B-T" if self.timestamp_url else "B-B"

    def check(self) -> None:
        if self.level != "B-B" and self.level != "B-T" and not self.timestamp_url:
            raise SigningError(
                f"PAdES {self.level} builds on a signature timestamp: give --timestamp URL"
            )
        if self.archive_timestamp and not (self.crls or self.ocsps or self.fetch_revocation):
            raise SigningError(
                "PAdES B-LTA timestamps the validation data of B-LT: give revocation information"
                " (--crl, --ocsp) or --fetch-revocation"
            )


class _LetterWriter(IncrementalPdfFileWriter):
    """pyHanko's incremental writer, leaving the letter's metadata as it was. pyHanko rewrites
    the XMP packet in its own serialization, which turns the PDF/A extension schema's text
    fields into resources (no longer PDF/A), and moves the modification date; but a signature
    does not change the letter, and the signing time is in the signature."""

    def _update_meta(self) -> None:
        pass


def _dictionary(**entries: Any) -> generic.DictionaryObject:
    """A PDF dictionary; a str value is a name."""
    return generic.DictionaryObject(  # type: ignore[no-untyped-call]
        {
            generic.NameObject(f"/{key}"): generic.NameObject(value)
            if type(value) is str
            else value
            for key, value in entries.items()
        }
    )


def _number(value: int) -> generic.NumberObject:
    return generic.NumberObject(value)  # type: ignore[no-untyped-call]


def _tag_signature_field(writer: IncrementalPdfFileWriter) -> None:
    """The signature's (invisible) widget as a Form element of the structure tree, named by
    /TU, as PDF/UA-1 (7.18.4) asks of every widget; the letter stays tagged."""
    fields.append_signature_field(writer, fields.SigFieldSpec(FIELD_NAME, on_page=0))
    root = writer.root
    if "/StructTreeRoot" not in root:
        return  # an untagged PDF: nothing to keep
    widget_ref = next(
        ref for ref in root["/AcroForm"]["/Fields"] if ref.get_object().get("/T") == FIELD_NAME
    )
    widget = widget_ref.get_object()
    widget["/TU"] = generic.TextStringObject(WIDGET_NAME)
    struct_root = root["/StructTreeRoot"]
    document_ref = struct_root.raw_get("/K")
    if isinstance(document_ref, generic.ArrayObject):
        document_ref = document_ref[0]
    document = document_ref.get_object()
    parent_tree = struct_root["/ParentTree"]
    nums = parent_tree["/Nums"]
    keys = [int(nums[i]) for i in range(0, len(nums), 2)]
    key = int(struct_root.get("/ParentTreeNextKey", max(keys, default=-1) + 1))
    reference = _dictionary(Type="/OBJR", Obj=widget_ref, Pg=widget.raw_get("/P"))
    form = _dictionary(
        Type="/StructElem",
        S="/Form",
        P=document_ref,
        Alt=generic.TextStringObject(WIDGET_NAME),
        K=reference,
    )
    form_ref = writer.add_object(form)
    kids = document.get("/K")
    if not isinstance(kids, generic.ArrayObject):
        kids = generic.ArrayObject([] if kids is None else [document.raw_get("/K")])
        document["/K"] = kids
    kids.append(form_ref)
    widget["/StructParent"] = _number(key)
    nums.extend([_number(key), form_ref])
    struct_root["/ParentTreeNextKey"] = _number(key + 1)
    for container in (document, parent_tree, struct_root, widget):
        writer.update_container(container)


# pyHanko logs what it retries and fetches; imrgen reports through its errors, and a library
# that logs gets a handler so that nothing reaches stderr unless the application asks for it
# (logging's own advice to libraries). Setting the level around each call instead cost 1.4 ms
# a letter: it clears every logger's cache.
logging.getLogger("pyhanko").addHandler(logging.NullHandler())
logging.getLogger("pyhanko_certvalidator").addHandler(logging.NullHandler())


def _validation_context(key: SigningKey, options: SignOptions) -> ValidationContext:
    roots = list(options.trust) or [c for c in key.chain if c.self_signed in ("yes", "maybe")] or []
    if not roots:
        raise SigningError(
            f"{key.source}: B-LT needs the chain's root to check revocation; the key file has"
            " none: give --trust CA.pem"
        )
    return ValidationContext(
        trust_roots=roots,
        other_certs=list(key.chain),
        crls=list(options.crls),
        ocsps=list(options.ocsps),
        allow_fetching=options.fetch_revocation,
        revocation_mode="hard-fail",
    )


def sign(data: bytes, key: SigningKey, options: SignOptions | None = None) -> bytes:
    """The letter with the organization's signature appended as an incremental update: the
    bytes before it stay as they were, and the signature covers all of them."""
    options = options or SignOptions()
    options.check()
    level = options.level
    long_term = level in ("B-LT", "B-LTA")
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm=DIGEST,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason="Final determination of Independent Medical Review",
        embed_validation_info=long_term,
        use_pades_lta=level == "B-LTA",
        validation_context=_validation_context(key, options) if long_term else None,
    )
    timestamper = (
        HTTPTimeStamper(options.timestamp_url, timeout=TIMESTAMP_SECONDS)
        if options.timestamp_url
        else None
    )
    out = io.BytesIO()
    try:
        writer = _LetterWriter(io.BytesIO(data), strict=False)
        _tag_signature_field(writer)
        signers.sign_pdf(
            writer,
            meta,
            signer=key.signer,
            timestamper=timestamper,
            bytes_reserved=RESERVED_BYTES[level],
            output=out,
        )
    except TimestampRequestError as exc:
        raise SigningError(f"timestamp service {options.timestamp_url}: {exc}") from None
    except (PathBuildingError, PathValidationError) as exc:
        raise SigningError(f"{key.source}: the certificate does not validate ({exc})") from None
    except (PyHankoSigningError, PdfError) as exc:
        raise SigningError(f"cannot sign: {exc}") from None
    except OSError as exc:  # aiohttp's connection errors are OSErrors
        raise SigningError(f"timestamp service {options.timestamp_url}: {exc}") from None
    return out.getvalue()


_KEYS: dict[tuple[str, str], SigningKey] = {}


def process_key(path: str, password: bytes | None) -> SigningKey:
    """The key loaded once per process (a batch worker signs every letter with one load)."""
    cache_key = (path, hashlib.sha256(password or b"").hexdigest())
    key = _KEYS.get(cache_key)
    if key is None:
        key = _KEYS[cache_key] = load_key(Path(path), password)
    return key


def forget_keys() -> None:
    _KEYS.clear()


@dataclass(frozen=True)
class SignRequest:
    """What `--sign` asks for: which key, its password (never printed), and the level. It
    travels to batch workers, each of which loads the key once."""

    key_path: str
    password: bytes | None = field(repr=False)
    options: SignOptions = field(default_factory=SignOptions)

    def key(self) -> SigningKey:
        return process_key(self.key_path, self.password)

    def apply(self, data: bytes) -> bytes:
        return sign(data, self.key(), self.options)

    def fingerprint(self, base: str) -> str:
        """A batch's options fingerprint, changed by signing: by whom and at which level."""
        cert = self.key().signer.signing_cert
        assert cert is not None  # a SigningKey always has its certificate
        digest = hashlib.sha256(base.encode())
        digest.update(hashlib.sha256(cert.dump()).digest())
        digest.update(self.options.level.encode())
        return digest.hexdigest()


# -- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """What a letter's signature says, in the words `imrgen verify` prints."""

    signed: bool
    signer: str | None = None
    signing_time: datetime | None = None
    timestamp: datetime | None = None
    level: str | None = None
    intact: bool = False  # the signed bytes are the bytes that were signed
    trusted: bool = False
    trust: str = ""  # whose roots judged it
    problems: tuple[str, ...] = ()  # what is wrong with the signature or the file
    trust_problem: str | None = None  # why the signer is not trusted

    @property
    def unchanged(self) -> bool:
        """Signed, and nothing changed since, whoever signed."""
        return self.signed and self.intact and not self.problems

    @property
    def holds(self) -> bool:
        """Signed, unchanged since, and by a trusted signer."""
        return self.unchanged and self.trusted

    def summary(self) -> str:
        if not self.signed:
            return "not signed"
        parts = [f"signed by {self.signer}"]
        if self.signing_time is not None:
            parts.append(f"at {self.signing_time.isoformat()}")
        if self.timestamp is not None:
            parts.append(f"timestamped {self.timestamp.isoformat()}")
        parts.append(f"PAdES {self.level}")
        if self.trusted:
            parts.append(f"trusted by {self.trust}")
        wrong = [*self.problems, *([self.trust_problem] if self.trust_problem else [])]
        state = "valid" if not wrong else "INVALID: " + "; ".join(wrong)
        return ", ".join(parts) + f": {state}"


def verify(
    data: bytes, trust: Iterable[asn1_x509.Certificate] | None = None, source: str = "letter"
) -> Verdict:
    """Check a letter's signature: intact, covering the whole file, nothing changed after
    signing, and made by a certificate that the given roots vouch for: not revoked, not
    expired when it signed. Without roots the signer is not trusted."""
    roots = list(trust or ())
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_regular_signatures
    except (PdfError, ValueError, KeyError) as exc:
        if b"/ByteRange" not in data:
            raise SigningError(f"{source}: not a readable PDF ({exc})") from None
        # A signature revision whose cross-reference points into another file's bytes.
        return Verdict(
            signed=True,
            problems=(
                "the signature was made for another file, or the file was cut or spliced"
                f" (its cross-reference does not fit: {exc})",
            ),
        )
    if not signatures:
        return Verdict(signed=False)
    problems: list[str] = []
    if len(signatures) > 1:
        problems.append(f"{len(signatures)} signatures; an imrgen letter carries one")
    embedded = signatures[0]
    # Revocation is looked up where the certificates say. With no roots nothing is trusted: a
    # recipient names the issuer's root (pyHanko no longer leans on the system's TLS roots,
    # which are not the roots of document signing anyway).
    context = ValidationContext(trust_roots=roots, allow_fetching=True, revocation_mode="soft-fail")
    try:
        status = validate_pdf_signature(embedded, context)
    except Exception as exc:  # pyHanko raises many kinds for a mangled signature
        return Verdict(
            signed=True,
            problems=(f"the signature cannot be read ({type(exc).__name__}: {exc})",),
        )
    problems += _problems(status, data, embedded)
    timestamp = status.timestamp_validity.timestamp if status.timestamp_validity else None
    return Verdict(
        signed=True,
        signer=status.signing_cert.subject.human_friendly,
        signing_time=status.signer_reported_dt,
        timestamp=timestamp,
        level=_level(reader, status),
        intact=status.intact,
        trusted=status.trusted,
        trust="the given roots" if roots else "",
        problems=tuple(problems),
        trust_problem=_trust_problem(status, judged=bool(roots)),
    )


def _problems(status: PdfSignatureStatus, data: bytes, embedded: Any) -> list[str]:
    found: list[str] = []
    byte_range = list(embedded.sig_object["/ByteRange"])
    end = byte_range[2] + byte_range[3] if len(byte_range) == 4 else 0
    fits = (
        len(byte_range) == 4
        and byte_range[0] == 0
        and end <= len(data)
        and data[byte_range[1] : byte_range[1] + 1] == b"<"
        and data[byte_range[2] - 1 : byte_range[2]] == b">"
    )
    if not fits:
        found.append(
            "the signature was made for another file (its byte range does not fit this one)"
        )
    elif not status.intact:
        found.append("the signed bytes were changed after signing (their digest does not match)")
    if not status.valid and fits:
        found.append("the signature value does not match the signed data")
    if status.coverage is not None and status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        found.append("the signature does not cover its whole revision")
    level = status.modification_level
    if level is not None and level > ModificationLevel.LTA_UPDATES:
        found.append(f"changed after signing: {_what_changed(status)}")
    return found


def _trust_problem(status: PdfSignatureStatus, judged: bool) -> str | None:
    if status.trusted or not (status.intact and status.valid):
        return None
    if not judged:
        return "the signer's trust was not checked: give the issuer's root with --trust"
    if status.revoked:
        return "the signer's certificate is revoked"
    if _expired(status):
        return "the signer's certificate has expired (and no timestamp proves an earlier signing)"
    return "the signer is not trusted (no path to a trusted root)"


def _expired(status: PdfSignatureStatus) -> bool:
    cert = status.signing_cert
    moment = status.validation_time or datetime.now(UTC)
    return bool(cert.not_valid_after < moment)


def _what_changed(status: PdfSignatureStatus) -> str:
    result = status.diff_result
    message = str(result) if result is not None else ""
    return message or "an incremental update that pyHanko's difference analysis does not allow"


def _level(reader: PdfFileReader, status: PdfSignatureStatus) -> str:
    if reader.embedded_timestamp_signatures:
        return "B-LTA"
    if "/DSS" in reader.root:
        return "B-LT"
    return "B-T" if status.timestamp_validity is not None else "B-B"


def signature_note(path: Path) -> str | None:
    """What `imrgen parse` says of a signed PDF letter (nothing for an unsigned one)."""
    if path.suffix.lower() != ".pdf":
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None  # the parse itself reports the file
    if b"/ByteRange" not in data:
        return None
    try:
        verdict = verify(data, source=str(path))
    except SigningError as exc:
        return f"signed, but the signature cannot be checked ({exc})"
    if not verdict.signed:
        return None
    holds = "the signature holds" if verdict.unchanged else "the signature does NOT hold"
    return f"{holds}: {verdict.summary()}"

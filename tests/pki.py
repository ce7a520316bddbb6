"""A throwaway PKI for the signing tests, made with `cryptography`: a root, an intermediate, a
signer with the non-repudiation bit, a revoked signer, an expired one, an untrusted one (its
own root), and a timestamping authority; plus one HTTP server on 127.0.0.1 that answers RFC
3161 timestamp requests and serves the intermediate's CRL, as a real TSA and CA would."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

PASSWORD = b"correct horse battery staple"
NOW = datetime.now(UTC).replace(microsecond=0)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test IMR Organization"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


@dataclass
class Party:
    """A certificate and its key."""

    name: str
    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    chain: list[x509.Certificate] = field(default_factory=list)  # issuers, nearest first

    def p12(self, directory: Path, password: bytes = PASSWORD) -> Path:
        path = directory / f"{self.name}.p12"
        path.write_bytes(
            pkcs12.serialize_key_and_certificates(
                self.name.encode(),
                self.key,
                self.cert,
                self.chain or None,
                serialization.BestAvailableEncryption(password),
            )
        )
        return path

    def pem(self, directory: Path) -> Path:
        path = directory / f"{self.name}.pem"
        path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        return path


def _issue(
    name: str,
    issuer: Party | None,
    *,
    ca: bool,
    not_before: datetime,
    not_after: datetime,
    crl_url: str | None = None,
    usage: str = "sign",
) -> Party:
    key = _key()
    subject = _name(name)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), False
        )
    ca_usage = dict.fromkeys(
        ("content_commitment", "key_encipherment", "data_encipherment", "key_agreement"), False
    )
    if ca:
        usage_ext = x509.KeyUsage(
            digital_signature=True,
            key_cert_sign=True,
            crl_sign=True,
            encipher_only=False,
            decipher_only=False,
            **ca_usage,
        )
    else:
        usage_ext = x509.KeyUsage(
            digital_signature=True,
            content_commitment=usage == "sign",  # non-repudiation
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=False,
            crl_sign=False,
            encipher_only=False,
            decipher_only=False,
        )
    builder = builder.add_extension(usage_ext, critical=True)
    if usage == "timestamp":
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    if crl_url is not None:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    signing_key = issuer.key if issuer else key
    cert = builder.sign(signing_key, hashes.SHA256())
    chain = [issuer.cert, *issuer.chain] if issuer else []
    return Party(name, key, cert, chain)


class _Handler(BaseHTTPRequestHandler):
    server: TestServices  # type: ignore[assignment]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.timestamp_requests += 1
        response = self.server.tsa.request_tsa_response(tsp.TimeStampReq.load(body))
        self._reply(response.dump(), "application/timestamp-reply")

    def do_GET(self) -> None:
        crl = self.server.crls.get(self.path)
        if crl is None:
            self.send_error(404)
            return
        self.server.crl_requests += 1
        self._reply(crl, "application/pkix-crl")

    def _reply(self, body: bytes, media_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class TestServices(ThreadingHTTPServer):
    """The TSA and the CRL distribution point, on 127.0.0.1 at a free port."""

    tsa: DummyTimeStamper
    crls: dict[str, bytes]
    timestamp_requests = 0
    crl_requests = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@dataclass
class Pki:
    root: Party
    intermediate: Party
    signer: Party
    revoked: Party
    expired: Party
    stranger: Party  # a signer whose root nobody trusts
    tsa: Party
    crl: bytes  # the intermediate's CRL, DER, listing `revoked`
    services: TestServices


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


@contextmanager
def throwaway_pki() -> Iterator[Pki]:
    services = TestServices(("127.0.0.1", 0), _Handler)
    services.daemon_threads = True
    crl_url = f"{services.url}/intermediate.crl"
    long_ago, later = NOW - timedelta(days=30), NOW + timedelta(days=365)
    root = _issue("Test Root CA", None, ca=True, not_before=long_ago, not_after=later)
    intermediate = _issue(
        "Test Issuing CA", root, ca=True, not_before=long_ago, not_after=later, crl_url=None
    )
    leaf = {"not_before": long_ago, "not_after": later, "crl_url": crl_url, "ca": False}
    signer = _issue("Test IMR Signer", intermediate, **leaf)  # type: ignore[arg-type]
    revoked = _issue("Revoked Signer", intermediate, **leaf)  # type: ignore[arg-type]
    expired = _issue(
        "Expired Signer",
        intermediate,
        ca=False,
        not_before=NOW - timedelta(days=20),
        not_after=NOW - timedelta(days=1),
        crl_url=crl_url,
    )
    stranger_root = _issue("Stranger Root", None, ca=True, not_before=long_ago, not_after=later)
    stranger = _issue("Stranger Signer", stranger_root, **leaf)  # type: ignore[arg-type]
    tsa = _issue("Test TSA", intermediate, usage="timestamp", **leaf)  # type: ignore[arg-type]
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(intermediate.cert.subject)
        .last_update(NOW - timedelta(hours=1))
        .next_update(NOW + timedelta(days=7))
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(revoked.cert.serial_number)
            .revocation_date(NOW - timedelta(hours=2))
            .build()
        )
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(intermediate.key.public_key()),
            critical=False,
        )
        .sign(intermediate.key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    services.crls = {"/intermediate.crl": crl}
    services.tsa = DummyTimeStamper(
        tsa_cert=_asn1_cert(tsa.cert),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            tsa.key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        certs_to_embed=[_asn1_cert(intermediate.cert)],  # type: ignore[arg-type]
    )
    thread = threading.Thread(target=services.serve_forever, daemon=True)
    thread.start()
    try:
        yield Pki(root, intermediate, signer, revoked, expired, stranger, tsa, crl, services)
    finally:
        services.shutdown()
        services.server_close()
        thread.join(timeout=5)

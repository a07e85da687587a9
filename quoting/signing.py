"""The seller's PAdES signature on sent proposals (pyHanko).

A sent proposal carries an invisible PAdES baseline (B-B) signature in a field
named "Seller": SHA-256 over the whole file, the signing time in the signature
dictionary, the seller's certificate embedded. Any later change to the bytes, or
any content appended after the signature, shows in a PDF reader.

The certificate and its private key are PEM files (the key unencrypted), named by
the SIGNING_CERT and SIGNING_KEY settings; `generate_demo_pair` writes a
self-signed pair for development (`quoting signing demo-pair`). Library code only:
the app and the CLI decide when to load a pair (see quoting.services.documents).
"""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

SIGNATURE_FIELD = "Seller"
DEMO_COMMON_NAME = "Quoting demo seller (self-signed)"
DEMO_CERT_FILE = "seller-cert.pem"
DEMO_KEY_FILE = "seller-key.pem"
DEMO_VALID_DAYS = 5 * 365

Signer = signers.SimpleSigner


class SigningSetupError(ValueError):
    """The signing settings name no usable certificate and key; the message names the
    setting to fix."""


def sign_pdf(pdf: bytes, signer: Signer, *, organisation: str | None = None) -> bytes:
    """`pdf` with the seller's PAdES signature appended as an incremental update; the
    signature covers every byte of the result. Signer name and reason say who issued
    the proposal (`organisation`, else the certificate's organisation or name)."""
    issuer = organisation or certificate_holder(signer)
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        name=issuer,
        reason=f"Proposal issued by {issuer}",
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    output = io.BytesIO()
    signers.PdfSigner(metadata, signer=signer).sign_pdf(writer, output=output)
    return output.getvalue()


def certificate_holder(signer: Signer) -> str:
    """The signing certificate's organisation, else its common name."""
    certificate = signer.signing_cert
    subject = certificate.subject.native if certificate is not None else {}
    return str(subject.get("organization_name") or subject.get("common_name") or "the seller")


def load_signer(cert_path: str | os.PathLike[str], key_path: str | os.PathLike[str]
                ) -> Signer:
    """The signer for a PEM certificate and its unencrypted PEM private key, loaded once
    per pair of paths and file modification times (a replaced file is read again).
    Raises SigningSetupError naming SIGNING_CERT or SIGNING_KEY."""
    cert, key = Path(cert_path), Path(key_path)
    return _load_signer(str(cert), str(key), _mtime(cert, "SIGNING_CERT"),
                        _mtime(key, "SIGNING_KEY"))


def signer_from_settings(cert_path: str | None, key_path: str | None) -> Signer | None:
    """The signer the SIGNING_CERT and SIGNING_KEY settings name; None when both are
    unset (proposals are then sent unsigned). One without the other, or files that are
    unreadable or not a matching certificate and key, raise SigningSetupError."""
    cert, key = (cert_path or "").strip(), (key_path or "").strip()
    if not cert and not key:
        return None
    if not cert or not key:
        given, missing = ("SIGNING_CERT", "SIGNING_KEY") if cert else (
            "SIGNING_KEY", "SIGNING_CERT")
        raise SigningSetupError(
            f"{given} is set but {missing} is not: set both (the seller's PEM certificate "
            f"and its PEM private key) to sign sent proposals, or neither to send them "
            f"unsigned")
    return load_signer(cert, key)


def _mtime(path: Path, setting: str) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError as exc:
        raise SigningSetupError(f"{setting}: cannot read {path} ({exc.strerror})") from None


@lru_cache(maxsize=8)
def _load_signer(cert_path: str, key_path: str, _cert_mtime: int, _key_mtime: int
                 ) -> Signer:
    certificate = _read_certificate(Path(cert_path))
    private_key = _read_private_key(Path(key_path))
    if (private_key.public_key().public_bytes(*_SPKI)
            != certificate.public_key().public_bytes(*_SPKI)):
        raise SigningSetupError(
            f"SIGNING_KEY: the private key in {key_path} does not belong to the "
            f"certificate in SIGNING_CERT ({cert_path})")
    now = datetime.now(UTC)
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise SigningSetupError(
            f"SIGNING_CERT: the certificate in {cert_path} is valid from "
            f"{certificate.not_valid_before_utc:%Y-%m-%d} to "
            f"{certificate.not_valid_after_utc:%Y-%m-%d}, not now: signatures made with "
            f"it would not validate")
    der_key = private_key.private_bytes(serialization.Encoding.DER,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
    return signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(
            certificate.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore(),  # type: ignore[no-untyped-call]
    )


_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _read(path: Path, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SigningSetupError(f"{setting}: cannot read {path} ({exc.strerror})") from None


def _read_certificate(path: Path) -> x509.Certificate:
    data = _read(path, "SIGNING_CERT")
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        raise SigningSetupError(
            f"SIGNING_CERT: {path} is not a PEM certificate "
            f"(-----BEGIN CERTIFICATE-----)") from None


def _read_private_key(path: Path) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    data = _read(path, "SIGNING_KEY")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:  # the key is encrypted
        raise SigningSetupError(
            f"SIGNING_KEY: {path} is encrypted: give an unencrypted PEM private key "
            f"(keep the file readable by the app only)") from None
    except (ValueError, UnsupportedAlgorithm):
        raise SigningSetupError(
            f"SIGNING_KEY: {path} is not a PEM private key "
            f"(-----BEGIN PRIVATE KEY-----)") from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SigningSetupError(f"SIGNING_KEY: {path} holds a {type(key).__name__}: "
                                f"give an RSA or EC private key")
    return key


def generate_demo_pair(directory: str | os.PathLike[str]) -> tuple[Path, Path]:
    """A self-signed demo certificate and its private key (RSA 2048, valid five years)
    in `directory`: (certificate path, key path). An existing pair is kept as it is;
    half a pair (one file without the other) raises FileExistsError."""
    folder = Path(directory)
    cert_path, key_path = folder / DEMO_CERT_FILE, folder / DEMO_KEY_FILE
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    if cert_path.exists() or key_path.exists():
        present = cert_path if cert_path.exists() else key_path
        raise FileExistsError(f"{present} exists without its pair: remove it or add the "
                              f"other file ({DEMO_CERT_FILE}, {DEMO_KEY_FILE})")
    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DEMO_COMMON_NAME)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=DEMO_VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False,
            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_new(key_path, key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()), mode=0o600)
    _write_new(cert_path, certificate.public_bytes(serialization.Encoding.PEM), mode=0o644)
    return cert_path, key_path


def _write_new(path: Path, data: bytes, *, mode: int) -> None:
    """Create `path` with `data`; never replaces an existing file."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)

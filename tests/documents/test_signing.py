"""The seller's PAdES signature on sent proposals: a real proposal sent with a
signing pair is kept signed over every byte, any later change shows, and the
signing settings are both given or neither, else nothing starts."""

from __future__ import annotations

import hashlib
import io
import logging
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from quoting import services, signing
from quoting.cli import main
from quoting.services.errors import Refused
from quoting.store import migrate
from quoting.store.db import make_engine
from quoting.web import create_app
from tests.documents.conftest import example_request

SEND_DAY = date(2026, 11, 25)
SELLER_AR = "Adopción IA Argentina S.R.L."


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    return Pair(*signing.generate_demo_pair(tmp_path_factory.mktemp("signing")))


@pytest.fixture(scope="module")
def other_pair(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    return Pair(*signing.generate_demo_pair(tmp_path_factory.mktemp("other-signing")))


@dataclass(frozen=True)
class SentProposal:
    served: bytes  # what every download and the client email serve
    recorded_sha256: str | None  # the revision's pdf_sha256
    archived_sha256: str  # the revision_pdfs row's
    sent_from: datetime
    sent_until: datetime


@pytest.fixture(scope="module")
def sent(engine: Engine, pair: Pair) -> SentProposal:
    """One real proposal (AR) sent with `pair` configured, in a transaction rolled back
    at once: the only real render of this file."""
    with engine.connect() as connection, pytest.MonkeyPatch.context() as patch:
        transaction = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint",
                          expire_on_commit=False)
        patch.setattr("quoting.services.documents._seller_signer",
                      signing.load_signer(pair.cert, pair.key))
        try:
            seller = services.create_user(session, "signer@example.com", "Sara Signer",
                                          "sales", "correct horse battery")
            draft = services.create_quote(session, example_request("AR"), seller, SEND_DAY)
            sent_from = datetime.now(UTC)
            quote = services.send_quote(session, draft.ref, seller, SEND_DAY)
            sent_until = datetime.now(UTC)
            number = str(quote.number)
            revision = services.current_revision(quote)
            archived = services.archived_pdf(session, number, revision.revision)
            assert archived is not None
            return SentProposal(
                served=services.revision_pdf(session, number),
                recorded_sha256=revision.pdf_sha256,
                archived_sha256=hashlib.sha256(archived).hexdigest(),
                sent_from=sent_from, sent_until=sent_until)
        finally:
            session.close()
            transaction.rollback()


def validation(pdf: bytes, trusted: Pair) -> PdfSignatureStatus:
    """pyHanko's verdict on the PDF's one signature, trusting `trusted`'s certificate."""
    [signature] = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(trusted.cert))])
    return validate_pdf_signature(signature, context)


def test_a_sent_proposal_is_kept_with_the_sellers_intact_valid_signature_over_the_whole_file(
        sent: SentProposal, pair: Pair) -> None:
    status = validation(sent.served, pair)
    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.bottom_line
    assert status.signer_reported_dt is not None
    assert (sent.sent_from.replace(microsecond=0) <= status.signer_reported_dt
            <= sent.sent_until)


def test_the_signature_names_the_seller_that_issued_the_proposal(sent: SentProposal) -> None:
    [signature] = PdfFileReader(io.BytesIO(sent.served)).embedded_signatures
    assert signature.field_name == signing.SIGNATURE_FIELD
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    assert signature.sig_object["/Name"] == SELLER_AR
    assert signature.sig_object["/Reason"] == f"Proposal issued by {SELLER_AR}"
    assert signature.md_algorithm == "sha256"


def test_the_kept_sha256_is_that_of_the_signed_bytes_served(sent: SentProposal) -> None:
    served_sha256 = hashlib.sha256(sent.served).hexdigest()
    assert sent.recorded_sha256 == served_sha256
    assert sent.archived_sha256 == served_sha256


def test_a_changed_byte_shows_as_a_signature_no_longer_intact(sent: SentProposal,
                                                              pair: Pair) -> None:
    tampered = bytearray(sent.served)
    tampered[sent.served.index(b"stream\n") + 40] ^= 0x01  # inside the first page's stream
    status = validation(bytes(tampered), pair)
    assert not status.intact
    assert not status.bottom_line


def test_content_appended_after_the_signature_shows_as_not_covering_the_whole_file(
        sent: SentProposal, pair: Pair, caplog: pytest.LogCaptureFixture) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(sent.served))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Rotate"] = generic.NumberObject(90)
    writer.update_container(page)
    updated = io.BytesIO()
    writer.write(updated)
    with caplog.at_level(logging.CRITICAL, logger="pyhanko"):  # its diff traceback
        status = validation(updated.getvalue(), pair)
    assert status.intact  # the signed revision itself is untouched...
    assert status.coverage != SignatureCoverageLevel.ENTIRE_FILE  # ...but no longer all
    assert not status.docmdp_ok
    assert not status.bottom_line


def test_a_signature_from_an_untrusted_certificate_is_not_trusted(
        sent: SentProposal, other_pair: Pair) -> None:
    status = validation(sent.served, other_pair)
    assert status.intact
    assert not status.trusted


def test_a_proposal_that_cannot_be_signed_is_not_sent(engine: Engine, pair: Pair,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("quoting.services.documents._seller_signer",
                        signing.load_signer(pair.cert, pair.key))
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint",
                          expire_on_commit=False)
        try:
            seller = services.create_user(session, "unsigned@example.com", "Una", "sales",
                                          "correct horse battery")
            draft = services.create_quote(session, example_request("AR"), seller, SEND_DAY)
            with pytest.raises(Refused, match="its PDF could not be signed") as refused:
                services.send_quote(session, draft.ref, seller, SEND_DAY,
                                    render=lambda snapshot: b"not a PDF at all")
            assert refused.value.code == "pdf_not_rendered"
            quote = services.get_quote(session, str(refused.value.params["ref"]))
            assert quote.status == "draft"
            assert services.current_revision(quote).pdf_sha256 is None
        finally:
            session.close()
            transaction.rollback()


def _app(engine: Engine, **settings: object) -> object:
    return create_app({"ENGINE": engine, "TESTING": True, "SECRET_KEY": "test", **settings})


def test_the_app_with_a_signing_pair_signs_what_it_sends(engine: Engine, pair: Pair) -> None:
    _app(engine, SIGNING_CERT=str(pair.cert), SIGNING_KEY=str(pair.key))
    assert services.seller_signer() is signing.load_signer(pair.cert, pair.key)


def test_without_signing_settings_the_app_sends_unsigned_and_warns_once_at_start(
        engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        _app(engine)
    assert services.seller_signer() is None
    warnings = [r.getMessage() for r in caplog.records if "SIGNING_CERT" in r.getMessage()]
    assert warnings == ["SIGNING_CERT and SIGNING_KEY are unset: sent proposals carry no "
                        "seller's signature"]


@pytest.mark.parametrize(("given", "missing"), [("SIGNING_CERT", "SIGNING_KEY"),
                                                ("SIGNING_KEY", "SIGNING_CERT")])
def test_half_a_signing_pair_stops_the_start_naming_the_missing_setting(
        engine: Engine, pair: Pair, given: str, missing: str) -> None:
    path = pair.cert if given == "SIGNING_CERT" else pair.key
    with pytest.raises(ValueError, match=f"^{given} is set but {missing} is not: set both"):
        _app(engine, **{given: str(path)})


@pytest.mark.parametrize(("broken", "message"), [
    ("missing_cert", "^SIGNING_CERT: cannot read .*missing.pem"),
    ("key_as_cert", "^SIGNING_CERT: .* is not a PEM certificate"),
    ("cert_as_key", "^SIGNING_KEY: .* is not a PEM private key"),
    ("unreadable_key", "^SIGNING_KEY: cannot read "),
    ("another_key", "^SIGNING_KEY: the private key in .* does not belong to the certificate"),
])
def test_signing_files_that_are_not_a_usable_pair_stop_the_start_naming_the_setting(
        engine: Engine, pair: Pair, other_pair: Pair, tmp_path: Path, broken: str,
        message: str) -> None:
    cert, key = str(pair.cert), str(pair.key)
    if broken == "missing_cert":
        cert = str(tmp_path / "missing.pem")
    elif broken == "key_as_cert":
        cert = key
    elif broken == "cert_as_key":
        key = cert
    elif broken == "unreadable_key":
        key = str(tmp_path)  # a folder
    else:
        key = str(other_pair.key)
    with pytest.raises(signing.SigningSetupError, match=message):
        _app(engine, SIGNING_CERT=cert, SIGNING_KEY=key)


def test_quote_send_with_half_a_signing_pair_fails_with_a_clear_message(
        pair: Pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'never-opened.db'}")
    monkeypatch.setenv("SIGNING_CERT", str(pair.cert))
    result = CliRunner().invoke(main, ["quote", "send", "D-00001"])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr == ("cannot sign proposals: SIGNING_CERT is set but SIGNING_KEY is "
                             "not: set both (the seller's PEM certificate and its PEM private "
                             "key) to sign sent proposals, or neither to send them unsigned\n")
    assert not (tmp_path / "never-opened.db").exists()


def test_the_sales_desk_with_half_a_signing_pair_does_not_start_and_says_why(
        pair: Pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "test")
    monkeypatch.setenv("SIGNING_KEY", str(pair.key))
    monkeypatch.setattr("waitress.serve", _must_not_serve)
    result = CliRunner().invoke(main, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert result.stderr.startswith("the sales desk cannot start: SIGNING_KEY is set but "
                                    "SIGNING_CERT is not: set both")


def _must_not_serve(*args: object, **kwargs: object) -> None:
    raise AssertionError("the sales desk started")


def test_the_demo_pair_is_self_signed_private_and_never_overwritten(tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["signing", "demo-pair", "--dir", str(tmp_path / "demo")])
    assert first.exit_code == 0, first.output
    cert, key = (tmp_path / "demo" / signing.DEMO_CERT_FILE,
                 tmp_path / "demo" / signing.DEMO_KEY_FILE)
    assert first.stdout == f"SIGNING_CERT={cert}\nSIGNING_KEY={key}\n"
    written = cert.read_bytes(), key.read_bytes()
    assert os.stat(key).st_mode & 0o777 == 0o600
    subject = signing.load_signer(cert, key).signing_cert.subject.native
    assert subject == {"common_name": signing.DEMO_COMMON_NAME}

    again = runner.invoke(main, ["signing", "demo-pair", "--dir", str(tmp_path / "demo")])
    assert again.exit_code == 0
    assert (cert.read_bytes(), key.read_bytes()) == written

    cert.unlink()
    with pytest.raises(FileExistsError, match="exists without its pair"):
        signing.generate_demo_pair(tmp_path / "demo")
    assert key.read_bytes() == written[1]
    assert not cert.exists()


def test_a_pair_is_loaded_once_until_one_of_its_files_changes(tmp_path: Path) -> None:
    cert, key = signing.generate_demo_pair(tmp_path)
    loaded = signing.load_signer(cert, key)
    assert signing.load_signer(str(cert), str(key)) is loaded
    stat = key.stat()
    os.utime(key, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert signing.load_signer(cert, key) is not loaded

"""Emails other than the proposal itself: a client's receipt, a desk user's notice.
Written to the outbox in the caller's transaction and delivered by
quoting.services.outbox like every message. Their texts come from the `web`
gettext catalogue (desk and client wording)."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from babel.support import NullTranslations, Translations
from sqlalchemy.orm import Session

from quoting import paths
from quoting.services.common import now_or
from quoting.store.models import Quote, User
from quoting.store.outbox import OutboxMessage

LOCALES_DIR = paths.LOCALES_DIR
LANGUAGES = ("es", "en", "pt")
MAX_SUBJECT, MAX_BODY = 300, 20_000
# In a notice's body: the desk's address, filled in at delivery (services write
# notices without knowing the address the desk is served at; the mailer does).
DESK_PLACEHOLDER = "{desk}"
DEFAULT_DESK_URL = "http://127.0.0.1:8000"
# Set in a session's info when a message is written: after committing, the caller
# hands the outbox on (quoting.web.delivery, the CLI's unit of work).
OUTBOX_WRITTEN = "quoting.outbox_written"


def queue_message(session: Session, quote: Quote, *, kind: str, recipients: list[str],
                  subject: str, body: str, language: str, revision: int,
                  receipt_id: int | None = None, actor: User | None = None,
                  now: datetime | None = None) -> OutboxMessage:
    """Write a receipt or a notice to the outbox, in the caller's transaction."""
    now = now_or(now)
    message = OutboxMessage(
        quote_id=quote.id, revision=revision, kind=kind, recipients=recipients,
        subject=" ".join(subject.split())[:MAX_SUBJECT], body=body[:MAX_BODY],
        language=language, attachment_revision=None, receipt_id=receipt_id, link_id=None,
        state="queued", attempts=0, next_attempt_at=now, created_at=now,
        created_by_id=actor.id if actor else None)
    session.add(message)
    session.flush()
    session.info[OUTBOX_WRITTEN] = True
    return message


@cache
def translations_for(language: str) -> NullTranslations:
    """The `web` catalogue (desk and client texts) of es, en or pt."""
    return Translations.load(str(LOCALES_DIR), [language if language in ("es", "en", "pt")
                                                 else "es"], domain="web")

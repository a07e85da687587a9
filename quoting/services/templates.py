"""Quote templates: a quote's scope saved under a name (the request without the
client and the dates), to start new quotes from. Names are unique per author,
accents and case ignored. Who sees them follows the quotes' rule: everyone's,
unless the deployment keeps sales users to their own (finance and admin see all).
Only a template's author or an admin deletes it."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from quoting.errors import FieldProblem, QuoteInputError
from quoting.services.common import MANAGERS, begin_write, now_or
from quoting.services.errors import NotFound, PermissionDenied
from quoting.services.notes import visible_quote
from quoting.services.quotes import current_revision
from quoting.store.models import Role, User, fold_for_search
from quoting.store.workbench import TEMPLATE_NAME_MAX_LENGTH, QuoteTemplate

# What a template leaves out of a quote's request: whom it was for and when.
NOT_IN_A_TEMPLATE = ("client", "date")


def save_template(session: Session, ref: str, author: User, name: str, *,
                  own_quotes_only: bool = False, now: datetime | None = None) -> QuoteTemplate:
    """Save the current revision's scope of a quote the author may see as a template."""
    clean = " ".join(name.split())
    if not clean:
        raise QuoteInputError([FieldProblem("name", "give the template a name", code="empty")])
    if len(clean) > TEMPLATE_NAME_MAX_LENGTH:
        raise QuoteInputError([FieldProblem(
            "name", f"at most {TEMPLATE_NAME_MAX_LENGTH} characters", code="too_long",
            params=(("max", str(TEMPLATE_NAME_MAX_LENGTH)),))])
    begin_write(session)
    quote = visible_quote(session, ref, author, own_quotes_only=own_quotes_only)
    request = {key: copy.deepcopy(value) for key, value in current_revision(quote).request.items()
               if key not in NOT_IN_A_TEMPLATE}
    folded = fold_for_search(clean)
    if session.scalar(select(QuoteTemplate.id).where(QuoteTemplate.owner_id == author.id,
                                                     QuoteTemplate.name_folded == folded)):
        raise _duplicate(clean)
    template = QuoteTemplate(owner_id=author.id, name=clean, name_folded=folded,
                             market=quote.market, request=request, source_ref=quote.ref,
                             created_at=now_or(now))
    try:
        with session.begin_nested():  # a twin saved meanwhile: the same answer
            session.add(template)
            session.flush()
    except IntegrityError:
        raise _duplicate(clean) from None
    return template


def _duplicate(name: str) -> QuoteInputError:
    return QuoteInputError([FieldProblem(
        "name", f"you already have a template called {name!r}: choose another name",
        code="duplicate", params=(("name", name),))])


def list_templates(session: Session, user: User, *, own_quotes_only: bool = False
                   ) -> list[QuoteTemplate]:
    """The templates this user may use, by market then name."""
    statement = select(QuoteTemplate).options(joinedload(QuoteTemplate.owner))
    if own_quotes_only and user.role not in MANAGERS:
        statement = statement.where(QuoteTemplate.owner_id == user.id)
    return list(session.scalars(statement.order_by(
        QuoteTemplate.market, QuoteTemplate.name_folded, QuoteTemplate.id)))


def get_template(session: Session, template_id: int, user: User, *,
                 own_quotes_only: bool = False) -> QuoteTemplate:
    template = session.get(QuoteTemplate, template_id)
    if template is None or (own_quotes_only and user.role not in MANAGERS
                            and template.owner_id != user.id):
        raise NotFound(f"no template {template_id}", code="template_not_found",
                       what="template", id=template_id)
    return template


def may_delete_template(user: User, template: QuoteTemplate) -> bool:
    return template.owner_id == user.id or user.role == Role.ADMIN


def delete_template(session: Session, template_id: int, user: User, *,
                    own_quotes_only: bool = False) -> QuoteTemplate:
    begin_write(session)
    template = get_template(session, template_id, user, own_quotes_only=own_quotes_only)
    if not may_delete_template(user, template):
        raise PermissionDenied(
            f"{user.email} cannot delete template {template_id}: only its author or an "
            f"admin can", code="not_template_owner", id=template_id)
    session.delete(template)
    session.flush()
    return template


def template_request(template: QuoteTemplate) -> dict[str, Any]:
    """The request a new quote starts from: the template's scope, no client yet, dated
    the day it is priced."""
    request = copy.deepcopy(template.request)
    request["market"] = template.market
    return request

"""Use cases of the stored quote: the one place a rule of a quote is decided, and
the only module the web pages, the JSON API and the CLI call.

Every function takes a SQLAlchemy Session. Nothing here commits, except
`send_quote` (which numbers the quote, renders with no lock held, then sends:
see lifecycle); the caller commits the unit of work. Refusals are
`Refused` errors with a code and parameters (quoting.services.errors); a bad
request is a quoting.errors.QuoteInputError, as when pricing.
"""

from quoting.services import history, reports
from quoting.services.approvals import approve_discount, may_decide, reject_discount
from quoting.services.clients import (
    can_view_client,
    client_events,
    find_client,
    find_clients,
    get_client,
    may_rename_client,
    rename_client,
)
from quoting.services.common import MANAGERS, default_rulebook, insert_for
from quoting.services.delivery import (
    ClientLinkView,
    client_link_url,
    create_client_link,
    decide_by_client,
    open_client_link,
)
from quoting.services.documents import (
    archive_pdf,
    archived_pdf,
    record_pdf_sha256,
    render_snapshot,
    revision_pdf,
    revision_snapshot,
)
from quoting.services.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    Refused,
    RevisionImmutable,
    ServiceError,
)
from quoting.services.history import (
    HistoryPage,
    QuoteQuery,
    SortKey,
    iter_history,
    list_history,
)
from quoting.services.lifecycle import (
    accept_quote,
    decline_quote,
    expire_due,
    format_number,
    send_quote,
    withdraw_quote,
)
from quoting.services.listing import (
    QUOTE_SORTS,
    QuoteSearchPage,
    QuoteSummary,
    compact_tax_id_for_query,
    count_quotes,
    search_quotes,
    stored_numbers,
)
from quoting.services.quotes import (
    REVISABLE,
    can_delete,
    can_edit,
    can_view,
    create_quote,
    current_revision,
    delete_draft,
    duplicate_quote,
    get_quote,
    owner_restriction,
    quote_events,
    quote_view,
    revise_quote,
)
from quoting.services.rates import RatesImport, import_rates_csv, rate_in_force
from quoting.services.users import (
    authenticate_user,
    create_user,
    deactivate_user,
    end_sessions,
    get_user,
    list_users,
    set_password,
    use_password_hasher,
)

__all__ = [
    "MANAGERS",
    "QUOTE_SORTS",
    "REVISABLE",
    "ClientLinkView",
    "Conflict",
    "HistoryPage",
    "InvalidTransition",
    "NotFound",
    "PermissionDenied",
    "QuoteQuery",
    "QuoteSearchPage",
    "QuoteSummary",
    "RatesImport",
    "Refused",
    "RevisionImmutable",
    "ServiceError",
    "SortKey",
    "accept_quote",
    "approve_discount",
    "archive_pdf",
    "archived_pdf",
    "authenticate_user",
    "can_delete",
    "can_edit",
    "can_view",
    "can_view_client",
    "client_events",
    "client_link_url",
    "compact_tax_id_for_query",
    "count_quotes",
    "create_client_link",
    "create_quote",
    "create_user",
    "current_revision",
    "deactivate_user",
    "decide_by_client",
    "decline_quote",
    "default_rulebook",
    "delete_draft",
    "duplicate_quote",
    "end_sessions",
    "expire_due",
    "find_client",
    "find_clients",
    "format_number",
    "get_client",
    "get_quote",
    "get_user",
    "history",
    "import_rates_csv",
    "insert_for",
    "iter_history",
    "list_history",
    "list_users",
    "may_decide",
    "may_rename_client",
    "open_client_link",
    "owner_restriction",
    "quote_events",
    "quote_view",
    "rate_in_force",
    "record_pdf_sha256",
    "reject_discount",
    "rename_client",
    "render_snapshot",
    "reports",
    "revise_quote",
    "revision_pdf",
    "revision_snapshot",
    "search_quotes",
    "send_quote",
    "set_password",
    "stored_numbers",
    "use_password_hasher",
    "withdraw_quote",
]

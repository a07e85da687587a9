"""The desk's quote list as a spreadsheet: every row the list's filters, search and
sort select (all pages), each amount beside its currency code, text cells made safe
from formula injection the same way as finance's CSV export (quoting.services.history)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy.orm import Session

from quoting.services.history import QuoteQuery
from quoting.services.history import _text_cell as text_cell  # the API export's own escaping
from quoting.services.listing import PAGE_SIZE_LIMIT, QuoteSummary, search_quotes

# The columns, in order; the view titles them in the user's language.
LIST_CSV_COLUMNS = ("reference", "client_name", "client_tax_id", "market", "status",
                    "quote_date", "valid_until", "program_currency", "program_total",
                    "license_currency", "license_total", "owner_email")


def iter_list(session: Session, query: QuoteQuery | None = None, text: str = "", *,
              sort: str = "-date", owner_id: int | None = None,
              batch: int = PAGE_SIZE_LIMIT) -> Iterator[QuoteSummary]:
    """Every quote of the desk's list for these filters (search_quotes' pages, one
    after the other). Bad filters are refused before the first row is yielded."""
    first = search_quotes(session, query, text, sort=sort, page=1, per_page=batch,
                          owner_id=owner_id)

    def rows() -> Iterator[QuoteSummary]:
        page = first
        while True:
            yield from page.items
            if page.page >= page.pages or not page.items:
                return
            page = search_quotes(session, query, text, sort=sort, page=page.page + 1,
                                 per_page=batch, owner_id=owner_id)

    return rows()


def list_csv_values(item: QuoteSummary, status_label: Callable[[str], str]) -> list[Any]:
    """One row: text cells escaped against formulas; amounts (plain decimals with a
    point) and ISO dates as they are."""
    return [
        text_cell(item.ref), text_cell(item.client_name), text_cell(item.client_tax_id),
        text_cell(item.market), text_cell(status_label(item.status)),
        item.quote_date.isoformat(), item.valid_until.isoformat(),
        text_cell(item.program_currency), str(item.program_total),
        text_cell(item.license_currency), str(item.license_total),
        text_cell(item.owner_email),
    ]

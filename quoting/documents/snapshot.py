"""A snapshot for a request that has not been stored: what `quoting render` prints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from quoting.priced import PricedQuote
from quoting.scope import QuoteRequest

DRAFT_NUMBERS = {"es": "BORRADOR", "en": "DRAFT", "pt": "RASCUNHO"}


def draft_snapshot(request: QuoteRequest, priced: PricedQuote, number: str | None = None,
                   revision: int = 0) -> dict[str, Any]:
    """The snapshot shape a stored revision has, dated by the quote itself (never the clock)."""
    created = dt.datetime.combine(priced.quote_date, dt.time(0, 0), tzinfo=dt.UTC)
    return {
        "number": number or DRAFT_NUMBERS.get(priced.language, "DRAFT"),
        "revision": revision,
        "status": "draft" if number is None else "issued",
        "created_at": created.isoformat(),
        "request": request.model_dump(mode="json"),
        "priced": priced.to_dict(),
        "exchange_rates": [],
    }

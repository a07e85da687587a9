"""The API's route table: URL rules, views, scopes, parameters and response
types in one place. The blueprint is built from it and so is the OpenAPI
document, so the two cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from quoting.api_tokens import SCOPE_QUOTES, SCOPE_REPORTS
from quoting.web.api import pipeline as pipeline_api
from quoting.web.api import schemas, views
from quoting.web.api.params import ExportParams, ListParams, SummaryParams

PREFIX = "/api/v1"


@dataclass(frozen=True)
class Endpoint:
    rule: str  # a Flask URL rule, below PREFIX
    name: str
    view: Callable[..., Any]
    summary: str
    scope: str | None  # None: public
    params: type[BaseModel] | None = None
    body: type[BaseModel] | None = None  # the 200 JSON body
    media: dict[str, dict[str, Any]] = field(default_factory=dict)  # other 200 bodies
    path_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    description: str = ""


NUMBER = {"type": "string", "description": "The quote number, e.g. MX-2026-0042, or "
          "for a draft never sent its draft reference, e.g. D-00042."}

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("/quotes", "list_quotes", views.list_quotes, "List quotes", SCOPE_QUOTES,
             params=ListParams, body=schemas.QuotePage,
             description="Filtered, sorted and paginated with a keyset cursor: the order is "
             "the sort key, then the quote, so pages never skip or repeat a quote."),
    Endpoint("/quotes/<number>", "get_quote", views.get_quote,
             "A quote with every revision and its event history", SCOPE_QUOTES,
             body=schemas.QuoteDetail, path_params={"number": NUMBER}),
    Endpoint("/quotes/<number>/revisions/<int:revision>/pdf", "revision_pdf",
             views.revision_pdf, "The archived PDF of a revision", SCOPE_QUOTES,
             media={"application/pdf": {"schema": {"type": "string",
                                                   "contentMediaType": "application/pdf"}}},
             path_params={"number": NUMBER,
                          "revision": {"type": "integer", "minimum": 1}},
             description="Served only when its SHA-256 matches the one recorded for "
             "the revision."),
    Endpoint("/reports/summary", "summary", views.summary,
             "Counts and totals by market, currency, status and month", SCOPE_REPORTS,
             params=SummaryParams, body=schemas.Summary),
    Endpoint("/reports/pipeline", "pipeline", pipeline_api.pipeline_report,
             "The pipeline: quotes and amounts by status, market, owner and month, win "
             "rate, days to acceptance, discounts and quotes expiring soon", SCOPE_REPORTS,
             params=pipeline_api.PipelineParams, body=pipeline_api.PipelineReport,
             description="Amounts per currency (never added across currencies); with `in`, "
             "also converted with the stored rate in force on each quote's date, listing "
             "what could not be converted. Win rate = accepted / (accepted + declined + "
             "expired)."),
    Endpoint("/reports/exchange-drift", "exchange_drift", pipeline_api.exchange_drift_report,
             "Open quotes whose license-to-program exchange rate has drifted", SCOPE_REPORTS,
             params=pipeline_api.DriftParams, body=pipeline_api.ExchangeDrift,
             description="Draft, awaiting-approval and sent quotes still valid, whose rate "
             "stored at the quote date differs from the latest stored rate of the pair by "
             "more than `threshold` percent; quotes with no stored rate are listed apart."),
    Endpoint("/exports/quotes.csv", "export_csv", views.export_csv,
             "Every matching quote as CSV, streamed", SCOPE_QUOTES, params=ExportParams,
             media={"text/csv": {"schema": {"type": "string"}}}),
    Endpoint("/exports/quotes.ndjson", "export_ndjson", views.export_ndjson,
             "Every matching quote as NDJSON (one list item per line), streamed",
             SCOPE_QUOTES, params=ExportParams,
             media={"application/x-ndjson": {"schema": {"type": "string"}}}),
    Endpoint("/openapi.json", "openapi", views.openapi_document,
             "This document (OpenAPI 3.1)", None,
             media={"application/json": {"schema": {"type": "object"}}}),
)

"""Repricing simulation: what stored quotes would cost under a candidate price list.

The candidate is any rules file (it need not be in force, nor filed under
pricing_rules/, nor committed); it is validated like every rules file and a bad
one is refused naming its path and field (`load_candidate_*`).

`simulate` re-prices, for each quote of the candidate's market whose quote date
falls in the period (and whose status is among those asked), the quote's current
revision: the one a client has or would get. Earlier revisions of the same quote
were superseded by it, so counting them would count one deal several times. The
old figures are the revision's stored summary columns (migration 0010); the new
ones come from pricing the stored request with the candidate at the revision's
quote date. A request the candidate cannot price (a license product it removed,
a currency it no longer quotes, a discount above its maximum) is listed with the
reason and left out of the totals, so old and new totals compare like with like.

Nothing is written: callers read through `read_only_session`. It is built for
volume: only the needed columns are read (no ORM objects), rows are streamed,
and the candidate's price tables are worked out once (quoting.pricing caches
them per rules object, and `candidate_from_text` returns the same object for the
same file).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, Text, cast, select, text
from sqlalchemy.orm import Session

from quoting.errors import FieldProblem, QuoteInputError, RulesError
from quoting.pricing import price
from quoting.rules import RulesVersion
from quoting.scope import QuoteRequest
from quoting.store.models import Quote, QuoteRevision, QuoteStatus, draft_reference, from_minor

# Uploaded candidates larger than this are refused (a price list is a few KiB).
MAX_CANDIDATE_BYTES = 256 * 1024
# Statuses simulated when none are named: every quote that exists.
DEFAULT_STATUSES = tuple(s.value for s in QuoteStatus if s is not QuoteStatus.DELETED)
ROWS_PER_FETCH = 5000
HUNDRED = Decimal(100)
CENT = Decimal("0.01")

# Percent-change buckets: (key, low, high), low inclusive and high exclusive; "0" is
# exactly no change, and the buckets either side of it leave zero out.
BUCKETS: tuple[tuple[str, Decimal | None, Decimal | None], ...] = (
    ("<-20", None, Decimal(-20)),
    ("[-20,-10)", Decimal(-20), Decimal(-10)),
    ("[-10,-5)", Decimal(-10), Decimal(-5)),
    ("[-5,0)", Decimal(-5), Decimal(0)),
    ("0", Decimal(0), Decimal(0)),
    ("(0,5)", Decimal(0), Decimal(5)),
    ("[5,10)", Decimal(5), Decimal(10)),
    ("[10,20)", Decimal(10), Decimal(20)),
    (">=20", Decimal(20), None),
)
BUCKET_KEYS = tuple(key for key, _low, _high in BUCKETS)


# ---------------------------------------------------------------- the candidate


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(p) for p in item["loc"]) or "(file)"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


_CANDIDATES: dict[str, RulesVersion] = {}
_CANDIDATES_KEPT = 16


def candidate_from_text(content: str, source: str) -> RulesVersion:
    """Validate a candidate price list given as TOML text; `source` names it in errors
    (RulesError "<source>: <field>: <problem>"). The same text gives the same object,
    so its price tables are worked out once."""
    key = hashlib.sha256(content.encode("utf-8")).hexdigest()
    kept = _CANDIDATES.get(key)
    if kept is not None:
        return kept
    try:
        raw: dict[str, Any] = tomllib.loads(content)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: not valid TOML: {exc}") from None
    try:
        version = RulesVersion.model_validate(raw)
    except ValidationError as exc:
        raise RulesError(f"{source}: {_describe(exc)}") from None
    if len(_CANDIDATES) >= _CANDIDATES_KEPT:
        _CANDIDATES.pop(next(iter(_CANDIDATES)))
    _CANDIDATES[key] = version
    return version


def candidate_from_bytes(content: bytes, source: str) -> RulesVersion:
    if len(content) > MAX_CANDIDATE_BYTES:
        raise RulesError(f"{source}: the file is larger than "
                         f"{MAX_CANDIDATE_BYTES // 1024} KiB; a price list is a few KiB")
    try:
        decoded = content.decode("utf-8")
    except UnicodeDecodeError:
        raise RulesError(f"{source}: not UTF-8 text") from None
    return candidate_from_text(decoded, source)


def candidate_from_file(path: Path) -> RulesVersion:
    """A candidate rules file anywhere on disk (not only under pricing_rules/)."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise RulesError(f"{path}: cannot read the file: {exc.strerror}") from None
    return candidate_from_bytes(content, str(path))


# ---------------------------------------------------------------- the query


@dataclass(frozen=True, slots=True)
class SimulationQuery:
    date_from: date
    date_to: date
    statuses: tuple[str, ...] = DEFAULT_STATUSES


def parse_statuses(text: str | Iterable[str] | None) -> tuple[str, ...]:
    """"sent,accepted" -> ("sent", "accepted"); empty: every status but deleted."""
    if text is None:
        return DEFAULT_STATUSES
    parts = text.split(",") if isinstance(text, str) else list(text)
    chosen = [part.strip().lower() for part in parts if part.strip()]
    if not chosen:
        return DEFAULT_STATUSES
    known = {s.value for s in QuoteStatus}
    unknown = [status for status in chosen if status not in known]
    if unknown:
        raise QuoteInputError.single(
            "status", f"unknown status(es) {', '.join(unknown)}; allowed: "
            f"{', '.join(s.value for s in QuoteStatus)}")
    return tuple(dict.fromkeys(chosen))


def make_query(date_from: date | None, date_to: date | None,
               statuses: str | Iterable[str] | None = None) -> SimulationQuery:
    problems = []
    if date_from is None:
        problems.append(("from", "give the first quote date of the period (YYYY-MM-DD)"))
    if date_to is None:
        problems.append(("to", "give the last quote date of the period (YYYY-MM-DD)"))
    if date_from and date_to and date_to < date_from:
        problems.append(("to", f"{date_to} is before {date_from}"))
    if problems:
        raise QuoteInputError([FieldProblem(name, message) for name, message in problems])
    assert date_from is not None
    assert date_to is not None
    return SimulationQuery(date_from, date_to, parse_statuses(statuses))


# ---------------------------------------------------------------- results


def percent_change(old: Decimal, new: Decimal) -> Decimal | None:
    if old == 0:
        return None if new != 0 else Decimal(0)
    return ((new - old) * HUNDRED / old).quantize(CENT, rounding=ROUND_HALF_UP)


def bucket_of(percent: Decimal) -> str:
    if percent == 0:
        return "0"
    for key, low, high in BUCKETS:
        if key == "0":
            continue
        above = low is None or (percent > low if low == 0 else percent >= low)
        below = high is None or percent < high
        if above and below:
            return key
    raise AssertionError(percent)  # the buckets cover every number


@dataclass(frozen=True, slots=True)
class QuoteChange:
    """One quote, its current revision priced as stored and under the candidate."""

    number: str
    status: str
    revision: int
    quote_date: date
    discount_percent: Decimal
    program_currency: str
    old_program: Decimal
    license_currency: str
    old_licenses: Decimal
    old_requires_approval: bool
    new_program: Decimal | None = None
    new_licenses: Decimal | None = None
    new_requires_approval: bool | None = None
    problem: str | None = None
    # The same problems with their fields and codes, for a page to word them.
    problems: tuple[FieldProblem, ...] = ()

    @property
    def priced(self) -> bool:
        return self.problem is None

    @property
    def program_difference(self) -> Decimal | None:
        return None if self.new_program is None else self.new_program - self.old_program

    @property
    def license_difference(self) -> Decimal | None:
        return None if self.new_licenses is None else self.new_licenses - self.old_licenses

    @property
    def program_percent(self) -> Decimal | None:
        return (None if self.new_program is None
                else percent_change(self.old_program, self.new_program))

    @property
    def license_percent(self) -> Decimal | None:
        return (None if self.new_licenses is None
                else percent_change(self.old_licenses, self.new_licenses))

    @property
    def approval_crossing(self) -> str | None:
        """"into" approval, "out_of" it, or None when the candidate leaves it as it was."""
        if self.new_requires_approval is None:
            return None
        if self.new_requires_approval and not self.old_requires_approval:
            return "into"
        if self.old_requires_approval and not self.new_requires_approval:
            return "out_of"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number, "status": self.status, "revision": self.revision,
            "quote_date": self.quote_date.isoformat(),
            "discount_percent": str(self.discount_percent),
            "priced": self.priced, "problem": self.problem,
            "program": {"currency": self.program_currency, "old": str(self.old_program),
                        "new": _text(self.new_program),
                        "difference": _text(self.program_difference),
                        "percent": _text(self.program_percent)},
            "licenses": {"currency": self.license_currency, "old": str(self.old_licenses),
                         "new": _text(self.new_licenses),
                         "difference": _text(self.license_difference),
                         "percent": _text(self.license_percent)},
            "requires_approval": {"old": self.old_requires_approval,
                                  "new": self.new_requires_approval},
            "approval_crossing": self.approval_crossing,
        }


CSV_COLUMNS = ("number", "status", "revision", "quote_date", "discount_percent",
               "program_currency", "program_old", "program_new", "program_difference",
               "program_percent", "license_currency", "licenses_old", "licenses_new",
               "licenses_difference", "licenses_percent", "approval_crossing", "problem")


def csv_row(change: QuoteChange) -> tuple[str, ...]:
    return (change.number, change.status, str(change.revision), change.quote_date.isoformat(),
            str(change.discount_percent), change.program_currency, str(change.old_program),
            _text(change.new_program) or "", _text(change.program_difference) or "",
            _text(change.program_percent) or "", change.license_currency,
            str(change.old_licenses), _text(change.new_licenses) or "",
            _text(change.license_difference) or "", _text(change.license_percent) or "",
            change.approval_crossing or "", change.problem or "")


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@dataclass(slots=True)
class OldNew:
    old: Decimal = Decimal(0)
    new: Decimal = Decimal(0)

    def to_dict(self) -> dict[str, str | None]:
        return {"old": str(self.old), "new": str(self.new),
                "difference": str(self.new - self.old),
                "percent": _text(percent_change(self.old, self.new))}


@dataclass(slots=True)
class SimulationReport:
    candidate_version: str
    market: str
    query: SimulationQuery
    discount_limit: Decimal
    changes: list[QuoteChange] = field(default_factory=list)
    program_totals: dict[str, OldNew] = field(default_factory=dict)
    license_totals: dict[str, OldNew] = field(default_factory=dict)
    accepted_revenue: dict[str, OldNew] = field(default_factory=dict)
    program_buckets: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(BUCKET_KEYS, 0))
    license_buckets: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(BUCKET_KEYS, 0))

    @property
    def count(self) -> int:
        return len(self.changes)

    @property
    def priced_count(self) -> int:
        return sum(1 for change in self.changes if change.problem is None)

    @property
    def unpriced(self) -> list[QuoteChange]:
        return [change for change in self.changes if change.problem is not None]

    @property
    def crossings(self) -> list[QuoteChange]:
        return [change for change in self.changes if change.approval_crossing is not None]

    def largest_changes(self, limit: int) -> list[QuoteChange]:
        """The quotes whose program price moves most (either way), then the unpriced."""
        def weight(change: QuoteChange) -> tuple[int, Decimal]:
            percent = change.program_percent
            if change.problem is not None:
                return (0, Decimal(0))
            return (1, abs(percent) if percent is not None else Decimal(0))

        return sorted(self.changes, key=weight, reverse=True)[:limit]

    def summary(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate_version, "market": self.market,
            "from": self.query.date_from.isoformat(), "to": self.query.date_to.isoformat(),
            "statuses": list(self.query.statuses),
            "candidate_discount_without_approval": str(self.discount_limit),
            "count": self.count, "priced": self.priced_count,
            "not_priced": self.count - self.priced_count,
            "program_totals": {c: t.to_dict() for c, t in sorted(self.program_totals.items())},
            "license_totals": {c: t.to_dict() for c, t in sorted(self.license_totals.items())},
            "accepted_revenue": {c: t.to_dict()
                                 for c, t in sorted(self.accepted_revenue.items())},
            "distribution": [{"bucket": key, "program": self.program_buckets[key],
                              "licenses": self.license_buckets[key]} for key in BUCKET_KEYS],
            "approval_crossings": {
                "into": sum(1 for c in self.crossings if c.approval_crossing == "into"),
                "out_of": sum(1 for c in self.crossings if c.approval_crossing == "out_of"),
                "quotes": [c.number for c in self.crossings],
            },
        }

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), "quotes": [c.to_dict() for c in self.changes]}

    def add(self, change: QuoteChange) -> None:
        self.changes.append(change)
        if change.new_program is None or change.new_licenses is None:
            return
        _tally(self.program_totals, change.program_currency, change.old_program,
               change.new_program)
        _tally(self.license_totals, change.license_currency, change.old_licenses,
               change.new_licenses)
        if change.status == QuoteStatus.ACCEPTED:
            _tally(self.accepted_revenue, change.program_currency, change.old_program,
                   change.new_program)
            _tally(self.accepted_revenue, change.license_currency, change.old_licenses,
                   change.new_licenses)
        program_percent = change.program_percent
        if program_percent is not None:
            self.program_buckets[bucket_of(program_percent)] += 1
        if change.old_licenses or change.new_licenses:
            license_percent = change.license_percent
            if license_percent is not None:
                self.license_buckets[bucket_of(license_percent)] += 1


def _tally(totals: dict[str, OldNew], currency: str, old: Decimal, new: Decimal) -> None:
    entry = totals.get(currency)
    if entry is None:
        entry = totals[currency] = OldNew()
    entry.old += old
    entry.new += new


# ---------------------------------------------------------------- running it


@contextmanager
def read_only_session(engine: Engine) -> Iterator[Session]:
    """A session that cannot write: PostgreSQL's READ ONLY transaction, SQLite's
    query_only (undone before the connection goes back to the pool); rolled back."""
    with Session(engine) as session:
        sqlite = engine.dialect.name == "sqlite"
        if engine.dialect.name == "postgresql":
            session.execute(text("SET TRANSACTION READ ONLY"))
        elif sqlite:
            session.execute(text("PRAGMA query_only = ON"))
        try:
            yield session
        finally:
            session.rollback()
            if sqlite:
                session.execute(text("PRAGMA query_only = OFF"))
                session.rollback()


def simulate(session: Session, candidate: RulesVersion, query: SimulationQuery) -> SimulationReport:
    """Re-price the current revision of every quote of the candidate's market whose
    quote date is in the period and whose status is asked for (see the module)."""
    report = SimulationReport(candidate.version, candidate.market.value, query,
                              candidate.discount_without_approval)
    limit = candidate.discount_without_approval
    statement = (
        select(Quote.id, Quote.number, Quote.status, QuoteRevision.revision,
               QuoteRevision.quote_date,
               # The request as JSON text: pydantic parses it faster than json.loads
               # followed by validating the dict.
               cast(QuoteRevision.request, Text),
               QuoteRevision.requires_approval, QuoteRevision.program_currency,
               QuoteRevision.program_total_minor, QuoteRevision.license_currency,
               QuoteRevision.license_total_minor)
        .join(QuoteRevision, (QuoteRevision.quote_id == Quote.id)
              & (QuoteRevision.revision == Quote.current_revision))
        .where(Quote.market == candidate.market.value,
               Quote.quote_date >= query.date_from, Quote.quote_date <= query.date_to,
               Quote.status.in_(query.statuses))
        .order_by(Quote.quote_date, Quote.id)
        .execution_options(yield_per=ROWS_PER_FETCH)
    )
    validate = QuoteRequest.model_validate_json
    add = report.add
    for (quote_id, number, status, revision, quote_date, stored, old_approval,
         program_currency, program_minor, license_currency, license_minor
         ) in session.execute(statement):
        old_program = from_minor(program_minor, program_currency)
        old_licenses = from_minor(license_minor, license_currency)
        base = (number or draft_reference(quote_id), status, revision, quote_date)
        try:
            request = validate(stored)
            priced = price(request, candidate, quote_date)
        except (QuoteInputError, ValidationError, ValueError) as exc:
            add(QuoteChange(*base, _stored_discount(stored), program_currency, old_program,
                            license_currency, old_licenses, bool(old_approval),
                            problem=_reason(exc),
                            problems=tuple(exc.problems) if isinstance(exc, QuoteInputError)
                            else ()))
            continue
        new_program, new_licenses = priced.program, priced.licenses
        moved = None
        if new_program.currency != program_currency:
            moved = FieldProblem(
                "currency", f"the candidate prices this quote in {new_program.currency}, it "
                f"was quoted in {program_currency}", code="currency_changed",
                params=(("new", new_program.currency), ("old", program_currency)))
        elif request.licenses and new_licenses.currency != license_currency:
            moved = FieldProblem(
                "licenses", f"the candidate prices licenses in {new_licenses.currency}, they "
                f"were quoted in {license_currency}", code="currency_changed",
                params=(("new", new_licenses.currency), ("old", license_currency)))
        if moved is not None:
            add(QuoteChange(*base, request.discount_percent, program_currency, old_program,
                            license_currency, old_licenses, bool(old_approval),
                            problem=str(moved), problems=(moved,)))
            continue
        add(QuoteChange(*base, request.discount_percent, program_currency, old_program,
                        license_currency, old_licenses, bool(old_approval),
                        new_program.total.amount, new_licenses.total.amount,
                        request.discount_percent > limit))
    return report


def _stored_discount(stored: str) -> Decimal:
    """The discount of a stored request that no longer validates, as far as it reads."""
    try:
        decoded = json.loads(stored)
        return Decimal(str(decoded.get("discount_percent", "0")))
    except (ValueError, ArithmeticError, AttributeError):
        return Decimal(0)


def _reason(exc: Exception) -> str:
    if isinstance(exc, QuoteInputError):
        return "; ".join(str(problem) for problem in exc.problems)
    if isinstance(exc, ValidationError):
        return "the stored request is no longer valid: " + _describe(exc)
    return str(exc)

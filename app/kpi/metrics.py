"""The partner's figures (issue 14): every figure an aggregate computed by the database.

A partner's clients are the users with role CLIENT whose ``first_partner`` is the
partner (the partner that signed them in first); "every partner" means every client
with a first partner. A client's first sign-in is ``users.created_at``: the partner
sign-in that registered them (``app.identity.signin``).

The period is ``[start, end)``, half-open, at most ``MAX_PERIOD_DAYS`` long. Each figure
is one SQL statement over the whole history in the database (aggregates, window
functions for the percentiles: ``ROW_NUMBER``/``COUNT`` over the ordered values, which
SQLite and PostgreSQL both have); nothing row by row in Python, and the number of
statements does not depend on the size of the history. Times are compared as UTC epoch
seconds, floored on both databases, so both give the same numbers:

- median: the middle value, or the mean of the two middle values of an even count (as
  ``statistics.median`` and ``careStats`` do);
- p90: nearest rank, the value at rank ``ceil(0.9 * n)`` of the ``n`` values ordered
  ascending;
- shares: a float in [0, 1], null when the denominator is 0.

The definitions are also the schema's descriptions (``schema.kpi.types``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app import policy
from app.core import clock
from app.core.errors import BadInput
from app.core.messages import Msg
from app.core.sql import bind, fetch_rows, is_sqlite
from app.core.zones import is_time_zone, zone
from app.identity.viewer import Viewer
from app.kpi.local_days import (
    Offsets,
    day_of,
    local_day_sql,
    local_days,
    offsets,
)
from models.booking import BookingStatus
from models.enums import Role, ServiceKind
from models.identity import DEFAULT_PARTNER_TIMEZONE, Partner, User

MAX_PERIOD_DAYS = 366
CONVERSION_WINDOW_DAYS = 30
POSITIVE_RATING = 4  # 4 and 5 are positive (as app.catalogue.reviews)
MAX_ID = 2**31 - 1  # partners.id is a 32-bit integer: a larger id names no partner
ALL_PARTNERS_TIMEZONE = DEFAULT_PARTNER_TIMEZONE
"""Local days of the figures of every partner at once: the service's default zone."""


# --- results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int


@dataclass(frozen=True)
class DayMedian:
    day: date
    clients: int
    median_minutes: float | None


@dataclass(frozen=True)
class FirstConsultation:
    clients: int
    median_minutes: float | None
    p90_minutes: float | None


@dataclass(frozen=True)
class CareResponse:
    answered: int
    median_seconds: float | None
    within_sla_share: float | None


@dataclass(frozen=True)
class Reviews:
    count: int
    average_rating: float | None
    positive_share: float | None


@dataclass(frozen=True)
class Metrics:
    partner: Partner | None  # None: every partner
    time_zone: str
    start: datetime
    end: datetime
    registrations: int
    registrations_by_day: list[DayCount]
    first_consultation: FirstConsultation
    first_consultation_by_day: list[DayMedian]
    repeat_rate: float | None
    care: CareResponse
    reviews: Reviews
    bookings_by_status: list[tuple[BookingStatus, int]]
    late_cancellation_rate: float | None
    no_show_rate: float | None
    checkup_conversion: float | None


# --- scope and period ---------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    partner: Partner | None
    time_zone: str


async def _own_scope(viewer: Viewer) -> int | None:
    """The partner the admin is scoped to (``users.scope_partner``), or None."""
    me = await User.get(id=viewer.user_id).only("id", "scope_partner_id")
    return me.scope_partner_id


async def resolve_scope(viewer: Viewer, partner_id: int | None, *, malformed: bool) -> Scope:
    """Whose figures: an admin scoped to a partner sees that one (another partner's id is a
    top-level FORBIDDEN), an unscoped admin the partner asked for or, without one, every
    partner. A malformed id is BAD_USER_INPUT, an unknown one too (for an unscoped admin)."""
    policy.require_partner_metrics(viewer)
    if malformed:
        raise BadInput(Msg.MALFORMED_ID)
    wanted = policy.partner_metrics_scope(viewer, await _own_scope(viewer), partner_id)
    if wanted is None:
        return Scope(None, ALL_PARTNERS_TIMEZONE)
    partner = await Partner.get_or_none(id=wanted) if wanted <= MAX_ID else None
    if partner is None:
        raise BadInput(Msg.KPI_NO_SUCH_PARTNER)
    name = partner.timezone if is_time_zone(partner.timezone) else DEFAULT_PARTNER_TIMEZONE
    return Scope(partner, name)


async def visible_partner(viewer: Viewer, partner_id: int) -> Partner | None:
    """``node(Partner)``: for admins who may see that partner's figures; None otherwise."""
    if not policy.can_view_partner_metrics(viewer):
        return None
    own = await _own_scope(viewer)
    if own is not None and own != partner_id:
        return None
    return await Partner.get_or_none(id=partner_id) if partner_id <= MAX_ID else None


MAX_PARTNERS = 200


async def visible_partners(viewer: Viewer) -> list[Partner]:
    """The partners whose figures the admin may ask for, by name: a scoped admin's own,
    or every partner (at most ``MAX_PARTNERS``). Other roles: FORBIDDEN."""
    policy.require_partner_metrics(viewer)
    own = await _own_scope(viewer)
    query = Partner.all()
    if own is not None:
        query = query.filter(id=own)
    return await query.order_by("name", "id").limit(MAX_PARTNERS)


def check_period(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC: both with an offset, ``end`` later, at most a year long."""
    if start.tzinfo is None or end.tzinfo is None:
        raise BadInput(Msg.CARE_STATS_RANGE)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        raise BadInput(Msg.KPI_PERIOD_ORDER)
    if end - start > timedelta(days=MAX_PERIOD_DAYS):
        raise BadInput(Msg.KPI_PERIOD_TOO_LONG(days=MAX_PERIOD_DAYS))
    return start, end


# --- SQL pieces ---------------------------------------------------------------------------


def epoch(column: str) -> str:
    """UTC epoch seconds of a timestamp column, floored (not rounded) on both databases."""
    if is_sqlite():
        return f"CAST(strftime('%s', {column}) AS INTEGER)"
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"


FLOAT = "DOUBLE PRECISION"  # IEEE double on both (SQLite: REAL affinity)


def share(numerator: str, denominator: str) -> str:
    """``numerator / denominator`` as a float; NULL when the denominator is 0."""
    return f"CAST({numerator} AS {FLOAT}) / NULLIF({denominator}, 0)"


def median_of(rank: str = "rn", count: str = "n", value: str = "v") -> str:
    """Aggregate of ranked rows: the median (mean of the two middle values when even)."""
    return (
        f"AVG(CASE WHEN {rank} IN (({count} + 1) / 2, ({count} + 2) / 2) "
        f"THEN CAST({value} AS {FLOAT}) END)"
    )


def p90_of(rank: str = "rn", count: str = "n", value: str = "v") -> str:
    """Aggregate of ranked rows: the nearest-rank 90th percentile, rank ceil(0.9 n)."""
    return f"MAX(CASE WHEN {rank} = (9 * {count} + 9) / 10 THEN CAST({value} AS {FLOAT}) END)"


class _Query:
    """The parameters of one statement and the scope's clients as a sub-select."""

    def __init__(self, scope: Scope, start: datetime, end: datetime) -> None:
        self.scope, self.start, self.end = scope, start, end
        self.values: list[Any] = []

    def bind(self, value: Any) -> str:
        return bind(self.values, value)

    def clients(self) -> str:
        """``SELECT id, created_at`` of the scope's clients."""
        where = f"role = {self.bind(Role.CLIENT.value)} AND "
        if self.scope.partner is None:
            where += "first_partner_id IS NOT NULL"
        else:
            where += f"first_partner_id = {self.bind(self.scope.partner.id)}"
        return f"SELECT id, created_at FROM users WHERE {where}"  # noqa: S608 - our own SQL

    def within(self, column: str) -> str:
        return f"{column} >= {self.bind(self.start)} AND {column} < {self.bind(self.end)}"


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


# --- the figures --------------------------------------------------------------------------


async def _registrations(q: _Query, rules: Offsets) -> tuple[int, dict[date, int]]:
    """Clients first signed in within the period: in all, and per local day."""
    day = local_day_sql(epoch("c.created_at"), rules)
    rows = await fetch_rows(
        f"SELECT {day} AS d, COUNT(*), SUM(COUNT(*)) OVER () FROM ({q.clients()}) c "  # noqa: S608
        f"WHERE {q.within('c.created_at')} GROUP BY d",
        q.values,
    )
    total = int(rows[0][2]) if rows else 0
    return total, {day_of(int(d)): int(n) for d, n, _ in rows}


def _first_consultations(q: _Query) -> str:
    """Per client whose first COMPLETED booking (of any service, by start) started in the
    period: the start ``s`` (epoch) and the seconds from the first sign-in ``v``."""
    done = BookingStatus.COMPLETED.value
    return (
        f"SELECT f.s AS s, f.s - f.signed_in AS v FROM ("  # noqa: S608
        f"SELECT b.starts_at, {epoch('b.starts_at')} AS s, {epoch('c.created_at')} AS signed_in, "
        "ROW_NUMBER() OVER (PARTITION BY b.client_id ORDER BY b.starts_at, b.id) AS k "
        f"FROM bookings b JOIN ({q.clients()}) c ON c.id = b.client_id "
        f"WHERE b.status = {q.bind(done)}) f WHERE f.k = 1 AND {q.within('f.starts_at')}"
    )


async def _first_consultation(q: _Query) -> FirstConsultation:
    rows = await fetch_rows(
        f"SELECT COUNT(*), {median_of()}, {p90_of()} FROM ("  # noqa: S608
        "SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS rn, COUNT(*) OVER () AS n "
        f"FROM ({_first_consultations(q)}) w) r",
        q.values,
    )
    clients, median, p90 = rows[0]
    return FirstConsultation(
        int(clients),
        None if median is None else float(median) / 60,
        None if p90 is None else float(p90) / 60,
    )


async def _first_consultation_by_day(q: _Query, rules: Offsets) -> dict[date, tuple[int, float]]:
    day = local_day_sql("w.s", rules)
    rows = await fetch_rows(
        f"SELECT d, COUNT(*), {median_of()} FROM ("  # noqa: S608
        f"SELECT {day} AS d, w.v AS v, ROW_NUMBER() OVER (PARTITION BY {day} ORDER BY w.v) "
        f"AS rn, COUNT(*) OVER (PARTITION BY {day}) AS n FROM ({_first_consultations(q)}) w"
        ") r GROUP BY d",
        q.values,
    )
    return {day_of(int(d)): (int(n), float(m) / 60) for d, n, m in rows}


def _session_kinds(q: _Query) -> str:
    """``kind`` is a session (anything but a checkup)."""
    return f"kind <> {q.bind(ServiceKind.CHECKUP.value)}"


async def _repeat_rate(q: _Query) -> float | None:
    done = BookingStatus.COMPLETED.value
    rows = await fetch_rows(
        f"SELECT {share('SUM(CASE WHEN total >= 2 THEN 1 ELSE 0 END)', 'COUNT(*)')} FROM ("  # noqa: S608
        f"SELECT b.client_id, SUM(CASE WHEN {q.within('b.starts_at')} THEN 1 ELSE 0 END) "
        "AS in_period, COUNT(*) AS total FROM bookings b "
        f"JOIN ({q.clients()}) c ON c.id = b.client_id "
        "JOIN services sv ON sv.id = b.service_id "
        f"WHERE b.status = {q.bind(done)} AND sv.{_session_kinds(q)} "
        f"AND b.starts_at < {q.bind(q.end)} GROUP BY b.client_id) t WHERE in_period > 0",
        q.values,
    )
    return _float(rows[0][0])


async def _care(q: _Query, now: datetime) -> CareResponse:
    waits = (
        "SELECT w.sla_due_at, w.answered_at, COALESCE(w.response_seconds, 0) AS v "  # noqa: S608
        "FROM care_waits w JOIN care_conversations cv ON cv.id = w.conversation_id "
        f"JOIN ({q.clients()}) c ON c.id = cv.client_id WHERE {q.within('w.started_at')} "
        f"AND (w.answered_at IS NOT NULL OR w.sla_due_at <= {q.bind(now)})"
    )
    rows = await fetch_rows(
        "SELECT COUNT(*), "  # noqa: S608
        "SUM(CASE WHEN answered_at IS NOT NULL THEN 1 ELSE 0 END), "
        f"{share('SUM(CASE WHEN answered_at <= sla_due_at THEN 1 ELSE 0 END)', 'COUNT(*)')}, "
        f"{median_of()} FROM ("
        "SELECT sla_due_at, answered_at, v, CASE WHEN answered_at IS NULL THEN NULL ELSE "
        "ROW_NUMBER() OVER (PARTITION BY answered_at IS NULL ORDER BY v) END AS rn, "
        "SUM(CASE WHEN answered_at IS NULL THEN 0 ELSE 1 END) OVER () AS n "
        f"FROM ({waits}) x) r",
        q.values,
    )
    _waits, answered, within, median = rows[0]
    return CareResponse(int(answered or 0), _float(median), _float(within))


async def _reviews(q: _Query) -> Reviews:
    positive = f"SUM(CASE WHEN r.rating >= {int(POSITIVE_RATING)} THEN 1 ELSE 0 END)"
    rows = await fetch_rows(
        f"SELECT COUNT(*), AVG(CAST(r.rating AS {FLOAT})), {share(positive, 'COUNT(*)')} "  # noqa: S608
        f"FROM reviews r JOIN ({q.clients()}) c ON c.id = r.author_id "
        f"WHERE {q.within('r.created_at')}",
        q.values,
    )
    count, average, positive_share = rows[0]
    return Reviews(int(count), _float(average), _float(positive_share))


async def _bookings(
    q: _Query,
) -> tuple[dict[BookingStatus, int], float | None, float | None]:
    s = BookingStatus
    late = f"SUM(CASE WHEN b.status = {q.bind(s.LATE_CANCELLED.value)} THEN COUNT(*) ELSE 0 END)"
    live = f"SUM(CASE WHEN b.status <> {q.bind(s.RESCHEDULED.value)} THEN COUNT(*) ELSE 0 END)"
    missed = f"SUM(CASE WHEN b.status = {q.bind(s.NO_SHOW.value)} THEN COUNT(*) ELSE 0 END)"
    due = (
        f"SUM(CASE WHEN b.status IN ({q.bind(s.NO_SHOW.value)}, {q.bind(s.COMPLETED.value)}) "
        "THEN COUNT(*) ELSE 0 END)"
    )
    rows = await fetch_rows(
        f"SELECT b.status, COUNT(*), {share(f'{late} OVER ()', f'{live} OVER ()')}, "  # noqa: S608
        f"{share(f'{missed} OVER ()', f'{due} OVER ()')} "
        f"FROM bookings b JOIN ({q.clients()}) c ON c.id = b.client_id "
        f"WHERE {q.within('b.starts_at')} GROUP BY b.status",
        q.values,
    )
    counts = {BookingStatus(status): int(n) for status, n, _, _ in rows}
    late_rate = _float(rows[0][2]) if rows else None
    no_show_rate = _float(rows[0][3]) if rows else None
    return counts, late_rate, no_show_rate


async def _checkup_conversion(q: _Query) -> float | None:
    window = CONVERSION_WINDOW_DAYS * 86_400
    done = BookingStatus.COMPLETED.value
    booked = (
        "SELECT 1 FROM bookings x JOIN services xs ON xs.id = x.service_id "  # noqa: S608
        f"WHERE x.client_id = k.client_id AND xs.{_session_kinds(q)} "
        f"AND {epoch('x.created_at')} >= k.s AND {epoch('x.created_at')} < k.s + {int(window)}"
    )
    checkups = (
        f"SELECT b.client_id, {epoch('b.starts_at')} AS s FROM bookings b "  # noqa: S608
        "JOIN services sv ON sv.id = b.service_id "
        f"JOIN ({q.clients()}) c ON c.id = b.client_id "
        f"WHERE sv.kind = {q.bind(ServiceKind.CHECKUP.value)} AND b.status = {q.bind(done)} "
        f"AND {q.within('b.starts_at')}"
    )
    rows = await fetch_rows(
        f"SELECT {share('SUM(converted)', 'COUNT(*)')} FROM ("  # noqa: S608
        "SELECT k.client_id, MAX(CASE WHEN EXISTS ("
        f"{booked}) THEN 1 ELSE 0 END) AS converted FROM ({checkups}) k GROUP BY k.client_id) t",
        q.values,
    )
    return _float(rows[0][0])


async def partner_metrics(
    viewer: Viewer,
    start: datetime,
    end: datetime,
    partner_id: int | None,
    *,
    malformed_partner_id: bool = False,
    now: datetime | None = None,
) -> Metrics:
    """The figures of ``[start, end)`` for the viewer's scope: two statements to decide
    the scope, then one per figure (nine in all, whatever the history)."""
    policy.require_partner_metrics(viewer)
    start, end = check_period(start, end)
    scope = await resolve_scope(viewer, partner_id, malformed=malformed_partner_id)
    now = now or clock.now()
    tz = zone(scope.time_zone)
    rules = offsets(tz, start, end)
    days = local_days(tz, start, end)

    def query() -> _Query:
        return _Query(scope, start, end)

    registrations, per_day = await _registrations(query(), rules)
    first = await _first_consultation(query())
    first_by_day = await _first_consultation_by_day(query(), rules)
    repeat = await _repeat_rate(query())
    care = await _care(query(), now)
    reviews = await _reviews(query())
    by_status, late_rate, no_show_rate = await _bookings(query())
    conversion = await _checkup_conversion(query())
    return Metrics(
        partner=scope.partner,
        time_zone=scope.time_zone,
        start=start,
        end=end,
        registrations=registrations,
        registrations_by_day=[DayCount(d, per_day.get(d, 0)) for d in days],
        first_consultation=first,
        first_consultation_by_day=[DayMedian(d, *first_by_day.get(d, (0, None))) for d in days],
        repeat_rate=repeat,
        care=care,
        reviews=reviews,
        bookings_by_status=[(s, by_status.get(s, 0)) for s in BookingStatus],
        late_cancellation_rate=late_rate,
        no_show_rate=no_show_rate,
        checkup_conversion=conversion,
    )

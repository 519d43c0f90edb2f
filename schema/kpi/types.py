"""GraphQL types of the partner's figures. The descriptions are the definitions."""

from __future__ import annotations

from datetime import date

import strawberry

from app.kpi import metrics as svc
from app.kpi.metrics import CONVERSION_WINDOW_DAYS, MAX_PERIOD_DAYS
from models.identity import Partner as PartnerRow
from schema.booking.types import BookingStatus
from schema.relay import Node, to_global_id

SHARE = "A float in [0, 1]; null when the denominator is 0."
PERIOD = "`[from, to)`: `from` included, `to` excluded"
CLIENTS = (
    "The partner's clients are the clients whose first sign-in came through the partner "
    "(their first partner); their first sign-in is when that sign-in registered them."
)


@strawberry.type(description="A partner app that signs its users in (admins only).")
class Partner(Node):
    name: str = strawberry.field(description="The partner's short name.")
    time_zone: str = strawberry.field(
        description="IANA zone of the partner's figures: their days are its local days."
    )

    @classmethod
    def from_model(cls, row: PartnerRow) -> Partner:
        return cls(
            id=strawberry.ID(to_global_id("Partner", row.id)), name=row.name, time_zone=row.timezone
        )


@strawberry.type(description="A number of things on one local day.")
class DayCount:
    date: date = strawberry.field(description="The local date (in `PartnerMetrics.timeZone`).")
    count: int = strawberry.field(description="How many on that date.")


@strawberry.type(description="First consultations of the clients on one local day.")
class DayMedian:
    date: date = strawberry.field(description="The local date of the consultations' start.")
    clients: int = strawberry.field(
        description="Clients whose first completed consultation started that day."
    )
    median_minutes: float | None = strawberry.field(
        description="Median minutes from their first sign-in to it; null without clients."
    )


@strawberry.type(
    description="From first sign-in to the first consultation that took place. Counted: "
    "the clients whose first COMPLETED booking (of any service, the first by start time, "
    f"ever) started in the period, {PERIOD}. Minutes from the client's first sign-in to "
    "that booking's start (whole seconds / 60)."
)
class TimeToFirstConsultation:
    clients: int = strawberry.field(description="How many clients are counted.")
    median_minutes: float | None = strawberry.field(
        description="The median: the middle value, or the mean of the two middle values of "
        "an even count; null without clients."
    )
    p90_minutes: float | None = strawberry.field(
        description="The 90th percentile by nearest rank: the value at rank ceil(0.9 * n) "
        "of the n values in ascending order; null without clients."
    )


@strawberry.type(
    description="The care team's first responses to the partner's clients, as `careStats` "
    f"measures them: the waits (a client's message the team has not answered yet) that "
    f"began in the period, {PERIOD}, and are answered or past their 5-minute due time "
    "(a wait still open and not yet due is not counted)."
)
class CareFirstResponse:
    answered: int = strawberry.field(description="Counted waits that were answered.")
    median_seconds: float | None = strawberry.field(
        description="Median seconds from the wait's start to the first care-team reply, of "
        "the answered waits (the mean of the two middle values of an even count); null "
        "without answered waits."
    )
    within_sla_share: float | None = strawberry.field(
        description="Waits answered by their due time (5 minutes) / counted waits (answered "
        f"or overdue). {SHARE}"
    )


@strawberry.type(
    description=f"Reviews written in the period, {PERIOD}, by the partner's clients "
    "(published or not)."
)
class PartnerReviews:
    count: int = strawberry.field(description="How many reviews.")
    average_rating: float | None = strawberry.field(
        description="The mean rating (1 to 5); null without reviews."
    )
    positive_share: float | None = strawberry.field(
        description=f"Reviews rated 4 or 5 / all counted reviews. {SHARE}"
    )


@strawberry.type(description="How many bookings have one status.")
class StatusCount:
    status: BookingStatus = strawberry.field(  # type: ignore[valid-type]
        description="The booking status counted."
    )
    count: int = strawberry.field(description="Bookings with that status now.")


@strawberry.type(
    description=f"The partner's figures over a period, {PERIOD}, at most {MAX_PERIOD_DAYS} "
    f"days long. {CLIENTS} Shares are floats in [0, 1], null when their denominator is 0. "
    "Computed by the database from the whole history at the time of the query."
)
class PartnerMetrics:
    partner: Partner | None = strawberry.field(
        description="Whose figures: null when they are every partner's together."
    )
    time_zone: str = strawberry.field(
        description="The zone of the local days: the partner's, or for every partner "
        f"together the service's default ({svc.ALL_PARTNERS_TIMEZONE})."
    )
    registrations: int = strawberry.field(
        description=f"The partner's clients first signed in within the period, {PERIOD}."
    )
    registrations_by_day: list[DayCount] = strawberry.field(
        description="`registrations` per local date of the first sign-in, every date the "
        "period touches in order, days without registrations included (count 0)."
    )
    time_to_first_consultation: TimeToFirstConsultation = strawberry.field(
        description="From first sign-in to the first consultation that took place."
    )
    time_to_first_consultation_by_day: list[DayMedian] = strawberry.field(
        description="`timeToFirstConsultation` per local date of the consultation's start, "
        "every date the period touches in order, days without any included (clients 0)."
    )
    repeat_rate: float | None = strawberry.field(
        description="Of the partner's clients with a COMPLETED session (a session service, "
        f"not a checkup) that started in the period, {PERIOD}, the share with two or more "
        "COMPLETED sessions in total, counting every one that started before `to`. " + SHARE
    )
    care_first_response: CareFirstResponse = strawberry.field(
        description="How fast the care team first answered the partner's clients."
    )
    reviews: PartnerReviews = strawberry.field(
        description="What the partner's clients said of their sessions."
    )
    bookings_by_status: list[StatusCount] = strawberry.field(
        description=f"The partner's clients' bookings that start in the period, {PERIOD}, "
        "by their status now; every status, in a fixed order, zeros included."
    )
    late_cancellation_rate: float | None = strawberry.field(
        description="LATE_CANCELLED / the bookings starting in the period except "
        f"RESCHEDULED ones (superseded by the booking they became). {SHARE}"
    )
    no_show_rate: float | None = strawberry.field(
        description="NO_SHOW / (COMPLETED + NO_SHOW) of the bookings starting in the period: "
        f"of the sessions that were due and closed, the share the client missed. {SHARE}"
    )
    checkup_to_session_conversion: float | None = strawberry.field(
        description="Of the partner's clients with a COMPLETED checkup (a CHECKUP service) "
        f"that started in the period, {PERIOD}, the share who booked a session (any other "
        f"service kind; any status since) within {CONVERSION_WINDOW_DAYS} days of the "
        "checkup's start: booked at or after it, less than "
        f"{CONVERSION_WINDOW_DAYS} * 24 hours later (also after `to`). A client counts once. "
        + SHARE
    )

    @classmethod
    def from_result(cls, r: svc.Metrics) -> PartnerMetrics:
        first = r.first_consultation
        return cls(
            partner=Partner.from_model(r.partner) if r.partner is not None else None,
            time_zone=r.time_zone,
            registrations=r.registrations,
            registrations_by_day=[
                DayCount(date=d.day, count=d.count) for d in r.registrations_by_day
            ],
            time_to_first_consultation=TimeToFirstConsultation(
                clients=first.clients,
                median_minutes=first.median_minutes,
                p90_minutes=first.p90_minutes,
            ),
            time_to_first_consultation_by_day=[
                DayMedian(date=d.day, clients=d.clients, median_minutes=d.median_minutes)
                for d in r.first_consultation_by_day
            ],
            repeat_rate=r.repeat_rate,
            care_first_response=CareFirstResponse(
                answered=r.care.answered,
                median_seconds=r.care.median_seconds,
                within_sla_share=r.care.within_sla_share,
            ),
            reviews=PartnerReviews(
                count=r.reviews.count,
                average_rating=r.reviews.average_rating,
                positive_share=r.reviews.positive_share,
            ),
            bookings_by_status=[StatusCount(status=s, count=n) for s, n in r.bookings_by_status],
            late_cancellation_rate=r.late_cancellation_rate,
            no_show_rate=r.no_show_rate,
            checkup_to_session_conversion=r.checkup_conversion,
        )

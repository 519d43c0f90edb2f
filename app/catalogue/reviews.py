"""Reviews after sessions: who may leave one, and the psychologist's rating that follows.

- Only the booking's client, only once the booking is COMPLETED, once per booking (the
  unique ``reviews.booking_id`` holds it when two requests race); a rating of 1 to 5 and
  at most 2,000 characters of text. A review never shows who wrote it.
- The psychologist's ``rating_avg`` / ``review_count`` / ``sort_rating`` are recomputed
  from the reviews in the review's own transaction (``refresh_stats``), after a row lock
  on the psychologist (PostgreSQL), so two reviews written at once cannot both compute
  from a snapshot missing the other: no drift, and the catalogue's RATING_DESC order
  follows at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from app.booking import service as bookings
from app.booking.errors import BookingErrorCode
from app.catalogue.service import refresh_stats
from app.core import clock
from app.core.errors import Refused
from app.core.messages import Msg
from app.core.sql import lock_rows
from app.identity.viewer import Viewer
from app.policy import booking_not_found, is_booking_client
from models.booking import BookingStatus
from models.catalogue import Psychologist, Review

MAX_TEXT = 2000
POSITIVE = 4  # ratings of 4 and 5 count as positive


def _already() -> Refused:
    return Refused(BookingErrorCode.ALREADY_REVIEWED, Msg.ALREADY_REVIEWED, "bookingId")


async def leave_review(
    viewer: Viewer,
    booking_id: int | None,
    rating: int,
    text: str | None,
    *,
    now: datetime | None = None,
) -> Review:
    booking = await bookings.get_booking(booking_id)
    if booking is None or not is_booking_client(viewer, booking):
        raise booking_not_found()
    if not 1 <= rating <= 5:
        raise Refused(BookingErrorCode.INVALID_INPUT, Msg.RATING_RANGE, "rating")
    body = (text or "").strip()
    if len(body) > MAX_TEXT:
        raise Refused(BookingErrorCode.INVALID_INPUT, Msg.REVIEW_TOO_LONG(limit=MAX_TEXT), "text")
    if booking.status != BookingStatus.COMPLETED:
        raise Refused(BookingErrorCode.NOT_COMPLETED, Msg.NOT_COMPLETED, "bookingId")
    if await Review.exists(booking_id=booking.id):
        raise _already()
    pid = booking.psychologist_id
    try:
        async with in_transaction():
            await lock_rows(Psychologist.filter(id=pid))
            # Read after the lock: of one psychologist's reviews, a later id is a later
            # time (the reviews connection pages newest first by id).
            created_at = now or clock.now()
            review = await Review.create(
                psychologist_id=pid,
                author_id=viewer.user_id,
                booking_id=booking.id,
                rating=rating,
                text=body,
                created_at=created_at,
            )
            await refresh_stats([pid])
    except IntegrityError as exc:  # the same booking reviewed by a racing request
        raise _already() from exc
    return review


@dataclass(frozen=True)
class ReviewStats:
    count: int
    positive: int
    by_rating: dict[int, int]

    @property
    def positive_share(self) -> float | None:
        return self.positive / self.count if self.count else None

    @property
    def average(self) -> float | None:
        if not self.count:
            return None
        return sum(r * n for r, n in self.by_rating.items()) / self.count


async def review_stats(psychologist_id: int | None = None) -> ReviewStats:
    """Published reviews by rating (one psychologist's or everyone's), in one statement."""
    qs = Review.filter(is_published=True)
    if psychologist_id is not None:
        qs = qs.filter(psychologist_id=psychologist_id)
    rows = await qs.group_by("rating").annotate(n=Count("id")).values("rating", "n")
    by_rating = dict.fromkeys(range(1, 6), 0)
    for row in rows:
        by_rating[int(row["rating"])] = int(row["n"])
    count = sum(by_rating.values())
    positive = sum(n for r, n in by_rating.items() if r >= POSITIVE)
    return ReviewStats(count, positive, by_rating)

"""``partnerMetrics`` against a known history, built through the services with a moved clock.

Given two partners and their clients' sign-ins, bookings, sessions held or missed,
checkups, reviews and care-chat waits, all far in the future (a period no other test
reaches, so "every partner" holds this history only), when an admin asks for the
figures, then every figure is exactly what the history says, on SQLite and PostgreSQL;
with the same number of SQL statements for an empty, a small and a larger history.
An admin scoped to a partner sees that partner only; other roles are refused.
"""

from __future__ import annotations

import itertools
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine
from starlette.applications import Starlette

from app.booking import service as bookings
from app.booking.service import SlotRef
from app.catalogue import reviews
from app.chat import service as chat
from app.checkup import service as checkups
from app.core.settings import Settings
from app.identity.staff import create_staff
from app.identity.viewer import Viewer
from app.runtime import Runtime
from models.booking import BookingStatus
from models.catalogue import Psychologist, Service
from models.chat import Conversation
from models.enums import Role, ServiceKind
from models.identity import Partner, User
from schema.relay import to_global_id
from tests.booking.conftest import MakePsychologist
from tests.factories import SignedIn, fresh_token, next_phone, signed_in
from tests.helpers import count_sql, error_codes, gql, gql_raw, op
from tests.identity.support import FakePartner, make_partner, sign_in

# Each history has a window of its own, years ahead: no other test reaches it, and a kept
# PostgreSQL test database holds an earlier run's history at another random place.
WINDOW_DAYS = 20
_START = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
    days=3000 + WINDOW_DAYS * secrets.randbelow(2000)
)
_windows = itertools.count()
FROM = _START - timedelta(days=30)  # for the tests without a history
TO = FROM + timedelta(days=7)


EARLIEST = datetime.min.replace(tzinfo=UTC)


def new_window() -> datetime:
    """Day 0 of a new history: a UTC midnight."""
    return _START + timedelta(days=WINDOW_DAYS * next(_windows))


def viewer(user: User) -> Viewer:
    return Viewer(user.id, user.role, "kpi-test", datetime.max.replace(tzinfo=UTC))


async def register(client: httpx.AsyncClient, partner: FakePartner, when: datetime) -> User:
    """A new client, signed in through ``partner`` at ``when``."""
    phone = next_phone()
    with time_machine.travel(when, tick=False):
        signed = await sign_in(client, partner.mint(phone))
    assert signed["errors"] == [], signed
    assert signed["viewer"]["isNewUser"]
    return await User.get(phone_e164=phone)


async def say(
    settings: Settings, runtime: Runtime, author: User, conversation_id: int, when: datetime
) -> None:
    """A care-chat message at ``when``: a client's opens a wait, the care team's answers it."""
    with time_machine.travel(when, tick=False):
        await chat.send_message(
            viewer(author),
            conversation_id,
            "Здравствуйте!",
            uuid.uuid4().hex,
            sla_seconds=settings.care_sla_seconds,
            broker=runtime.chat.pubsub,
            limiter=runtime.limits,
        )


@dataclass
class History:
    """Drives the services at chosen moments (the clock frozen there)."""

    client: httpx.AsyncClient
    settings: Settings
    runtime: Runtime
    p: Psychologist
    shrink: SignedIn
    agent: SignedIn
    session: Service
    checkup: Service
    d: datetime = field(default_factory=new_window)
    users: dict[str, User] = field(default_factory=dict)
    last: datetime = EARLIEST

    def at(self, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
        return self.d + timedelta(days=day, hours=hour, minutes=minute, seconds=second)

    def local(self, day: int) -> str:
        return (self.d.date() + timedelta(days=day)).isoformat()

    @property
    def period(self) -> tuple[datetime, datetime]:
        """Days 0 to 6: ``[day 0, day 7)``."""
        return self.d, self.d + timedelta(days=7)

    def days(self, counts: dict[int, int]) -> list[dict[str, Any]]:
        """Per local date of the period in UTC+3 or UTC+10: days 0 to 7 (its end is day 7)."""
        return [{"date": self.local(d), "count": counts.get(d, 0)} for d in range(8)]

    def _travel(self, when: datetime) -> Any:
        """Into ``when``, the clock frozen there; the history only moves forward (as in
        life: ids and times of one table then agree, as the review pages expect)."""
        assert when >= self.last, (when, self.last)
        self.last = when
        return time_machine.travel(when, tick=False)

    async def register(self, name: str, partner: FakePartner, when: datetime) -> User:
        self._travel(when)  # the check; register() travels itself
        self.users[name] = await register(self.client, partner, when)
        return self.users[name]

    async def book(self, name: str, start: datetime, when: datetime, checkup: bool = False) -> int:
        service = self.checkup if checkup else self.session
        with self._travel(when):
            row = await bookings.book_slot(
                self.settings,
                viewer(self.users[name]),
                SlotRef(self.p.id, service.id, start),
                uuid.uuid4().hex,
            )
        return row.id

    async def close(self, booking_id: int, when: datetime, status: BookingStatus) -> None:
        with self._travel(when):
            await bookings.finish_booking(viewer(self.shrink.user), booking_id, status)

    async def close_checkup(self, booking_id: int, when: datetime) -> None:
        with self._travel(when):
            await checkups.complete_checkup(
                self.settings,
                viewer(self.shrink.user),
                booking_id,
                "Когнитивно-поведенческая терапия, десять встреч.",
                [],
                [],
            )

    async def cancel(self, name: str, booking_id: int, when: datetime) -> None:
        with self._travel(when):
            await bookings.cancel_booking(self.settings, viewer(self.users[name]), booking_id)

    async def move(self, name: str, booking_id: int, start: datetime, when: datetime) -> None:
        slot = SlotRef(self.p.id, self.session.id, start)
        with self._travel(when):
            await bookings.reschedule_booking(
                self.settings, viewer(self.users[name]), booking_id, slot
            )

    async def review(self, name: str, booking_id: int, rating: int, when: datetime) -> None:
        with self._travel(when):
            await reviews.leave_review(viewer(self.users[name]), booking_id, rating, None)

    async def ask(self, name: str, when: datetime) -> None:
        """The client writes to the care team (a wait begins)."""
        self._travel(when)
        user = self.users[name]
        conversation = await Conversation.get(client_id=user.id)
        await say(self.settings, self.runtime, user, conversation.id, when)

    async def answer(self, name: str, when: datetime) -> None:
        self._travel(when)
        conversation = await Conversation.get(client_id=self.users[name].id)
        await say(self.settings, self.runtime, self.agent.user, conversation.id, when)


async def _admin(partner: Partner | None = None) -> User:
    email = f"kpi-{uuid.uuid4().hex[:10]}@admin.test"
    return await create_staff(
        email,
        Role.ADMIN,
        "a long enough password",
        partner=partner.name if partner is not None else None,
    )


async def _metrics(
    client: httpx.AsyncClient,
    settings: Settings,
    user: User,
    partner: Partner | None = None,
    *,
    h: History,
    raw: bool = False,
) -> dict[str, Any]:
    """The figures of ``h``'s period, asked two days after it."""
    start, end = h.period
    variables: dict[str, Any] = {"from": start.isoformat(), "to": end.isoformat()}
    if partner is not None:
        variables["partnerId"] = to_global_id("Partner", partner.id)
    with time_machine.travel(end + timedelta(days=2), tick=False):
        token = await fresh_token(settings, user)
        if raw:
            return await gql_raw(client, op("PartnerMetrics"), variables, token)
        data = await gql(client, op("PartnerMetrics"), variables, token)
    result: dict[str, Any] = data["partnerMetrics"]
    return result


def _by_status(**counts: int) -> list[dict[str, Any]]:
    return [{"status": s.value, "count": counts.get(s.value, 0)} for s in BookingStatus]


@pytest.fixture
async def history(
    client: httpx.AsyncClient,
    settings: Settings,
    app: Starlette,
    make_psychologist: MakePsychologist,
) -> tuple[History, Partner, Partner]:
    ours = await make_partner()  # Europe/Moscow (UTC+3), the default
    theirs = await make_partner()
    await Partner.filter(id=theirs.partner.id).update(timezone="Asia/Vladivostok")  # UTC+10
    shrink = await signed_in(settings, Role.PSYCHOLOGIST)
    p = await make_psychologist(
        user_id=shrink.user.id, kinds=(ServiceKind.SESSION, ServiceKind.CHECKUP), horizon=60
    )
    h = History(
        client,
        settings,
        app.state.runtime,
        p,
        shrink,
        await signed_in(settings, Role.CARE_AGENT),
        await Service.get(psychologist_id=p.id, kind=ServiceKind.SESSION),
        await Service.get(psychologist_id=p.id, kind=ServiceKind.CHECKUP),
    )

    at, done = h.at, BookingStatus.COMPLETED
    # In the order of time. Clients of ours: A, B, C, E, F, H, J; of theirs: G.
    # E signed in before the period; a session before it (reviewed then) and one in it.
    await h.register("E", ours, at(-3, 12))
    e1 = await h.book("E", at(-1, 9), at(-3, 12, 5))
    await h.close(e1, at(-1, 9, 55), done)
    await h.review("E", e1, 2, at(-1, 10))  # before the period: not counted
    e2 = await h.book("E", at(1, 9), at(-1, 10, 5))

    # A: a checkup an hour after signing in, then two sessions booked right after it.
    await h.register("A", ours, at(0, 9))  # 12:00 in Moscow, day 0
    await h.ask("A", at(0, 9, 1))
    await h.answer("A", at(0, 9, 3))  # in 120 s: within the SLA
    a0 = await h.book("A", at(0, 10), at(0, 9, 5), checkup=True)
    await h.close_checkup(a0, at(0, 10, 5))
    a1 = await h.book("A", at(1, 12), at(0, 10, 10))  # converts the checkup
    a2 = await h.book("A", at(2, 12), at(0, 10, 11))

    # B signs in at 22:30 UTC: 01:30 the next day in Moscow.
    await h.register("B", ours, at(0, 22, 30))
    b1 = await h.book("B", at(1, 2), at(0, 22, 32))  # held 210 minutes after signing in
    await h.ask("B", at(0, 22, 33))
    await h.answer("B", at(0, 22, 43))  # 600 s: late
    await h.close(b1, at(1, 2, 55), done)
    await h.review("B", b1, 3, at(1, 3, 5))
    await h.close(e2, at(1, 9, 55), done)
    await h.close(a1, at(1, 12, 55), done)
    await h.review("A", a1, 5, at(1, 13, 5))

    # G signs in through the other partner (01:00 the next day in Vladivostok).
    await h.register("G", theirs, at(1, 15))
    await h.ask("G", at(1, 15, 1))
    await h.answer("G", at(1, 15, 1, 30))  # 30 s
    g1 = await h.book("G", at(2, 14), at(1, 15, 5))  # held 23 hours after signing in

    # H signs in at 21:30 UTC (00:30 the next day in Moscow) and cancels in time.
    await h.register("H", ours, at(1, 21, 30))
    h1 = await h.book("H", at(6, 15), at(1, 21, 40))
    await h.cancel("H", h1, at(1, 21, 45))

    # C: a session two hours after signing in; a checkup later, but the session C booked
    # next was booked before it (no conversion) and is held after the period.
    await h.register("C", ours, at(2, 8))
    await h.ask("C", at(2, 8, 1))
    c1 = await h.book("C", at(2, 10), at(2, 8, 5))
    await h.answer("C", at(2, 9, 1))  # 3600 s: late
    await h.close(c1, at(2, 10, 55), done)
    c3 = await h.book("C", at(8, 10), at(2, 10, 56))
    c2 = await h.book("C", at(3, 10), at(2, 10, 57), checkup=True)
    await h.review("C", c1, 4, at(2, 11))
    await h.close(a2, at(2, 12, 55), done)
    await h.close(g1, at(2, 14, 55), done)
    await h.review("G", g1, 1, at(2, 15))

    # F: a late cancellation, a no-show and a rescheduled booking still ahead.
    await h.register("F", ours, at(3, 9))
    f1 = await h.book("F", at(4, 10), at(3, 9, 5))
    f2 = await h.book("F", at(5, 10), at(3, 9, 6))
    f3 = await h.book("F", at(6, 10), at(3, 9, 7))
    await h.move("F", f3, at(6, 12), at(3, 9, 8))
    await h.close_checkup(c2, at(3, 10, 5))
    await h.cancel("F", f1, at(4, 9))  # an hour before: late
    await h.close(f2, at(5, 11), BookingStatus.NO_SHOW)

    # J: a session 30 minutes after signing in.
    await h.register("J", ours, at(5, 11, 30))
    j1 = await h.book("J", at(5, 12), at(5, 11, 35))
    await h.close(j1, at(5, 12, 55), done)
    await h.close(c3, at(8, 10, 55), done)
    return h, ours.partner, theirs.partner


async def test_every_figure_of_a_known_history(
    client: httpx.AsyncClient, settings: Settings, history: tuple[History, Partner, Partner]
) -> None:
    h, ours, theirs = history
    admin = await _admin()

    figures = await _metrics(client, settings, admin, ours, h=h)

    assert figures == {
        # A (day 0), B (day 1 in Moscow), C and H (day 2), F (day 3), J (day 5); the
        # period's last three hours are day 7 in Moscow. E signed in before.
        "registrations": 6,
        "registrationsByDay": h.days({0: 1, 1: 1, 2: 2, 3: 1, 5: 1}),
        # J 30, A 60 (the checkup is the first consultation), C 120, B 210 minutes; E's
        # first consultation was before the period, F's and H's never took place.
        "timeToFirstConsultation": {"clients": 4, "medianMinutes": 90.0, "p90Minutes": 210.0},
        # A and E of A, B, C, E, J: C's second session is after `to`, checkups are no sessions.
        "repeatRate": 0.4,
        # 120, 600 and 3600 seconds; one in time.
        "careFirstResponse": {"answered": 3, "medianSeconds": 600.0, "withinSlaShare": 1 / 3},
        # 5, 3, 4 (E's 2 is before the period, G is the other partner's)
        "reviews": {"count": 3, "averageRating": 4.0, "positiveShare": 2 / 3},
        "bookingsByStatus": _by_status(
            COMPLETED=8, LATE_CANCELLED=1, NO_SHOW=1, RESCHEDULED=1, CONFIRMED=1, CANCELLED=1
        ),
        "lateCancellationRate": 1 / 12,  # of the 12 bookings that are not RESCHEDULED
        "noShowRate": 1 / 9,  # of the 9 COMPLETED or NO_SHOW
        "checkupToSessionConversion": 0.5,  # A booked a session after the checkup, C before
    }

    # The other partner: their day is Vladivostok's.
    figures = await _metrics(client, settings, admin, theirs, h=h)
    assert figures["registrations"] == 1
    assert figures["registrationsByDay"] == h.days({2: 1})
    assert figures["timeToFirstConsultation"] == {
        "clients": 1,
        "medianMinutes": 1380.0,
        "p90Minutes": 1380.0,
    }
    assert figures["repeatRate"] == 0.0
    assert figures["careFirstResponse"] == {
        "answered": 1,
        "medianSeconds": 30.0,
        "withinSlaShare": 1.0,
    }
    assert figures["reviews"] == {"count": 1, "averageRating": 1.0, "positiveShare": 0.0}
    assert figures["bookingsByStatus"] == _by_status(COMPLETED=1)
    assert figures["lateCancellationRate"] == 0.0
    assert figures["noShowRate"] == 0.0
    assert figures["checkupToSessionConversion"] is None  # no checkup: no denominator

    # Every partner together, in the service's zone (Moscow): G signed in on day 1 there.
    figures = await _metrics(client, settings, admin, h=h)
    assert figures["registrations"] == 7
    assert figures["registrationsByDay"] == h.days({0: 1, 1: 2, 2: 2, 3: 1, 5: 1})
    assert figures["timeToFirstConsultation"] == {
        "clients": 5,
        "medianMinutes": 120.0,
        "p90Minutes": 1380.0,
    }
    assert figures["careFirstResponse"] == {
        "answered": 4,
        "medianSeconds": 360.0,
        "withinSlaShare": 0.5,
    }
    assert figures["reviews"]["count"] == 4
    assert figures["repeatRate"] == 2 / 6


async def test_the_statement_count_does_not_grow_with_the_history(
    client: httpx.AsyncClient, settings: Settings, history: tuple[History, Partner, Partner]
) -> None:
    h, ours, theirs = history
    empty = (await make_partner()).partner
    admin = await _admin()
    counts = []
    for partner in (empty, theirs, ours, None):
        with count_sql() as sql:
            await _metrics(client, settings, admin, partner, h=h)
        counts.append(sql.count)
    # fresh_token's own statements are in each count too, the same every time; every
    # partner together needs no partner row.
    assert counts[0] == counts[1] == counts[2] == counts[3] + 1, counts


async def test_a_scoped_admin_sees_their_partner_only(
    client: httpx.AsyncClient, settings: Settings, history: tuple[History, Partner, Partner]
) -> None:
    h, ours, theirs = history
    scoped = await _admin(ours)
    assert scoped.scope_partner_id == ours.id

    mine = await _metrics(client, settings, scoped, h=h)  # no partnerId: their own
    assert mine["registrations"] == 6
    assert mine == await _metrics(client, settings, scoped, ours, h=h)
    refused = await _metrics(client, settings, scoped, theirs, h=h, raw=True)
    assert error_codes(refused) == ["FORBIDDEN"]
    assert refused["data"] is None

    # An unscoped admin sees either, or both.
    unscoped = await _admin()
    assert (await _metrics(client, settings, unscoped, theirs, h=h))["registrations"] == 1
    assert (await _metrics(client, settings, unscoped, h=h))["registrations"] == 7


async def test_the_partner_node_is_for_admins_who_see_it(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    ours, theirs = (await make_partner()).partner, (await make_partner()).partner
    query = "query N($id: ID!) { node(id: $id) { ... on Partner { name timeZone } } }"
    scoped = await fresh_token(settings, await _admin(ours))
    unscoped = await fresh_token(settings, await _admin())
    agent = (await signed_in(settings, Role.CARE_AGENT)).token

    def ask(partner: Partner, token: str) -> Any:
        return gql(client, query, {"id": to_global_id("Partner", partner.id)}, token)

    assert (await ask(ours, scoped))["node"] == {"name": ours.name, "timeZone": "Europe/Moscow"}
    assert (await ask(theirs, scoped))["node"] is None
    assert (await ask(theirs, unscoped))["node"]["name"] == theirs.name
    assert (await ask(ours, agent))["node"] is None

    # The partners to choose from: a scoped admin's own; an unscoped admin's every one.
    listing = "query { partners { id name timeZone } }"
    own = await gql(client, listing, {}, scoped)
    assert own["partners"] == [
        {"id": to_global_id("Partner", ours.id), "name": ours.name, "timeZone": "Europe/Moscow"}
    ]
    every = [p["name"] for p in (await gql(client, listing, {}, unscoped))["partners"]]
    assert {ours.name, theirs.name} <= set(every)
    assert every == sorted(every)
    assert error_codes(await gql_raw(client, listing, {}, agent)) == ["FORBIDDEN"]


@pytest.mark.parametrize("role", [Role.CLIENT, Role.PSYCHOLOGIST, Role.CARE_AGENT])
async def test_other_roles_are_refused(
    client: httpx.AsyncClient, settings: Settings, role: Role
) -> None:
    who = await signed_in(settings, role)
    variables = {"from": FROM.isoformat(), "to": TO.isoformat()}
    body = await gql_raw(client, op("PartnerMetrics"), variables, who.token)
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["data"] is None
    body = await gql_raw(client, op("PartnerMetrics"), variables)
    assert error_codes(body) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(
    ("start", "end", "partner_id"),
    [
        pytest.param("2031-01-02T00:00:00+00:00", "2031-01-01T00:00:00+00:00", None, id="reversed"),
        pytest.param("2031-01-01T00:00:00+00:00", "2031-01-01T00:00:00+00:00", None, id="empty"),
        pytest.param("2031-01-01T00:00:00+00:00", "2032-01-03T00:00:00+00:00", None, id="too-long"),
        pytest.param("2031-01-01T00:00:00", "2031-01-02T00:00:00", None, id="no-offset"),
        pytest.param("2031-01-01T00:00:00Z", "2031-01-02T00:00:00Z", "bm90LWFuLWlk", id="bad-id"),
        pytest.param(
            "2031-01-01T00:00:00Z",
            "2031-01-02T00:00:00Z",
            to_global_id("Booking", 1),
            id="other-type-id",
        ),
        pytest.param(
            "2031-01-01T00:00:00Z",
            "2031-01-02T00:00:00Z",
            to_global_id("Partner", 10**12),
            id="unknown-partner",
        ),
    ],
)
async def test_bad_periods_and_ids_are_refused(
    client: httpx.AsyncClient, settings: Settings, start: str, end: str, partner_id: str | None
) -> None:
    token = await fresh_token(settings, await _admin())
    variables = {"from": start, "to": end, "partnerId": partner_id}
    body = await gql_raw(client, op("PartnerMetrics"), variables, token, {"Accept-Language": "en"})
    assert error_codes(body) == ["BAD_USER_INPUT"], body
    assert body["data"] is None


async def test_a_year_is_the_longest_period(client: httpx.AsyncClient, settings: Settings) -> None:
    token = await fresh_token(settings, await _admin((await make_partner()).partner))
    variables = {"from": "2031-01-01T00:00:00+03:00", "to": "2032-01-02T00:00:00+03:00"}
    data = await gql(client, op("PartnerMetrics"), variables, token)
    days = data["partnerMetrics"]["registrationsByDay"]
    assert len(days) == 366
    assert days[0] == {"date": "2031-01-01", "count": 0}
    assert days[-1]["date"] == date(2032, 1, 1).isoformat()


async def test_a_wait_counts_once_answered_or_overdue(
    client: httpx.AsyncClient, settings: Settings, app: Starlette
) -> None:
    """As careStats: an open wait not yet due is left out; once overdue it counts, unanswered."""
    partner = await make_partner()
    agent = await signed_in(settings, Role.CARE_AGENT)
    runtime = app.state.runtime
    d = new_window()
    at = lambda minute: d + timedelta(hours=10, minutes=minute)  # noqa: E731
    user = await register(client, partner, at(0))
    conversation = await Conversation.get(client_id=user.id)
    await say(settings, runtime, user, conversation.id, at(1))
    admin = await _admin(partner.partner)
    variables = {"from": d.isoformat(), "to": (d + timedelta(days=1)).isoformat()}

    async def care_at(when: datetime) -> dict[str, Any]:
        with time_machine.travel(when, tick=False):
            token = await fresh_token(settings, admin)
            data = await gql(client, op("PartnerMetrics"), variables, token)
        result: dict[str, Any] = data["partnerMetrics"]["careFirstResponse"]
        return result

    open_ = {"answered": 0, "medianSeconds": None, "withinSlaShare": None}
    assert await care_at(at(5) + timedelta(seconds=59)) == open_  # due at 10:06:00
    overdue = {"answered": 0, "medianSeconds": None, "withinSlaShare": 0.0}
    assert await care_at(at(6)) == overdue
    await say(settings, runtime, agent.user, conversation.id, at(7))  # answered late: 360 s
    late = {"answered": 1, "medianSeconds": 360.0, "withinSlaShare": 0.0}
    assert await care_at(at(8)) == late

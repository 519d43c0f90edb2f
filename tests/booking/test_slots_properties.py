"""Property tests of the pure slot arithmetic (no database).

Generated schedules: weekly hours (06:00-24:00 local, starts on the grid), extra hours,
time off and existing bookings around DST changes (Europe/Berlin) and in zones without
them (Russian zones). Each result is checked against a brute-force oracle that asks
"is this instant working time?" through the local wall clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.booking.slots import (
    Interval,
    Schedule,
    WeeklyHours,
    cells,
    free_slots,
    is_free,
    local_day_interval,
    zone,
)

ZONES = [
    "Europe/Berlin",
    "Europe/Moscow",
    "Europe/Kaliningrad",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Novosibirsk",
    "Asia/Vladivostok",
    "Asia/Kamchatka",
]
FIVE = timedelta(minutes=5)
# Berlin's 2026 DST changes: 29 March (02:00 -> 03:00) and 25 October (03:00 -> 02:00).
BASES = [datetime(2026, 3, 26, tzinfo=UTC), datetime(2026, 10, 22, tzinfo=UTC)]


@st.composite
def schedules(draw: st.DrawFn) -> tuple[Schedule, datetime, int]:
    tz = draw(st.sampled_from(ZONES))
    step = draw(st.sampled_from([15, 30, 60]))
    base = draw(st.sampled_from(BASES))
    now = base + timedelta(seconds=draw(st.integers(0, 3 * 86400)))
    weekly = []
    for _ in range(draw(st.integers(1, 8))):
        start = draw(st.integers(360 // step, (1440 - step) // step)) * step
        end = draw(st.integers(start // 5 + 1, 288)) * 5
        weekly.append(WeeklyHours(draw(st.integers(0, 6)), start, end))
    local0 = now.astimezone(zone(tz)).date()

    def local_interval(day: int, start: int, length: int) -> Interval:
        d = local0 + timedelta(days=day)
        midnight = datetime(d.year, d.month, d.day, tzinfo=zone(tz))
        s = midnight + timedelta(minutes=start)
        return Interval(s.astimezone(UTC), (s + timedelta(minutes=length)).astimezone(UTC))

    extra = [
        local_interval(
            draw(st.integers(0, 8)),
            draw(st.integers(360 // step, (1440 - step) // step)) * step,
            draw(st.integers(1, 60)) * 5,
        )
        for _ in range(draw(st.integers(0, 3)))
    ]

    def utc_interval(max_len: int) -> Interval:
        start = now.replace(second=0, microsecond=0, minute=0) + FIVE * draw(
            st.integers(-12, 9 * 288)
        )
        return Interval(start, start + FIVE * draw(st.integers(1, max_len)))

    time_off = [utc_interval(300) for _ in range(draw(st.integers(0, 3)))]
    busy = [utc_interval(30) for _ in range(draw(st.integers(0, 12)))]
    schedule = Schedule(
        timezone=tz,
        weekly=weekly,
        extra_hours=extra,
        time_off=time_off,
        busy=busy,
        buffer_minutes=draw(st.sampled_from([0, 5, 10, 15])),
        notice_minutes=draw(st.sampled_from([0, 60, 120, 600])),
        horizon_days=draw(st.integers(1, 9)),
        step_minutes=step,
    )
    duration = draw(st.sampled_from([30, 50, 80]))
    return schedule, now, duration


def is_open(schedule: Schedule, t: datetime) -> bool:
    """Oracle: working time at instant ``t`` via the local wall clock."""
    if any(i.start <= t < i.end for i in schedule.time_off):
        return False
    if any(i.start <= t < i.end for i in schedule.extra_hours):
        return True
    local = t.astimezone(zone(schedule.timezone))
    minute = local.hour * 60 + local.minute
    return any(
        wh.weekday == local.weekday() and wh.start_minute <= minute < wh.end_minute
        for wh in schedule.weekly
    )


def fits(schedule: Schedule, start: datetime, duration: int, now: datetime) -> bool:
    """Oracle: every rule a slot must satisfy, checked independently of the implementation."""
    end = start + timedelta(minutes=duration)
    if start < now + timedelta(minutes=schedule.notice_minutes):
        return False
    if start >= now + timedelta(days=schedule.horizon_days):
        return False
    t = start
    while t < end:  # every time here is on the 5-minute grid
        if not is_open(schedule, t):
            return False
        t += FIVE
    reach = end + timedelta(minutes=schedule.buffer_minutes)
    return not any(b.start < reach and start < b.end for b in schedule.busy)


def on_local_grid(schedule: Schedule, start: datetime) -> bool:
    local = start.astimezone(zone(schedule.timezone))
    return (local.hour * 60 + local.minute) % schedule.step_minutes == 0 and local.second == 0


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(schedules())
def test_every_slot_obeys_every_rule(case: tuple[Schedule, datetime, int]) -> None:
    schedule, now, duration = case
    slots = free_slots(schedule, duration, now)
    assert slots == sorted(set(slots)), "sorted and unique"
    for s in slots:
        assert s.tzinfo is not None
        assert fits(schedule, s, duration, now), s
        assert on_local_grid(schedule, s), s


@SETTINGS
@given(schedules())
def test_no_free_grid_time_is_missed(case: tuple[Schedule, datetime, int]) -> None:
    """Completeness: every grid time the oracle accepts is offered."""
    schedule, now, duration = case
    slots = set(free_slots(schedule, duration, now))
    t = now.replace(minute=0, second=0, microsecond=0)
    end = now + timedelta(days=schedule.horizon_days)
    while t < end:
        if on_local_grid(schedule, t) and fits(schedule, t, duration, now):
            assert t in slots, t
        t += FIVE


@SETTINGS
@given(schedules(), st.integers(1, 5))
def test_limit_and_window_are_prefixes(case: tuple[Schedule, datetime, int], limit: int) -> None:
    schedule, now, duration = case
    every = free_slots(schedule, duration, now)
    assert free_slots(schedule, duration, now, limit=limit) == every[:limit]
    if every:
        middle = every[len(every) // 2]
        window = free_slots(schedule, duration, now, middle, middle + timedelta(days=1))
        assert window == [s for s in every if middle <= s < middle + timedelta(days=1)]
        assert is_free(schedule, middle, duration, now)


@SETTINGS
@given(
    st.integers(0, 10_000),
    st.integers(1, 60),
    st.integers(0, 10_000),
    st.integers(1, 60),
)
def test_cells_intersect_exactly_when_intervals_overlap(a: int, la: int, b: int, lb: int) -> None:
    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    a0, a1 = t0 + FIVE * a, t0 + FIVE * (a + la)
    b0, b1 = t0 + FIVE * b, t0 + FIVE * (b + lb)
    overlap = a0 < b1 and b0 < a1
    assert bool(set(cells(a0, a1)) & set(cells(b0, b1))) == overlap


def _local_times(tz: str, slots: list[datetime]) -> dict[date, list[str]]:
    out: dict[date, list[str]] = {}
    for s in slots:
        local = s.astimezone(zone(tz))
        out.setdefault(local.date(), []).append(local.strftime("%H:%M"))
    return out


def test_grid_keeps_local_times_across_berlin_dst() -> None:
    """09:00-13:00 every day: the same local start times before and after both changes."""
    for now in (datetime(2026, 3, 26, 6, tzinfo=UTC), datetime(2026, 10, 22, 6, tzinfo=UTC)):
        schedule = Schedule(
            timezone="Europe/Berlin",
            weekly=[WeeklyHours(d, 9 * 60, 13 * 60) for d in range(7)],
            notice_minutes=0,
            horizon_days=7,
        )
        days = _local_times("Europe/Berlin", free_slots(schedule, 50, now))
        expected = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "12:00"]
        full_days = [d for d in days if d > now.date()]
        assert len(full_days) >= 5
        for d in full_days:
            assert days[d] == expected, (d, days[d])


def test_russian_zone_has_no_dst_shift() -> None:
    now = datetime(2026, 3, 26, 0, tzinfo=UTC)
    schedule = Schedule(
        timezone="Asia/Vladivostok",
        weekly=[WeeklyHours(d, 10 * 60, 12 * 60) for d in range(7)],
        notice_minutes=0,
        horizon_days=10,
        buffer_minutes=10,
    )
    slots = free_slots(schedule, 50, now)
    # UTC+10 all year: 10:00 local is 00:00 UTC every day, 30 days apart or not.
    assert {s.astimezone(UTC).strftime("%H:%M") for s in slots} == {"00:00", "00:30", "01:00"}


def test_bookings_with_buffer_and_time_off_are_respected() -> None:
    now = datetime(2026, 6, 1, 0, tzinfo=UTC)
    day = datetime(2026, 6, 2, tzinfo=UTC)
    schedule = Schedule(
        timezone="UTC",
        weekly=[WeeklyHours(1, 9 * 60, 14 * 60)],  # Tuesday 2 June 2026
        busy=[Interval(day.replace(hour=10), day.replace(hour=11))],  # 10:00-10:50 + 10 min
        time_off=[Interval(day.replace(hour=12), day.replace(hour=12, minute=30))],
        notice_minutes=0,
        horizon_days=3,
    )
    got = [s.strftime("%H:%M") for s in free_slots(schedule, 50, now)]
    # 09:30 would end at 10:20 and its buffer would reach into the booking.
    assert got == ["09:00", "11:00", "12:30", "13:00"]


def test_whole_day_time_off_in_local_time() -> None:
    off = local_day_interval("Europe/Moscow", date(2026, 6, 2), date(2026, 6, 2))
    assert off.start == datetime(2026, 6, 1, 21, tzinfo=UTC)
    assert off.end == datetime(2026, 6, 2, 21, tzinfo=UTC)

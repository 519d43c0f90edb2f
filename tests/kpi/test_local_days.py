"""Local days from zoneinfo's rules, as the KPI SQL groups by them: DST changes included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.core.zones import is_time_zone, zone
from app.kpi.local_days import (
    DAY_SECONDS,
    day_of,
    local_day_sql,
    local_days,
    offsets,
)

BERLIN = zone("Europe/Berlin")


def test_a_year_of_berlin_has_its_two_changes_to_the_second() -> None:
    start = datetime(2031, 1, 1, tzinfo=UTC)
    rules = offsets(BERLIN, start, start + timedelta(days=365))

    assert rules.first == 3600
    spring = int(datetime(2031, 3, 30, 1, 0, tzinfo=UTC).timestamp())  # 02:00 CET -> 03:00 CEST
    autumn = int(datetime(2031, 10, 26, 1, 0, tzinfo=UTC).timestamp())  # 03:00 CEST -> 02:00 CET
    assert rules.changes == ((spring, 7200), (autumn, 3600))
    assert rules.at(spring - 1) == 3600
    assert rules.at(spring) == 7200
    assert rules.at(autumn) == 3600


@pytest.mark.parametrize(
    ("utc", "local"),
    [
        (datetime(2031, 3, 29, 22, 59, 59, tzinfo=UTC), date(2031, 3, 29)),  # 23:59:59 CET
        (datetime(2031, 3, 29, 23, 0, tzinfo=UTC), date(2031, 3, 30)),  # 00:00 CET
        (datetime(2031, 3, 30, 21, 59, 59, tzinfo=UTC), date(2031, 3, 30)),  # 23:59:59 CEST
        (datetime(2031, 3, 30, 22, 0, tzinfo=UTC), date(2031, 3, 31)),  # 00:00 CEST
    ],
)
def test_the_local_day_of_an_instant_agrees_with_zoneinfo(utc: datetime, local: date) -> None:
    start = datetime(2031, 3, 1, tzinfo=UTC)
    rules = offsets(BERLIN, start, start + timedelta(days=60))
    epoch = int(utc.timestamp())

    assert utc.astimezone(BERLIN).date() == local
    assert day_of((epoch + rules.at(epoch)) // DAY_SECONDS) == local


def test_the_sql_is_a_case_over_the_offsets_with_literals_only() -> None:
    start = datetime(2031, 3, 1, tzinfo=UTC)
    rules = offsets(BERLIN, start, start + timedelta(days=60))
    sql = local_day_sql("e", rules)

    assert sql.startswith("((e) + (CASE WHEN e < ")
    assert sql.endswith(" ELSE 7200 END)) / 86400")
    assert "?" not in sql
    assert "$" not in sql
    fixed = offsets(zone("Europe/Moscow"), start, start + timedelta(days=60))
    assert local_day_sql("e", fixed) == "((e) + (10800)) / 86400"


def test_local_days_of_a_period_are_every_date_it_touches() -> None:
    moscow = zone("Europe/Moscow")
    start = datetime(2031, 1, 1, tzinfo=UTC)  # 03:00 in Moscow

    assert local_days(moscow, start, start + timedelta(days=1)) == [
        date(2031, 1, 1),
        date(2031, 1, 2),
    ]
    assert local_days(moscow, start, start + timedelta(hours=21)) == [date(2031, 1, 1)]


@pytest.mark.parametrize(
    ("name", "known"),
    [
        ("Europe/Moscow", True),
        ("UTC", True),
        ("Mars/Olympus", False),
        ("", False),
        (" Europe/Moscow", False),
        ("../etc/passwd", False),
        ("x" * 65, False),
    ],
)
def test_time_zone_names(name: str, known: bool) -> None:
    assert is_time_zone(name) is known

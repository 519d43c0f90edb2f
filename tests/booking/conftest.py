"""Fixtures of the booking tests: psychologists with fully controlled schedules.

Test psychologists are APPROVED while a test runs and SUSPENDED when it ends, so
the catalogue tests (which count visible psychologists) never see them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from starlette.applications import Starlette

from app.catalogue.service import search_key
from models.booking import BookingPolicy, WorkingHours
from models.catalogue import Psychologist, Service
from models.enums import ServiceKind, VettingStatus

MakePsychologist = Callable[..., Awaitable[Psychologist]]

DURATIONS = {
    ServiceKind.SESSION: 50,
    ServiceKind.COUPLE_SESSION: 80,
    ServiceKind.CHILD_SESSION: 50,
    ServiceKind.CHECKUP: 30,
}


@pytest.fixture
async def make_psychologist(app: Starlette) -> AsyncIterator[MakePsychologist]:
    created: list[int] = []

    async def make(
        *,
        timezone: str = "UTC",
        kinds: tuple[ServiceKind, ...] = (ServiceKind.SESSION,),
        durations: dict[ServiceKind, int] | None = None,
        hours: tuple[tuple[int, int], ...] = ((0, 1440),),
        step: int = 30,
        notice: int = 0,
        buffer: int = 10,
        horizon: int = 30,
        **fields: Any,
    ) -> Psychologist:
        slug = f"t-{uuid.uuid4().hex[:12]}"
        full_name = fields.pop("full_name", f"Тестовый Психолог {slug}")
        p = await Psychologist.create(
            slug=slug,
            full_name=full_name,
            search_name=search_key(full_name),
            practice_since=2015,
            timezone=timezone,
            vetting_status=fields.pop("vetting_status", VettingStatus.APPROVED),
            **fields,
        )
        created.append(p.id)
        lengths = {**DURATIONS, **(durations or {})}
        for kind in kinds:
            await Service.create(
                psychologist=p,
                kind=kind,
                title=kind.value.title(),
                duration_minutes=lengths[kind],
                price=Decimal("3500.00"),
            )
        await WorkingHours.bulk_create(
            [
                WorkingHours(psychologist_id=p.id, weekday=d, start_minute=s, end_minute=e)
                for d in range(7)
                for s, e in hours
            ]
        )
        await BookingPolicy.create(
            psychologist=p,
            buffer_minutes=buffer,
            min_notice_minutes=notice,
            horizon_days=horizon,
            slot_step_minutes=step,
        )
        return p

    yield make
    if created:
        await Psychologist.filter(id__in=created).update(vetting_status=VettingStatus.SUSPENDED)


def day_at(days: int, hour: int, minute: int = 0) -> datetime:
    """A UTC time ``days`` from today at hour:minute."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=days, hours=hour, minutes=minute)

"""Demo data (placeholder until the realistic generator lands)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from app.catalogue import refresh_stats
from app.settings import Settings
from models.catalogue import Method, Psychologist, Review, Service, Topic
from models.enums import ServiceKind, VettingStatus


async def seed_demo(settings: Settings, psychologists: int = 112) -> str:
    if await Psychologist.exists():
        return "demo data already present"
    m = await Method.create(slug="cbt", name="КПТ")
    t = await Topic.create(slug="anxiety", name="Тревога")
    for i in range(psychologists):
        p = await Psychologist.create(
            slug=f"p{i}", full_name=f"Психолог {i}", practice_since=2000 + i % 20,
            vetting_status=VettingStatus.APPROVED,
        )
        await p.methods.add(m)
        await p.topics.add(t)
        await Service.create(psychologist=p, kind=ServiceKind.SESSION, title="Сессия",
                             duration_minutes=50, price=Decimal(1500 + i * 50))
        for j in range(i % 4):
            await Review.create(psychologist=p, rating=3 + j % 3, text="ok",
                                created_at=datetime.now(UTC) - timedelta(days=j))
    await refresh_stats()
    return "ok"

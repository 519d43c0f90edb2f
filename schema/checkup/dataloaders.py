"""Per-request loaders of what a checkup result reaches."""

from __future__ import annotations

from models.checkup import PromoCode
from schema.context import Loader
from schema.loader import index_by


class PromoCodeByCheckup(Loader[int, PromoCode | None]):
    async def load_batch(self, keys: list[int]) -> list[PromoCode | None]:
        return index_by(await PromoCode.filter(checkup_id__in=keys), keys, key="checkup_id")

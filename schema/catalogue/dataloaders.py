"""Per-request loaders for everything a catalogue card or profile reaches."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from app.catalogue import vetting
from app.catalogue.filters import visible_psychologists
from app.core.sql import PageKey, fetch, newest_per_parent, placeholders
from models.catalogue import Credential, Method, Psychologist, Review, Service, Topic
from schema.context import Loader
from schema.loader import group_by, index_by


class PsychologistById(Loader[int, Psychologist | None]):
    """Visible (approved) psychologists only: anything else behaves as not found."""

    async def load_batch(self, keys: list[int]) -> list[Psychologist | None]:
        return index_by(await visible_psychologists().filter(id__in=keys), keys)


class AnyPsychologistById(Loader[int, Psychologist | None]):
    """All psychologists whatever their vetting status: for staff views and bookings."""

    async def load_batch(self, keys: list[int]) -> list[Psychologist | None]:
        return index_by(await Psychologist.filter(id__in=keys), keys)


class _M2MLoader(Loader[int, list[Any]]):
    model: type[Method] | type[Topic]
    through: str
    column: str

    async def load_batch(self, keys: list[int]) -> list[list[Any]]:
        table = self.model._meta.db_table
        rows = await fetch(
            f"SELECT t.psychologist_id AS pid, m.* FROM {self.through} t "  # noqa: S608
            f"JOIN {table} m ON m.id = t.{self.column} "
            f"WHERE t.psychologist_id IN ({placeholders(len(keys))}) "
            "ORDER BY m.position, m.id",
            keys,
        )
        grouped: dict[int, list[Any]] = defaultdict(list)
        for row in rows:
            pid = row.pop("pid")
            grouped[pid].append(self.model._init_from_db(**row))
        return [grouped.get(k, []) for k in keys]


class MethodsByPsychologist(_M2MLoader):
    model = Method
    through = "psychologist_methods"
    column = "method_id"


class TopicsByPsychologist(_M2MLoader):
    model = Topic
    through = "psychologist_topics"
    column = "topic_id"


class ServicesByPsychologist(Loader[int, list[Service]]):
    async def load_batch(self, keys: list[int]) -> list[list[Service]]:
        rows = await Service.filter(psychologist_id__in=keys, is_active=True).order_by(
            "price", "id"
        )
        return group_by(rows, "psychologist_id", keys)


class ServiceById(Loader[int, Service | None]):
    async def load_batch(self, keys: list[int]) -> list[Service | None]:
        return index_by(await Service.filter(id__in=keys), keys)


class CredentialsByPsychologist(Loader[int, list[Credential]]):
    async def load_batch(self, keys: list[int]) -> list[list[Credential]]:
        rows = await Credential.filter(psychologist_id__in=keys).order_by("year", "id")
        return group_by(rows, "psychologist_id", keys)


class AllMethods(Loader[str, list[Method]]):
    async def load_batch(self, keys: list[str]) -> list[list[Method]]:
        rows = await Method.all()
        return [rows for _ in keys]


class AllTopics(Loader[str, list[Topic]]):
    async def load_batch(self, keys: list[str]) -> list[list[Topic]]:
        rows = await Topic.all()
        return [rows for _ in keys]


ReviewPageKey = PageKey  # psychologist, size + 1, id after which to start


class ReviewPageByPsychologist(Loader[ReviewPageKey, list[Review]]):
    """Newest-first review pages of many psychologists in one statement (window function).

    Reviews are ordered by id (insertion order = publication order), which makes
    the cursor a single integer.
    """

    async def load_batch(self, keys: list[ReviewPageKey]) -> list[list[Review]]:
        found = await newest_per_parent(
            keys, table="reviews", parent="psychologist_id", where="AND is_published"
        )
        return [[Review._init_from_db(**row) for row in found[k]] for k in keys]


class MissedIntervisionByPsychologist(Loader[int, list[str]]):
    """Missed intervision months ("YYYY-MM", oldest first) of many psychologists: one
    statement for the psychologists' approval data, one for their attendance."""

    async def load_batch(self, keys: list[int]) -> list[list[str]]:
        rows = await Psychologist.filter(id__in=keys).only("id", "vetting_status", "approved_at")
        missed = await vetting.missed_intervision_months(rows)
        return [[m.strftime("%Y-%m") for m in missed.get(k, [])] for k in keys]

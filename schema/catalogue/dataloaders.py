"""Per-request loaders for everything a catalogue card or profile reaches."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from app.catalogue import visible_psychologists
from models.catalogue import Credential, Method, Psychologist, Review, Service, Topic
from schema.loader import Loader, group_by, index_by
from schema.sql import fetch, param, placeholders


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


ReviewPageKey = tuple[int, int, int | None]  # psychologist, size + 1, id after which to start


class ReviewPage(Loader[ReviewPageKey, list[Review]]):
    """Newest-first review pages of many psychologists in one statement (window function).

    Reviews are ordered by id (insertion order = publication order), which makes
    the cursor a single integer.
    """

    async def load_batch(self, keys: list[ReviewPageKey]) -> list[list[Review]]:
        by_shape: dict[tuple[int, int | None], list[int]] = defaultdict(list)
        for pid, limit, after in keys:
            by_shape[(limit, after)].append(pid)
        found: dict[ReviewPageKey, list[Review]] = {}
        for (limit, after), pids in by_shape.items():
            values: list[Any] = list(pids)
            seek = ""
            if after is not None:
                values.append(after)
                seek = f"AND id < {param(len(values))}"
            values.append(limit)
            rows = await fetch(
                "SELECT * FROM (SELECT r.*, ROW_NUMBER() OVER ("  # noqa: S608
                "PARTITION BY psychologist_id ORDER BY id DESC) AS rn "
                "FROM reviews r WHERE is_published AND psychologist_id IN "
                f"({placeholders(len(pids))}) {seek}) ranked "
                f"WHERE rn <= {param(len(values))} ORDER BY psychologist_id, rn",
                values,
            )
            grouped: dict[int, list[Review]] = defaultdict(list)
            for row in rows:
                row.pop("rn")
                grouped[row["psychologist_id"]].append(Review._init_from_db(**row))
            for pid in pids:
                found[(pid, limit, after)] = grouped.get(pid, [])
        return [found[k] for k in keys]

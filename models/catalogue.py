"""The catalogue: psychologists, their credentials, methods, topics, services and reviews."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from models.enums import ClientType, CredentialKind, ServiceKind, VettingStatus

if TYPE_CHECKING:
    from models.identity import User


def search_key(text: str) -> str:
    """Case- and ё-insensitive form of a name, the same on every database."""
    return text.casefold().replace("\u0451", "\u0435")


class Method(Model):
    """A therapy school (CBT, gestalt, psychoanalysis...)."""

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=120)
    description = fields.TextField(default="")
    position = fields.SmallIntField(default=0)

    class Meta:
        table = "methods"
        ordering = ["position", "id"]


class Topic(Model):
    """A client's request: anxiety, burnout, relationships..."""

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=120)
    position = fields.SmallIntField(default=0)

    class Meta:
        table = "topics"
        ordering = ["position", "id"]


class Psychologist(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=80, unique=True)
    full_name = fields.CharField(max_length=160)
    # search_key(full_name): casefolded, yo folded to ie; a portable case-insensitive
    # search (SQLite's UPPER and LIKE fold ASCII only). Set by save() and refresh_stats.
    search_name = fields.CharField(max_length=160, default="")
    photo_url = fields.CharField(max_length=500, default="")
    bio = fields.TextField(default="")
    # The year of practice_started_on (whole data before vetting held a year only): the
    # EXPERIENCE_DESC sort key and experienceYears. Written with it by app.catalogue.vetting.
    practice_since = fields.SmallIntField(description="Year of the first documented practice")
    practice_started_on = fields.DateField(
        null=True, description="Date of the first documented practice (vetting: 3 years)"
    )
    languages: fields.JSONField[list[str]] = fields.JSONField(default=list)
    # ",ADULT,COUPLE," so that one portable LIKE filters by client type.
    client_types_csv = fields.CharField(max_length=80, default=",ADULT,")
    timezone = fields.CharField(max_length=64, default="Europe/Moscow")
    vetting_status = fields.CharEnumField(
        VettingStatus, max_length=24, default=VettingStatus.APPLIED
    )
    # When the psychologist was (last) approved or reinstated: intervision months count
    # from here. The reason of the last suspension or rejection, for admins.
    approved_at = fields.DatetimeField(null=True)
    vetting_note = fields.CharField(max_length=500, null=True)
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "identity.User", related_name="psychologist_profile", null=True, on_delete=fields.SET_NULL
    )
    # Denormalised for ordering and keyset paging; kept current by
    # app.catalogue.service.refresh_stats.
    rating_avg = fields.DecimalField(max_digits=3, decimal_places=2, null=True)
    review_count = fields.IntField(default=0)
    price_from = fields.DecimalField(max_digits=10, decimal_places=2, null=True)
    price_currency = fields.CharField(max_length=3, default="RUB")
    # Integer sort keys (never null, comparable the same way on every database):
    # rating x 100 (0 without reviews) and price-from in kopecks (huge without services).
    sort_rating = fields.IntField(default=0)
    sort_price = fields.BigIntField(default=9_999_999_999)
    created_at = fields.DatetimeField(auto_now_add=True)

    methods: fields.ManyToManyRelation[Method] = fields.ManyToManyField(
        "catalogue.Method",
        related_name="psychologists",
        through="psychologist_methods",
        forward_key="method_id",
        backward_key="psychologist_id",
    )
    topics: fields.ManyToManyRelation[Topic] = fields.ManyToManyField(
        "catalogue.Topic",
        related_name="psychologists",
        through="psychologist_topics",
        forward_key="topic_id",
        backward_key="psychologist_id",
    )

    class Meta:
        table = "psychologists"
        indexes = (
            ("vetting_status", "sort_rating", "id"),
            ("vetting_status", "sort_price", "id"),
            ("vetting_status", "practice_since", "id"),
        )

    async def save(self, *args: Any, **kwargs: Any) -> None:
        """Keep ``search_name`` in step with ``full_name`` on every save/create."""
        self.search_name = search_key(self.full_name or "")
        update_fields = kwargs.get("update_fields")
        if update_fields is None and len(args) > 1:
            update_fields = args[1]
        if update_fields is not None and "full_name" in update_fields:
            fields_list = [*update_fields, "search_name"]
            if "update_fields" in kwargs:
                kwargs["update_fields"] = fields_list
            else:
                args = (args[0], fields_list, *args[2:])
        await super().save(*args, **kwargs)

    @property
    def client_types(self) -> list[ClientType]:
        return [ClientType(v) for v in self.client_types_csv.strip(",").split(",") if v]


class Credential(Model):
    id = fields.IntField(primary_key=True)
    psychologist: fields.ForeignKeyRelation[Psychologist] = fields.ForeignKeyField(
        "catalogue.Psychologist", related_name="credentials", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(CredentialKind, max_length=24)
    title = fields.CharField(max_length=255)
    institution = fields.CharField(max_length=255, default="")
    hours = fields.IntField(null=True)
    year = fields.SmallIntField(null=True)
    # The method a METHOD_CERTIFICATE certifies (the vetting rule needs one).
    method: fields.ForeignKeyNullableRelation[Method] = fields.ForeignKeyField(
        "catalogue.Method", related_name="credentials", null=True, on_delete=fields.SET_NULL
    )
    method_id: int | None
    recorded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "credentials"


class VettingTestSession(Model):
    """A test session held before an expert panel: who judged, when, the verdict."""

    id = fields.IntField(primary_key=True)
    psychologist: fields.ForeignKeyRelation[Psychologist] = fields.ForeignKeyField(
        "catalogue.Psychologist", related_name="test_sessions", on_delete=fields.CASCADE
    )
    passed = fields.BooleanField()
    panel: fields.JSONField[list[str]] = fields.JSONField(default=list)
    held_on = fields.DateField()
    recorded_at = fields.DatetimeField()

    class Meta:
        table = "test_sessions"
        indexes = (("psychologist_id", "held_on"),)


class IntervisionAttendance(Model):
    """A month (its first day) in which the psychologist attended intervision: one row per
    month, held by the unique key."""

    id = fields.IntField(primary_key=True)
    psychologist: fields.ForeignKeyRelation[Psychologist] = fields.ForeignKeyField(
        "catalogue.Psychologist", related_name="intervisions", on_delete=fields.CASCADE
    )
    month = fields.DateField(description="First day of the month attended")
    recorded_at = fields.DatetimeField()

    class Meta:
        table = "intervision_attendance"
        unique_together = (("psychologist", "month"),)


class Service(Model):
    """What can be booked with a psychologist: kind, duration, price (Decimal + ISO currency)."""

    id = fields.IntField(primary_key=True)
    psychologist: fields.ForeignKeyRelation[Psychologist] = fields.ForeignKeyField(
        "catalogue.Psychologist", related_name="services", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(ServiceKind, max_length=16)
    title = fields.CharField(max_length=160)
    duration_minutes = fields.SmallIntField()
    price = fields.DecimalField(max_digits=10, decimal_places=2)
    currency = fields.CharField(max_length=3, default="RUB")
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "services"
        unique_together = (("psychologist", "kind"),)


class Review(Model):
    id = fields.IntField(primary_key=True)
    psychologist: fields.ForeignKeyRelation[Psychologist] = fields.ForeignKeyField(
        "catalogue.Psychologist", related_name="reviews", on_delete=fields.CASCADE
    )
    author: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "identity.User", related_name="reviews", null=True, on_delete=fields.SET_NULL
    )
    # The completed booking it is about: one review per booking, held by the database.
    # Null for reviews imported without one (demo data).
    # Typed loosely: models.booking imports this module (no circle of imports).
    booking: fields.OneToOneNullableRelation[Any] = fields.OneToOneField(
        "booking.Booking", related_name="review", null=True, on_delete=fields.SET_NULL
    )
    booking_id: int | None
    rating = fields.SmallIntField()
    text = fields.TextField(default="")
    is_published = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "reviews"
        indexes = (("psychologist_id", "created_at"),)

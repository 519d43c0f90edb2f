"""Shared GraphQL types: money, payload errors, enums of the data model."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from enum import Enum
from operator import methodcaller
from typing import Any, ClassVar, TypeVar, dataclass_transform

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.extensions.field_extension import AsyncExtensionResolver
from strawberry.schema.types.base_scalars import wrap_parser
from strawberry.types.field import StrawberryField
from strawberry.types.scalar import ScalarDefinition

from app.core.errors import NotVisible, Refusal
from app.core.messages import Locale
from models import enums

# strawberry.enum() registers the enum class in place and returns it; plain aliases keep
# the names usable as types.
ClientType = enums.ClientType
ServiceKind = enums.ServiceKind
CredentialKind = enums.CredentialKind
Role = enums.Role
VettingStatus = enums.VettingStatus
strawberry.enum(ClientType, description="Who a psychologist works with.")
strawberry.enum(ServiceKind, description="What kind of meeting a service is.")
strawberry.enum(CredentialKind, description="Kind of vetted document.")
strawberry.enum(Role, description="What a signed-in person is to the service.")
strawberry.enum(VettingStatus, description="Where a psychologist is in vetting.")


_CALENDAR_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _calendar_date(value: str) -> date:
    """Only ``YYYY-MM-DD`` (Python's ``fromisoformat`` would also take 20261207, 2026-W50-1)."""
    if not _CALENDAR_DATE.fullmatch(value):
        raise ValueError("expected YYYY-MM-DD")
    return date.fromisoformat(value)


DateScalar = ScalarDefinition(
    name="Date",
    description="A calendar date in ISO 8601, YYYY-MM-DD (no time, no zone).",
    specified_by_url=None,
    serialize=methodcaller("isoformat"),
    parse_value=wrap_parser(_calendar_date, "Date"),
    parse_literal=None,
    origin=date,
)
SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {date: DateScalar}
"""Our scalars in place of strawberry's own (``schema.build_schema``)."""


@strawberry.type(description="An amount of money: a decimal string and an ISO 4217 currency.")
class Money:
    amount: Decimal = strawberry.field(description='Decimal as a string, e.g. "3500.00".')
    currency: str = strawberry.field(description="ISO 4217 code, e.g. RUB.")

    @classmethod
    def of(cls, amount: Decimal, currency: str) -> Money:
        return cls(amount=Decimal(amount).quantize(Decimal("0.01")), currency=currency)

    @classmethod
    def maybe(cls, amount: Decimal | None, currency: str) -> Money | None:
        return None if amount is None else cls.of(amount, currency)


T = TypeVar("T")


class PayloadError:
    """Base of the ``XError`` payload types: ``code_enum`` is the enum its ``code`` shows.

    ``of`` is the one mapping from a service's ``Refusal`` to a payload error: a
    ``NotVisible`` becomes the domain's ``NOT_FOUND``; a code of another domain's enum
    is a programming error (``TypeError``, masked as internal), never a wrong answer.
    """

    code_enum: ClassVar[type[Enum]]

    @classmethod
    def of(cls, exc: Refusal, locale: Locale) -> Any:
        enum = cls.code_enum
        if isinstance(exc, NotVisible):
            code = enum.__members__.get("NOT_FOUND")
        else:
            code = getattr(exc, "code", None)
        if not isinstance(code, enum):
            raise TypeError(f"{code!r} is not a {enum.__name__}")
        return cls(code=code, message=exc.render(locale), field=exc.field)  # type: ignore[call-arg]


@dataclass_transform(kw_only_default=True, field_specifiers=(strawberry.field, StrawberryField))
def payload(
    error_type: type[PayloadError], *, description: str | None = None
) -> Callable[[type[T]], type[T]]:
    """A mutation payload: the class's own fields, then ``errors: [<error_type>!]!`` last.

    Every field of the class needs a default: a refused mutation returns only ``errors``.
    """

    def wrap(cls: type[T]) -> type[T]:
        cls.__annotations__["errors"] = list[error_type]  # type: ignore[valid-type]
        cls.errors = strawberry.field(default_factory=list)  # type: ignore[attr-defined]
        cls.error_type = error_type  # type: ignore[attr-defined]
        return strawberry.type(cls, description=description)

    return wrap


class RefusalsAsPayload(FieldExtension):
    """A service's ``Refusal`` becomes the field's payload with ``errors`` (one place)."""

    def apply(self, field: StrawberryField) -> None:
        payload_type = field.type
        if not hasattr(payload_type, "error_type"):
            raise TypeError(f"mutation {field.python_name} must return a @payload type")
        self.payload_type: Any = payload_type

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Any, **kwargs: Any
    ) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except Refusal as exc:
            locale = info.context.locale
            # A payload may answer a refusal with more than errors (approvePsychologist's
            # checklist): its ``refusal_fields(exc)`` gives them.
            more = getattr(self.payload_type, "refusal_fields", None)
            fields = more(exc) if more is not None else {}
            return self.payload_type(
                errors=[self.payload_type.error_type.of(exc, locale)], **fields
            )


def mutation(*, description: str | None = None) -> Any:
    """``strawberry.mutation`` whose refusals are answered in its payload's ``errors``."""
    return strawberry.mutation(description=description, extensions=[RefusalsAsPayload()])

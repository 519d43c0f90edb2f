"""Shared GraphQL types: money, payload errors, enums of the data model."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar, ParamSpec, TypeVar

import strawberry

from app.core.errors import UserError
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


P = ParamSpec("P")
R = TypeVar("R")


class PayloadError:
    """Mixin for ``XError`` types: ``code_enum`` maps a service's code string to the enum."""

    code_enum: ClassVar[type[Enum]]


def user_errors(payload: Any) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Turn ``UserError`` raised by a mutation's service call into ``payload(errors=[...])``.

    The one place where domain exceptions become payload errors; ``payload`` has
    a ``ClassVar`` ``error_type`` (the ``XError`` class) and an ``errors`` field.
    """

    def decorate(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await fn(*args, **kwargs)
            except UserError as exc:
                error_type = payload.error_type
                code = error_type.code_enum[exc.code]
                return payload(  # type: ignore[no-any-return]
                    errors=[error_type(code=code, message=exc.message, field=exc.field)]
                )

        return wrapper

    return decorate

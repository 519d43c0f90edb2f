"""Refusals cannot be misspelt and reach every mutation's payload through one mapping."""

from __future__ import annotations

import pytest
from strawberry.types.base import StrawberryList

from app.booking.errors import BookingErrorCode
from app.chat.errors import ChatErrorCode
from app.core.errors import NotVisible, Refused
from app.core.messages import Locale, Msg
from schema import build_schema
from schema.booking.types import BookingError
from schema.common import RefusalsAsPayload
from schema.identity.mutations import IdentityError


def test_a_bare_string_code_is_refused_at_the_raise_site() -> None:
    with pytest.raises(TypeError, match="enum members"):
        Refused("SLOT_TAKEN", "typo")  # type: ignore[arg-type]


def test_a_message_is_a_catalogue_entry_never_a_literal() -> None:
    with pytest.raises(TypeError, match="catalogue"):
        Refused(ChatErrorCode.EMPTY_MESSAGE, "Write something")  # type: ignore[arg-type]


def test_a_code_of_another_domain_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="not a BookingErrorCode"):
        BookingError.of(Refused(ChatErrorCode.RATE_LIMITED, Msg.CHAT_TOO_FAST), Locale.RU)


def test_not_visible_becomes_the_payload_domains_not_found() -> None:
    error = BookingError.of(NotVisible(Msg.NO_SUCH_BOOKING, "bookingId"), Locale.RU)
    assert (error.code, error.field) == (BookingErrorCode.NOT_FOUND, "bookingId")
    with pytest.raises(TypeError):  # identity has no NOT_FOUND: a policy bug, not an answer
        IdentityError.of(NotVisible(Msg.NOT_FOUND, "id"), Locale.RU)


def test_every_mutation_answers_refusals_in_its_payload_errors_listed_last() -> None:
    mutation = build_schema().schema_converter.type_map["Mutation"].definition
    assert mutation.fields
    for field in mutation.fields:
        assert any(isinstance(e, RefusalsAsPayload) for e in field.extensions), field.name
        payload = field.type.__strawberry_definition__
        last = payload.fields[-1]
        assert last.python_name == "errors", payload.name
        assert isinstance(last.type, StrawberryList), payload.name

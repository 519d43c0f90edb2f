"""Messages in the user's language: Russian by default, English on request; codes unchanged.

The catalogue (``app.core.messages``) is complete: every code of every error enum has a
message, every message has both languages with the same placeholders. Over HTTP the
language comes from ``Accept-Language``; over a WebSocket from ``connectionParams.locale``.
"""

# ruff: noqa: RUF001  (Russian text)
from __future__ import annotations

import dataclasses
import uuid
from enum import Enum

import httpx
import pytest
from starlette.applications import Starlette

from app.booking.errors import BookingErrorCode
from app.catalogue.errors import CatalogueEditErrorCode, VettingErrorCode
from app.chat.errors import ChatErrorCode
from app.core.errors import Refused, TopLevelCode
from app.core.messages import Locale, Msg, for_code, negotiate
from app.core.ratelimit import RULES, RateLimiter, Rule
from app.core.settings import Settings
from app.identity.errors import IdentityErrorCode
from app.notify.errors import PushDeviceErrorCode
from app.web.app import create_app
from models.enums import Role
from tests.chat.support import client_with_conversation
from tests.chat.ws import ws_session
from tests.factories import signed_in
from tests.helpers import error_codes, gql, gql_raw, op

CODE_ENUMS: tuple[type[Enum], ...] = (
    TopLevelCode,
    BookingErrorCode,
    CatalogueEditErrorCode,
    ChatErrorCode,
    IdentityErrorCode,
    PushDeviceErrorCode,
    VettingErrorCode,
)
ENGLISH = {"Accept-Language": "en"}


@pytest.mark.parametrize("enum", CODE_ENUMS, ids=lambda e: e.__name__)
def test_every_code_has_a_message_in_both_languages(enum: type[Enum]) -> None:
    for code in enum:
        msg = for_code(code)  # KeyError: a code without a message
        english, russian = msg.value
        assert english.strip(), code
        assert russian.strip(), code


def test_every_message_has_both_languages_with_the_same_placeholders() -> None:
    for msg in Msg:
        english, russian = msg.value
        assert english.strip(), msg.name
        assert russian.strip(), msg.name
        en_names, ru_names = msg.placeholders
        assert en_names == ru_names, msg.name
        if msg is not Msg.PERSISTED_QUERY_NOT_FOUND:  # Apollo matches that exact text
            assert english != russian, f"{msg.name} is not translated"
            assert any("а" <= ch <= "я" for ch in russian.lower()), msg.name


def test_messages_are_distinct_members() -> None:
    # Enum members with equal values silently alias each other, and iterating the enum
    # skips the aliases: only __members__ shows them.
    aliases = [name for name, member in Msg.__members__.items() if member.name != name]
    assert aliases == []


def test_a_refusal_without_a_message_says_its_code() -> None:
    refusal = Refused(BookingErrorCode.NOT_CANCELLABLE)
    assert refusal.render(Locale.RU) == Msg.NOT_CANCELLABLE.value[1]
    with pytest.raises(TypeError):
        Refused("NOT_CANCELLABLE")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("header", "explicit", "expected"),
    [
        (None, None, Locale.RU),
        ("", None, Locale.RU),
        ("en", None, Locale.EN),
        ("en-US,en;q=0.9", None, Locale.EN),
        ("de-DE, en;q=0.5", None, Locale.EN),
        ("de, fr", None, Locale.RU),
        ("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", None, Locale.RU),
        ("en;q=0.3, ru;q=0.8", None, Locale.RU),
        ("en;q=0", None, Locale.RU),
        ("*", None, Locale.RU),
        ("en;q=nonsense, x" * 100, None, Locale.RU),
        (None, "en", Locale.EN),
        ("ru", "en-GB", Locale.EN),
        ("en", "klingon", Locale.EN),
        ("en", 42, Locale.EN),
    ],
)
def test_language_negotiation(header: str | None, explicit: object, expected: Locale) -> None:
    assert negotiate(header, explicit) is expected


def test_russian_numbers_agree() -> None:
    assert Msg.AVAILABILITY_WINDOW(days=31).render() == (
        "Окно расписания не может быть длиннее 31 дня."
    )
    assert Msg.MESSAGE_TOO_LONG(limit=4000).render().endswith("4000 символов.")
    assert Msg.MESSAGE_TOO_LONG(limit=4000).render(Locale.EN).endswith("4000 characters.")


async def test_payload_errors_in_russian_by_default_and_english_on_request(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    variables = {"conversationId": conversation["id"], "text": " ", "clientMessageId": "m-1"}
    answers = {}
    for name, headers in (("default", None), ("en", ENGLISH), ("ru", {"Accept-Language": "ru"})):
        data = await gql(client, op("SendMessage"), variables, person.token, headers=headers)
        [error] = data["sendMessage"]["errors"]
        answers[name] = error
    assert answers["default"]["code"] == answers["en"]["code"] == "EMPTY_MESSAGE"
    assert answers["default"]["message"] == "Сначала напишите что-нибудь."
    assert answers["ru"] == answers["default"]
    assert answers["en"]["message"] == "Write something first."
    assert answers["en"]["field"] == answers["default"]["field"] == "text"


async def test_authentication_errors_in_both_languages(client: httpx.AsyncClient) -> None:
    russian = await gql_raw(client, op("CareQueue"), {"first": 5})
    english = await gql_raw(client, op("CareQueue"), {"first": 5}, headers=ENGLISH)
    assert error_codes(russian) == error_codes(english) == ["UNAUTHENTICATED"]
    assert russian["errors"][0]["message"] == Msg.UNAUTHENTICATED.value[1]
    assert english["errors"][0]["message"] == Msg.UNAUTHENTICATED.value[0]
    forged = await gql_raw(client, op("CareQueue"), {"first": 5}, token="not-a-token")
    assert forged["errors"][0]["message"] == "Токен доступа недействителен."


async def test_forbidden_and_bad_input_in_both_languages(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    person = await signed_in(settings, Role.CLIENT)
    for headers, expected in ((None, "Это может только служба заботы."), (ENGLISH, None)):
        body = await gql_raw(client, op("CareQueue"), {"first": 5}, person.token, headers=headers)
        assert error_codes(body) == ["FORBIDDEN"]
        message = body["errors"][0]["message"]
        assert message == (expected or Msg.CARE_TEAM_ONLY.value[0])
    bad = await gql_raw(client, op("CareChat"), {"last": 2, "before": "!"}, person.token)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    assert bad["errors"][0]["message"].startswith("Неверный курсор")


async def test_rate_limit_in_both_languages(app: Starlette, settings: Settings) -> None:
    runtime = dataclasses.replace(
        app.state.runtime, limits=RateLimiter({**RULES, "staff_sign_in_ip": Rule(1, 300)})
    )
    mine = create_app(settings, runtime=runtime)
    variables = {"email": f"{uuid.uuid4().hex[:8]}@staff.test", "password": "wrong password"}
    transport = httpx.ASGITransport(app=mine)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        first = await gql(http, op("StaffSignIn"), variables)
        assert first["signInStaff"]["errors"][0]["message"] == "Неверный email или пароль."
        russian = await gql_raw(http, op("StaffSignIn"), variables)
        english = await gql_raw(http, op("StaffSignIn"), variables, headers=ENGLISH)
    assert error_codes(russian) == error_codes(english) == ["RATE_LIMITED"]
    seconds = russian["errors"][0]["extensions"]["retryAfter"]
    assert russian["errors"][0]["message"] == f"Слишком много попыток; повторите через {seconds} с."
    assert english["errors"][0]["message"].startswith("Too many attempts; try again in")


async def test_websocket_language_from_connection_params(
    live_server: str, client: httpx.AsyncClient, settings: Settings
) -> None:
    person, conversation = await client_with_conversation(client, settings)
    variables = {"conversationId": conversation["id"], "text": "", "clientMessageId": "w-1"}
    seen: dict[str, str] = {}
    for locale in (None, "en"):
        extra = {"locale": locale} if locale else {}
        async with ws_session(live_server, person.token, init_extra=extra) as ws:
            op_id = await ws.subscribe(op("SendMessage"), variables)
            data = await ws.data(op_id)
            seen[locale or "default"] = data["sendMessage"]["errors"][0]["message"]
    assert seen == {"default": "Сначала напишите что-нибудь.", "en": "Write something first."}

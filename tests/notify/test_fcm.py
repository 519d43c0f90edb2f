"""FCM HTTP v1 through a local FCM and OAuth token endpoint that check what they get."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from app.core import clock
from app.notify.fcm import SCOPE, FcmProvider, ServiceAccount
from app.notify.providers import (
    Delivered,
    Platform,
    Push,
    Rejected,
    RetryLater,
    SendResult,
    Unregistered,
    token_hash,
)
from tests.notify.conftest import CLIENT_EMAIL, make_push, service_account_json
from tests.notify.services import Answer, FakeFcm, fcm_error
from tests.servers import free_port

TOKEN = "fcm-device-token-0123456789:APA91b"


def push(key: str = "booking:1:reminder", **changes: object) -> Push:
    return make_push(Platform.ANDROID, TOKEN, key, **changes)


async def test_a_push_is_sent_with_a_granted_token_and_the_v1_body(
    fcm: FcmProvider, fcm_service: FakeFcm
) -> None:
    # given a push with a collapse key and an expiry in ten minutes
    expires = clock.now() + timedelta(minutes=10)

    # when it is sent
    result = await fcm.send(push(collapse_key="booking:1", expires_at=expires))

    # then the grant's JWT was signed by the service account's key, with its claims
    assert result == Delivered("projects/psyline-test/messages/1")
    assert fcm_service.refusals == []
    [claims] = fcm_service.grants
    assert claims["iss"] == CLIENT_EMAIL
    assert claims["scope"] == SCOPE
    assert claims["aud"] == fcm_service.token_uri
    assert claims["exp"] - claims["iat"] == 3600
    # and the message went with that token as Bearer, in FCM's v1 shape
    [(token, body)] = fcm_service.sends
    assert token in fcm_service.tokens
    message = body["message"]
    ttl = int(message["android"].pop("ttl").removesuffix("s"))
    assert 590 <= ttl <= 600
    assert body == {
        "message": {
            "token": TOKEN,
            "notification": {"title": "Сессия через час", "body": "Анна Петрова, 15:00"},
            "data": {"bookingId": "Qm9va2luZzox"},
            "android": {"collapse_key": "booking:1"},
        }
    }


async def test_one_access_token_serves_many_sends(fcm: FcmProvider, fcm_service: FakeFcm) -> None:
    # when pushes are sent one after another and then five at once
    first = [await fcm.send(push(f"k{i}")) for i in range(3)]
    together = await asyncio.gather(*(fcm.send(push(f"c{i}")) for i in range(5)))

    # then one grant served them all
    assert all(isinstance(r, Delivered) for r in [*first, *together])
    assert len(fcm_service.grants) == 1
    assert len({token for token, _ in fcm_service.sends}) == 1
    assert len(fcm_service.sends) == 8


async def test_a_token_about_to_expire_is_renewed(fcm: FcmProvider, fcm_service: FakeFcm) -> None:
    # given the token endpoint grants tokens that expire within the renewal margin
    fcm_service.expires_in = 60

    # when two pushes are sent
    await fcm.send(push("a"))
    await fcm.send(push("b"))

    # then each got a fresh token
    assert len(fcm_service.grants) == 2
    assert fcm_service.sends[0][0] != fcm_service.sends[1][0]


async def test_401_gets_a_new_token_and_one_more_try(
    fcm: FcmProvider, fcm_service: FakeFcm
) -> None:
    # given a cached token that FCM no longer accepts
    await fcm.send(push("a"))
    fcm_service.revoke_tokens()

    # when the next push is sent
    result = await fcm.send(push("b"))

    # then it went through with a second grant
    assert isinstance(result, Delivered)
    assert len(fcm_service.grants) == 2
    assert fcm_service.sends[-1][0] in fcm_service.tokens


async def test_sends_refused_together_share_one_new_grant(
    fcm: FcmProvider, fcm_service: FakeFcm
) -> None:
    await fcm.send(push("a"))
    fcm_service.revoke_tokens()

    results = await asyncio.gather(*(fcm.send(push(f"c{i}")) for i in range(5)))

    assert all(isinstance(r, Delivered) for r in results)
    assert len(fcm_service.grants) == 2


async def test_401_twice_is_retry_later_after_one_retry_only(
    fcm: FcmProvider, fcm_service: FakeFcm
) -> None:
    fcm_service.answers.extend([fcm_error(401, "UNAUTHENTICATED")] * 3)

    result = await fcm.send(push())

    assert result == RetryLater(None, "UNAUTHENTICATED")
    assert len(fcm_service.sends) == 2
    assert len(fcm_service.grants) == 2


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (fcm_error(404, "NOT_FOUND", "UNREGISTERED"), Unregistered("UNREGISTERED")),
        (fcm_error(404, "NOT_FOUND"), Unregistered("NOT_FOUND")),
        (
            fcm_error(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH"),
            Unregistered("SENDER_ID_MISMATCH"),
        ),
        (fcm_error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"), Rejected("INVALID_ARGUMENT")),
        (fcm_error(400, "INVALID_ARGUMENT"), Rejected("INVALID_ARGUMENT")),
        (
            fcm_error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", **{"Retry-After": "30"}),
            RetryLater(30.0, "QUOTA_EXCEEDED"),
        ),
        (
            fcm_error(503, "UNAVAILABLE", "UNAVAILABLE", **{"Retry-After": "7"}),
            RetryLater(7.0, "UNAVAILABLE"),
        ),
        (fcm_error(500, "INTERNAL", "INTERNAL"), RetryLater(None, "INTERNAL")),
        (Answer(502, None), RetryLater(None, "502")),
        (
            fcm_error(401, "UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR"),
            RetryLater(None, "THIRD_PARTY_AUTH_ERROR"),
        ),
    ],
)
async def test_fcm_errors_map_to_one_result(
    fcm: FcmProvider, fcm_service: FakeFcm, answer: Answer, expected: SendResult
) -> None:
    fcm_service.answers.extend([answer, answer])

    assert await fcm.send(push()) == expected


async def test_an_http_date_retry_after_is_seconds_from_now(
    fcm: FcmProvider, fcm_service: FakeFcm
) -> None:
    when = (clock.now() + timedelta(seconds=120)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    fcm_service.answers.append(fcm_error(503, "UNAVAILABLE", **{"Retry-After": when}))

    result = await fcm.send(push())

    assert isinstance(result, RetryLater)
    assert result.after is not None
    assert 100 <= result.after <= 120


async def test_a_grant_refused_is_retry_later_and_nothing_is_sent(
    fcm_service: FakeFcm,
) -> None:
    # given a service account whose key is not the one Google knows
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    account = ServiceAccount.from_json(service_account_json(other, fcm_service.token_uri))
    provider = FcmProvider(account, base_url=fcm_service.url)
    try:
        result = await provider.send(push())
    finally:
        await provider.aclose()

    assert result == RetryLater(None, "oauth invalid_grant")
    assert fcm_service.refusals[0].startswith("invalid_grant")
    assert fcm_service.sends == []


async def test_fcm_unreachable_is_retry_later(rsa_key: rsa.RSAPrivateKey) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    account = ServiceAccount.from_json(service_account_json(rsa_key, f"{nowhere}/token"))
    provider = FcmProvider(account, base_url=nowhere)
    try:
        result = await provider.send(push())
    finally:
        await provider.aclose()

    assert result == RetryLater(None, "oauth network: ConnectError")


async def test_the_logs_hold_no_token_and_no_text(
    fcm: FcmProvider, fcm_service: FakeFcm, caplog: pytest.LogCaptureFixture
) -> None:
    fcm_service.answers.append(fcm_error(404, "NOT_FOUND", "UNREGISTERED"))
    with caplog.at_level(logging.DEBUG):
        await fcm.send(push())
        await fcm.send(push())

    assert token_hash(TOKEN) in caplog.text
    for secret in (TOKEN, "Сессия", "Анна", "Qm9va2luZzox", "ya29."):
        assert secret not in caplog.text


async def test_an_expired_push_is_not_sent(fcm: FcmProvider, fcm_service: FakeFcm) -> None:
    result = await fcm.send(push(expires_at=clock.now() - timedelta(seconds=1)))

    assert result == Rejected("Expired")
    assert fcm_service.sends == []
    assert fcm_service.grants == []

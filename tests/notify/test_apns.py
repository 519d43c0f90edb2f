"""APNs over HTTP/2 through a local APNs that checks the provider token and the headers."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from app.core import clock
from app.core.logging import QUIET
from app.notify.apns import ApnsProvider, apns_id
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
from tests.notify.conftest import APNS_KEY_ID, BUNDLE_ID, TEAM_ID, make_push
from tests.notify.services import Answer, FakeApns, apns_error

TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"


def push(key: str = "booking:1:reminder", **changes: object) -> Push:
    return make_push(Platform.IOS, TOKEN, key, **changes)


async def test_a_push_goes_over_http2_with_the_provider_token_and_headers(
    apns: ApnsProvider, apns_service: FakeApns
) -> None:
    # given a push with a collapse id and an expiry
    expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)

    # when it is sent
    result = await apns.send(push(collapse_key="booking:1", expires_at=expires))

    # then APNs got it over HTTP/2 for the device, with an ES256 token it verified
    assert result == Delivered(apns_id("booking:1:reminder"))
    [request] = apns_service.requests
    assert request.http_version == "2"
    assert request.device == TOKEN
    assert jwt.get_unverified_header(request.jwt) == {
        "alg": "ES256",
        "kid": APNS_KEY_ID,
        "typ": "JWT",
    }
    claims = jwt.decode(request.jwt, options={"verify_signature": False})
    assert claims["iss"] == TEAM_ID
    assert abs(claims["iat"] - clock.now().timestamp()) < 60
    # and the headers APNs reads
    headers = request.headers
    assert headers["apns-topic"] == BUNDLE_ID
    assert headers["apns-push-type"] == "alert"
    assert headers["apns-priority"] == "10"
    assert headers["apns-id"] == apns_id("booking:1:reminder")
    assert headers["apns-collapse-id"] == "booking:1"
    assert headers["apns-expiration"] == str(int(expires.timestamp()))
    # and the payload: aps plus the data at the top level
    assert request.body == {
        "aps": {
            "alert": {"title": "Сессия через час", "body": "Анна Петрова, 15:00"},
            "sound": "default",
        },
        "bookingId": "Qm9va2luZzox",
    }


async def test_apns_id_is_stable_for_one_idempotency_key(
    apns: ApnsProvider, apns_service: FakeApns
) -> None:
    await apns.send(push("booking:7:reminder"))
    await apns.send(push("booking:7:reminder"))
    await apns.send(push("booking:8:reminder"))

    ids = [r.headers["apns-id"] for r in apns_service.requests]
    assert ids[0] == ids[1] != ids[2]
    assert "apns-collapse-id" not in apns_service.requests[0].headers
    # a default expiry: one day from now
    expiration = int(apns_service.requests[0].headers["apns-expiration"])
    assert abs(expiration - (clock.now() + timedelta(days=1)).timestamp()) < 60


async def test_one_provider_token_serves_many_sends(
    apns: ApnsProvider, apns_service: FakeApns
) -> None:
    first = [await apns.send(push(f"k{i}")) for i in range(3)]
    together = await asyncio.gather(*(apns.send(push(f"c{i}")) for i in range(5)))

    assert all(isinstance(r, Delivered) for r in [*first, *together])
    assert len({r.jwt for r in apns_service.requests}) == 1


async def test_an_expired_provider_token_is_signed_again_once_for_all_sends(
    apns: ApnsProvider, apns_service: FakeApns
) -> None:
    # given APNs calls the cached provider token expired
    await apns.send(push("first"))
    old = apns_service.requests[0].jwt
    apns_service.expired.add(old)

    # when five pushes go at once
    results = await asyncio.gather(*(apns.send(push(f"c{i}")) for i in range(5)))

    # then each was tried once more with the one new token
    assert all(isinstance(r, Delivered) for r in results)
    tokens = {r.jwt for r in apns_service.requests[1:]}
    assert len(tokens) == 1
    assert old not in tokens


async def test_expired_twice_is_retry_later_after_one_retry_only(
    apns: ApnsProvider, apns_service: FakeApns
) -> None:
    apns_service.answers.extend([apns_error(403, "ExpiredProviderToken")] * 3)

    result = await apns.send(push())

    assert result == RetryLater(None, "ExpiredProviderToken")
    assert len(apns_service.requests) == 2
    assert apns_service.requests[0].jwt != apns_service.requests[1].jwt


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            apns_error(410, "Unregistered", timestamp=1_800_000_000_000),
            Unregistered("Unregistered", since=datetime.fromtimestamp(1_800_000_000, UTC)),
        ),
        (apns_error(400, "BadDeviceToken"), Unregistered("BadDeviceToken")),
        (apns_error(400, "DeviceTokenNotForTopic"), Unregistered("DeviceTokenNotForTopic")),
        (apns_error(400, "BadCollapseId"), Rejected("BadCollapseId")),
        (apns_error(400, "PayloadEmpty"), Rejected("PayloadEmpty")),
        (apns_error(413, "PayloadTooLarge"), Rejected("PayloadTooLarge")),
        (apns_error(403, "InvalidProviderToken"), RetryLater(None, "InvalidProviderToken")),
        (
            Answer(429, {"reason": "TooManyRequests"}, {"Retry-After": "12"}),
            RetryLater(12.0, "TooManyRequests"),
        ),
        (
            apns_error(429, "TooManyProviderTokenUpdates"),
            RetryLater(None, "TooManyProviderTokenUpdates"),
        ),
        (
            Answer(503, {"reason": "ServiceUnavailable"}, {"Retry-After": "5"}),
            RetryLater(5.0, "ServiceUnavailable"),
        ),
        (apns_error(500, "InternalServerError"), RetryLater(None, "InternalServerError")),
        (Answer(500, None), RetryLater(None, "500")),
    ],
)
async def test_apns_errors_map_to_one_result(
    apns: ApnsProvider, apns_service: FakeApns, answer: Answer, expected: SendResult
) -> None:
    apns_service.answers.append(answer)

    assert await apns.send(push()) == expected
    assert len(apns_service.requests) == 1


async def test_the_data_cannot_replace_aps(apns: ApnsProvider, apns_service: FakeApns) -> None:
    await apns.send(push(data={"aps": '{"content-available":1}', "kind": "chat"}))

    body = apns_service.requests[0].body
    assert body["aps"]["alert"]["title"] == "Сессия через час"
    assert body["kind"] == "chat"


async def test_a_token_cannot_leave_the_device_path(
    apns: ApnsProvider, apns_service: FakeApns
) -> None:
    hostile = "abc?apns-topic=evil#x"

    result = await apns.send(push(token=hostile))

    assert isinstance(result, Delivered)
    assert apns_service.requests[0].device == hostile


async def test_the_logs_hold_no_token_and_no_text(
    apns: ApnsProvider, apns_service: FakeApns, caplog: pytest.LogCaptureFixture
) -> None:
    apns_service.answers.append(apns_error(410, "Unregistered"))
    with caplog.at_level(logging.DEBUG, logger="app"):
        await apns.send(push())
        await apns.send(push())

    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("app"))
    assert token_hash(TOKEN) in ours
    for secret in (TOKEN, "Сессия", "Анна", "Qm9va2luZzox", "eyJ"):
        assert secret not in ours
    # httpx logs request URLs (the device token is in the path): it stays at WARNING
    assert "httpx" in QUIET


async def test_an_expired_push_is_not_sent(apns: ApnsProvider, apns_service: FakeApns) -> None:
    result = await apns.send(push(expires_at=clock.now() - timedelta(seconds=1)))

    assert result == Rejected("Expired")
    assert apns_service.requests == []

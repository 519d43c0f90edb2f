"""registerPushDevice / unregisterPushDevice through the API (the contract's operation)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
import time_machine

from app.core import clock
from app.core.messages import Msg
from app.core.settings import Settings
from models.enums import Role
from models.notify import PushDevice
from tests.factories import SignedIn, signed_in
from tests.helpers import error_codes, gql, gql_raw, op
from tests.notify.support import android_token, ios_token

UNREGISTER = """
mutation Unregister($token: String!) {
  unregisterPushDevice(input: {token: $token}) { removed errors { code message field } }
}
"""


async def register(
    client: httpx.AsyncClient,
    who: SignedIn,
    token: str,
    platform: str = "ANDROID",
    headers: dict[str, str] | None = None,
) -> dict[str, object]:
    data = await gql(
        client,
        op("RegisterPushDevice"),
        {"platform": platform, "token": token},
        who.token,
        headers,
    )
    payload: dict[str, object] = data["registerPushDevice"]
    return payload


async def unregister(client: httpx.AsyncClient, who: SignedIn, token: str) -> dict[str, object]:
    data = await gql(client, UNREGISTER, {"token": token}, who.token)
    payload: dict[str, object] = data["unregisterPushDevice"]
    return payload


async def test_a_device_is_registered_once_per_token(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # given a client and their phone's token
    me = await signed_in(settings)
    token = android_token()

    # when the app registers it twice (every start does)
    first = await register(client, me, token)
    again = await register(client, me, token)

    # then one device, the same id both times
    assert first["errors"] == []
    assert again["errors"] == []
    assert first["device"] == again["device"]
    assert first["device"] == {"id": first["device"]["id"], "platform": "ANDROID"}  # type: ignore[index]
    assert await PushDevice.filter(token=token).count() == 1
    assert (await PushDevice.get(token=token)).user_id == me.user.id


async def test_a_token_moves_to_the_latest_user_with_a_new_id(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # given a token registered by one client
    before, after = await signed_in(settings), await signed_in(settings)
    token = ios_token()
    old = await register(client, before, token, "IOS")

    # when another client registers the same token (the phone changed accounts)
    new = await register(client, after, token, "IOS")

    # then it is theirs alone, under an id the first owner never had
    assert new["errors"] == []
    assert new["device"]["id"] != old["device"]["id"]  # type: ignore[index]
    rows = await PushDevice.filter(token=token)
    assert [r.user_id for r in rows] == [after.user.id]
    assert await PushDevice.filter(user_id=before.user.id).count() == 0


async def test_unregistering_is_idempotent_and_never_touches_another_users_device(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner, stranger = await signed_in(settings), await signed_in(settings)
    token = android_token()
    await register(client, owner, token)

    # a stranger who knows the token cannot remove it, and learns nothing from the answer
    assert await unregister(client, stranger, token) == {"removed": False, "errors": []}
    assert await unregister(client, stranger, android_token()) == {"removed": False, "errors": []}
    assert await PushDevice.filter(token=token, user_id=owner.user.id).exists()

    # the owner removes it, and again is harmless
    assert await unregister(client, owner, token) == {"removed": True, "errors": []}
    assert await unregister(client, owner, token) == {"removed": False, "errors": []}
    assert not await PushDevice.filter(token=token).exists()


@pytest.mark.parametrize(
    ("platform", "token"),
    [
        ("ANDROID", "short"),
        ("ANDROID", "x" * 513),
        ("ANDROID", "fcm token with spaces 0123456789"),
        ("ANDROID", "fcm-token-0123456789\n"),
        ("ANDROID", " fcm-token-0123456789"),
        ("WEB", "fcm-токен-0123456789abcdef"),
        ("WEB", "fcm-token-0123456789<script>"),
        ("IOS", "not-hexadecimal-0123456789abcdef"),
        ("IOS", "0x" + "ab" * 31),
        ("ANDROID", "fcm-token\u200b-zero-width-0123"),
        ("ANDROID", ""),
    ],
)
async def test_a_malformed_token_is_refused_with_a_code_and_both_languages(
    client: httpx.AsyncClient, settings: Settings, platform: str, token: str
) -> None:
    me = await signed_in(settings)
    russian = await register(client, me, token, platform)
    english = await register(client, me, token, platform, {"Accept-Language": "en"})
    for payload, locale in ((russian, 1), (english, 0)):
        assert payload["device"] is None
        [error] = payload["errors"]  # type: ignore[misc]
        assert error["code"] == "INVALID_PUSH_TOKEN"
        assert error["field"] == "token"
        assert error["message"] in {
            Msg.INVALID_PUSH_TOKEN.value[locale],
            Msg.PUSH_TOKEN_LENGTH.value[locale].format(min=16, max=512),
        }
    assert not await PushDevice.filter(user_id=me.user.id).exists()


async def test_only_signed_in_clients_register_devices(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    variables = {"platform": "ANDROID", "token": android_token()}
    anonymous = await gql_raw(client, op("RegisterPushDevice"), variables)
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
    agent = await signed_in(settings, Role.CARE_AGENT)
    staff = await gql_raw(client, op("RegisterPushDevice"), variables, agent.token)
    assert error_codes(staff) == ["FORBIDDEN"]
    refused = await gql_raw(client, UNREGISTER, {"token": variables["token"]})
    assert error_codes(refused) == ["UNAUTHENTICATED"]
    assert not await PushDevice.filter(token=variables["token"]).exists()


async def test_a_client_keeps_the_ten_most_recently_seen_devices(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    from app.notify.devices import MAX_DEVICES_PER_USER

    # given a client with the most devices a client holds, the first one seen again last
    me = await signed_in(settings)
    tokens = [android_token() for _ in range(MAX_DEVICES_PER_USER + 1)]
    start = clock.now()
    for second, token in enumerate(tokens[:MAX_DEVICES_PER_USER]):
        with time_machine.travel(start + timedelta(seconds=second), tick=False):
            assert (await register(client, me, token))["errors"] == []
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        await register(client, me, tokens[0])
        # when one more registers
        await register(client, me, tokens[-1])
    # then the least recently seen one is dropped, the rest stay
    kept = set(await PushDevice.filter(user_id=me.user.id).values_list("token", flat=True))
    assert kept == set(tokens) - {tokens[1]}

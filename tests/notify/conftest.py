"""Test keys (made here with cryptography), the local FCM and APNs, and providers on them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from app.notify.apns import ApnsProvider
from app.notify.fcm import FcmProvider, ServiceAccount
from app.notify.providers import Platform, Push
from tests.notify.services import FakeApns, FakeFcm, serve_h2
from tests.servers import serve_in_loop

PROJECT = "psyline-test"
CLIENT_EMAIL = "push@psyline-test.iam.gserviceaccount.com"
FCM_KEY_ID = "fcm-key-1"
APNS_KEY_ID = "ABC123DEFG"
TEAM_ID = "TEAM456789"
BUNDLE_ID = "ru.psyline.app"


def make_push(platform: Platform, token: str, key: str, /, **changes: object) -> Push:
    """A reminder push in Russian, with data; ``changes`` replace fields."""
    fields: dict[str, object] = {
        "token": token,
        "platform": platform,
        "title": "Сессия через час",
        "body": "Анна Петрова, 15:00",
        "idempotency_key": key,
        "data": {"bookingId": "Qm9va2luZzox"},
    }
    fields.update(changes)
    return Push(**fields)  # type: ignore[arg-type]


def pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def service_account_json(key: rsa.RSAPrivateKey, token_uri: str) -> str:
    return json.dumps(
        {
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": FCM_KEY_ID,
            "private_key": pem(key),
            "client_email": CLIENT_EMAIL,
            "token_uri": token_uri,
        }
    )


@pytest.fixture(scope="session")
async def fcm_server(rsa_key: rsa.RSAPrivateKey) -> AsyncIterator[FakeFcm]:
    service = FakeFcm(rsa_key.public_key(), CLIENT_EMAIL, FCM_KEY_ID, PROJECT)
    async with serve_in_loop(service.app()) as url:
        service.url = url
        yield service


@pytest.fixture
def fcm_service(fcm_server: FakeFcm) -> FakeFcm:
    fcm_server.reset()
    return fcm_server


@pytest.fixture
async def fcm(fcm_service: FakeFcm, rsa_key: rsa.RSAPrivateKey) -> AsyncIterator[FcmProvider]:
    account = ServiceAccount.from_json(service_account_json(rsa_key, fcm_service.token_uri))
    provider = FcmProvider(account, base_url=fcm_service.url)
    yield provider
    await provider.aclose()


@pytest.fixture(scope="session")
async def apns_server(ec_key: ec.EllipticCurvePrivateKey) -> AsyncIterator[FakeApns]:
    service = FakeApns(ec_key.public_key(), APNS_KEY_ID, TEAM_ID, BUNDLE_ID)
    async with serve_h2(service.app()) as url:
        service.url = url
        yield service


@pytest.fixture
def apns_service(apns_server: FakeApns) -> FakeApns:
    apns_server.reset()
    return apns_server


@pytest.fixture
async def apns(
    apns_service: FakeApns, ec_key: ec.EllipticCurvePrivateKey
) -> AsyncIterator[ApnsProvider]:
    provider = ApnsProvider(
        key_id=APNS_KEY_ID,
        team_id=TEAM_ID,
        private_key_pem=pem(ec_key),
        bundle_id=BUNDLE_ID,
        base_url=apns_service.url,
    )
    yield provider
    await provider.aclose()

"""Push settings from the environment, and the providers built from them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from app.core.settings import Settings, SettingsError, load_settings
from app.notify.apns import ApnsProvider
from app.notify.factory import providers_from_settings
from app.notify.fcm import FcmProvider
from app.notify.providers import Delivered, LogOnlyProvider, Platform, Push, retry_after
from tests.notify.conftest import (
    APNS_KEY_ID,
    BUNDLE_ID,
    TEAM_ID,
    make_push,
    pem,
    service_account_json,
)

PUSH_VARIABLES = (
    "FCM_SERVICE_ACCOUNT_JSON",
    "FCM_SERVICE_ACCOUNT_JSON_FILE",
    "FCM_PROJECT_ID",
    "FCM_BASE_URL",
    "FCM_TOKEN_URI",
    "APNS_KEY_ID",
    "APNS_TEAM_ID",
    "APNS_PRIVATE_KEY",
    "APNS_PRIVATE_KEY_FILE",
    "APNS_BUNDLE_ID",
    "APNS_BASE_URL",
)


@pytest.fixture(autouse=True)
def _no_push_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "development")
    for name in PUSH_VARIABLES:
        monkeypatch.delenv(name, raising=False)


async def test_nothing_configured_is_no_provider() -> None:
    assert providers_from_settings(load_settings()) == {}


async def test_the_dev_mode_logs_pushes_and_keeps_nothing_sensitive() -> None:
    providers = providers_from_settings(load_settings(), log_only_missing=True)

    assert set(providers) == set(Platform)
    provider = providers[Platform.IOS]
    assert isinstance(provider, LogOnlyProvider)
    result = await provider.send(Push("device-token", Platform.IOS, "title", "body", "k1"))
    assert result == Delivered()
    [record] = provider.sent
    assert "device-token" not in repr(record)
    assert record.idempotency_key == "k1"


async def test_both_providers_from_files(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    rsa_key: rsa.RSAPrivateKey,
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    # given the service account and the APNs key in files
    account = tmp_path / "fcm.json"
    account.write_text(service_account_json(rsa_key, "https://oauth2.googleapis.com/token"))
    key = tmp_path / f"AuthKey_{APNS_KEY_ID}.p8"
    key.write_text(pem(ec_key))
    monkeypatch.setenv("FCM_SERVICE_ACCOUNT_JSON_FILE", str(account))
    monkeypatch.setenv("APNS_PRIVATE_KEY_FILE", str(key))
    monkeypatch.setenv("APNS_KEY_ID", APNS_KEY_ID)
    monkeypatch.setenv("APNS_TEAM_ID", TEAM_ID)
    monkeypatch.setenv("APNS_BUNDLE_ID", BUNDLE_ID)
    monkeypatch.setenv("APNS_BASE_URL", "https://api.sandbox.push.apple.com")

    # when the settings are loaded and the providers built
    settings = load_settings()
    providers = providers_from_settings(settings)

    # then iOS goes through APNs, Android and web through one FCM client
    assert settings.apns_base_url == "https://api.sandbox.push.apple.com"
    assert isinstance(providers[Platform.IOS], ApnsProvider)
    assert isinstance(providers[Platform.ANDROID], FcmProvider)
    assert providers[Platform.WEB] is providers[Platform.ANDROID]
    # and the keys are not in the settings' repr
    assert "PRIVATE KEY" not in repr(settings)
    for provider in providers.values():
        await provider.aclose()


def test_apns_half_configured_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APNS_KEY_ID", APNS_KEY_ID)

    with pytest.raises(SettingsError, match="all or none"):
        load_settings()


def test_bad_credentials_are_settings_errors(rsa_key: rsa.RSAPrivateKey) -> None:
    apns_with_rsa = Settings(
        apns_key_id=APNS_KEY_ID,
        apns_team_id=TEAM_ID,
        apns_private_key_pem=pem(rsa_key),
        apns_bundle_id=BUNDLE_ID,
    )
    with pytest.raises(SettingsError, match="EC P-256"):
        providers_from_settings(apns_with_rsa)
    for account in (
        "not json",
        "[]",
        '{"client_email": "a@b"}',
        '{"client_email": "a@b", "private_key": "x"}',
    ):
        with pytest.raises(SettingsError, match="FCM_SERVICE_ACCOUNT_JSON"):
            providers_from_settings(Settings(fcm_service_account_json=account))


def test_a_project_id_is_needed(rsa_key: rsa.RSAPrivateKey) -> None:
    account = service_account_json(rsa_key, "https://oauth2.googleapis.com/token").replace(
        '"project_id": "psyline-test"', '"project_id": ""'
    )
    with pytest.raises(SettingsError, match="project id"):
        providers_from_settings(Settings(fcm_service_account_json=account))
    settings = Settings(fcm_service_account_json=account, fcm_project_id="other")
    assert Platform.ANDROID in providers_from_settings(settings)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("", None),
        ("15", 15.0),
        ("soon", None),
        ("-3", None),
        ("Mon, 01 Jan 2001 00:00:00 GMT", 0.0),
    ],
)
def test_retry_after(header: str | None, seconds: float | None) -> None:
    assert retry_after(header) == seconds


@pytest.mark.parametrize(
    "changes",
    [
        {"token": ""},
        {"idempotency_key": ""},
        {"expires_at": datetime(2030, 1, 1)},  # noqa: DTZ001 - the hostile input
    ],
)
def test_a_push_without_what_providers_need_cannot_be_made(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"push needs|timezone-aware"):
        make_push(Platform.ANDROID, "token", "key", **changes)


def test_a_push_repr_holds_no_token_and_no_text() -> None:
    text = repr(make_push(Platform.IOS, "device-token", "booking:1:reminder"))

    assert "booking:1:reminder" in text
    for secret in ("device-token", "Сессия", "Анна", "Qm9va2luZzox"):
        assert secret not in text

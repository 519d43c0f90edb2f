"""Settings come from the environment once; production refuses development secrets."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.core.settings import SettingsError, load_settings

UNUSED_POSTGRES = "postgres://psyline@127.0.0.1:1/never-connected"


def _pem() -> str:
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def test_defaults_work_on_a_fresh_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("APP_ENV", "DATABASE_URL", "REDIS_URL", "JWT_PRIVATE_KEY", "GRAPHIQL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.env == "development"
    assert settings.database_url.startswith("sqlite://")
    assert settings.redis_url is None
    assert settings.graphiql
    assert settings.introspection


def test_production_refuses_to_start_on_development_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    for name in ("DATABASE_URL", "JWT_PRIVATE_KEY", "JWT_PRIVATE_KEY_FILE", "VIDEO_APP_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert "JWT_PRIVATE_KEY" in str(refused.value)
    assert "VIDEO_APP_SECRET" in str(refused.value)
    assert "SQLite" in str(refused.value)

    monkeypatch.setenv("DATABASE_URL", UNUSED_POSTGRES)

    monkeypatch.setenv("JWT_PRIVATE_KEY", _pem())
    monkeypatch.setenv("VIDEO_APP_SECRET", "short")
    with pytest.raises(SettingsError, match="32 bytes"):
        load_settings()

    monkeypatch.setenv("VIDEO_APP_SECRET", "x" * 40)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert "PUBLIC_BASE_URL" in str(refused.value)
    assert "ALLOWED_HOSTS" in str(refused.value)

    monkeypatch.setenv("PUBLIC_BASE_URL", "https://api.psyline.example")
    monkeypatch.setenv("ALLOWED_HOSTS", "*")
    with pytest.raises(SettingsError, match="ALLOWED_HOSTS"):
        load_settings()

    monkeypatch.setenv("ALLOWED_HOSTS", "api.psyline.example")
    monkeypatch.setenv("RATE_LIMITS", "off")
    with pytest.raises(SettingsError, match="RATE_LIMITS=off"):
        load_settings()

    monkeypatch.setenv("RATE_LIMITS", "booking_client=10/30")
    monkeypatch.setenv("ALLOWED_ORIGINS", "*")
    with pytest.raises(SettingsError, match="ALLOWED_ORIGINS"):
        load_settings()

    monkeypatch.setenv("ALLOWED_ORIGINS", "https://app.clinic.example")
    settings = load_settings()
    assert settings.rate_limits == (("booking_client", 10, 30.0),)
    assert settings.is_production
    assert not settings.graphiql
    assert not settings.introspection


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("APP_ENV", "staging"),
        ("MAX_ACTIVE_BOOKINGS", "five"),
        ("RATE_LIMITS", "booking_client=ten"),
        ("TRUSTED_PROXIES", "10.0.0.0/99"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()


def test_public_caching_and_socket_compression_are_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PUBLIC_CACHE_SECONDS", raising=False)
    monkeypatch.delenv("WS_PER_MESSAGE_DEFLATE", raising=False)
    defaults = load_settings()
    assert defaults.public_cache_seconds == 30
    assert defaults.ws_per_message_deflate is False  # 24 vs 70 KiB per socket (bench/)
    monkeypatch.setenv("PUBLIC_CACHE_SECONDS", "0")
    monkeypatch.setenv("WS_PER_MESSAGE_DEFLATE", "true")
    changed = load_settings()
    assert changed.public_cache_seconds == 0
    assert changed.ws_per_message_deflate is True
    monkeypatch.setenv("PUBLIC_CACHE_SECONDS", "-5")
    with pytest.raises(SettingsError, match="PUBLIC_CACHE_SECONDS"):
        load_settings()

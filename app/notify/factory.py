"""The configured push providers, by platform."""

from __future__ import annotations

from app.core.settings import Settings, SettingsError
from app.notify.apns import ApnsKeyError, ApnsProvider
from app.notify.fcm import FcmProvider, ServiceAccount, ServiceAccountError
from app.notify.providers import LogOnlyProvider, Platform, PushProvider


def providers_from_settings(
    settings: Settings, *, log_only_missing: bool = False
) -> dict[Platform, PushProvider]:
    """FCM for Android and web, APNs for iOS, each only when configured.

    ``log_only_missing`` (the embedded dev mode): the other platforms get a
    :class:`LogOnlyProvider`, which sends nothing. Bad credentials raise SettingsError.
    """
    providers: dict[Platform, PushProvider] = {}
    timeout = settings.push_timeout_seconds
    if settings.fcm_service_account_json:
        try:
            fcm = FcmProvider(
                ServiceAccount.from_json(settings.fcm_service_account_json),
                project_id=settings.fcm_project_id,
                base_url=settings.fcm_base_url,
                token_uri=settings.fcm_token_uri,
                timeout=timeout,
            )
        except ServiceAccountError as exc:
            raise SettingsError(f"FCM_SERVICE_ACCOUNT_JSON: {exc}") from None
        providers[Platform.ANDROID] = providers[Platform.WEB] = fcm
    apns = settings.apns_credentials()
    if apns is not None:
        key_id, team_id, key, bundle_id = apns
        try:
            providers[Platform.IOS] = ApnsProvider(
                key_id=key_id,
                team_id=team_id,
                private_key_pem=key,
                bundle_id=bundle_id,
                base_url=settings.apns_base_url,
                timeout=timeout,
            )
        except ApnsKeyError as exc:
            raise SettingsError(f"APNS_PRIVATE_KEY: {exc}") from None
    if log_only_missing:
        log_only = LogOnlyProvider()
        for platform in Platform:
            providers.setdefault(platform, log_only)
    return providers

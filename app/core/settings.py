"""Typed settings, read from the environment once.

Every variable has a documented default that works on a fresh machine (an SQLite
file under ``var/``, in-process pub/sub, development secrets generated into
``var/``). Production refuses to start on development defaults.
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, NoReturn, TypeVar

ROOT = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("PSYLINE_VAR_DIR", str(ROOT / "var")))

Env = Literal["development", "production", "test"]
N = TypeVar("N", int, float)


class SettingsError(RuntimeError):
    """The configuration cannot be used (e.g. production with development secrets)."""


def refuse(exc: SettingsError) -> NoReturn:
    """A refused configuration ends the process: one line on stderr, exit 1, no traceback
    (``python -m app`` and ``uvicorn app.web.app:app`` alike)."""
    print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
    raise SystemExit(1) from None


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str) -> tuple[str, ...]:
    """A comma-separated variable as a tuple of its non-empty items."""
    return tuple(v.strip() for v in os.environ.get(name, "").split(",") if v.strip())


def _rate_limits(raw: str) -> tuple[tuple[str, int, float], ...]:
    """``name=limit/seconds,...`` (``off`` or empty: no changes)."""
    if raw.strip().lower() in ("", "off"):
        return ()
    rules = []
    for item in raw.split(","):
        name, _, spec = item.strip().partition("=")
        limit, _, seconds = spec.partition("/")
        try:
            rules.append((name.strip(), int(limit), float(seconds)))
        except ValueError as exc:
            raise SettingsError(f"RATE_LIMITS: {item.strip()!r} is not name=limit/seconds") from exc
    return tuple(rules)


def _number(name: str, default: N, parse: Callable[[str], N]) -> N:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a {parse.__name__}, got {raw!r}") from exc


def _int(name: str, default: int) -> int:
    return _number(name, default, int)


def _float(name: str, default: float) -> float:
    return _number(name, default, float)


@dataclass(frozen=True)
class Settings:
    env: Env = "development"
    database_url: str = field(default_factory=lambda: f"sqlite://{VAR_DIR / 'psyline.sqlite3'}")
    redis_url: str | None = None
    var_dir: Path = VAR_DIR
    # Our own access tokens: an Ed25519 key pair (PEM). Generated into var/ in
    # development when unset; required in production.
    jwt_private_key_pem: str | None = None
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    partner_token_audience: str = "psyline"  # noqa: S105 - an audience, not a secret
    log_level: str = "INFO"
    graphiql: bool = True
    introspection: bool = True
    max_page_size: int = 100
    max_query_depth: int = 12
    # What one operation may cost (schema.cost) and how many field selections its
    # document may hold (fragments expanded), checked before validation and execution.
    query_cost_budget: int = 10_000
    max_selections: int = 500
    # Request bodies (POST /graphql) and WebSocket frames: refused beyond this, while read.
    max_body_bytes: int = 64 * 1024
    # A query or mutation still running after this ends with a TIMEOUT error.
    operation_timeout_seconds: float = 10.0
    db_pool_max: int = 20
    # Server processes (`serve --workers N`, or WEB_CONCURRENCY, which uvicorn and gunicorn
    # read too): more than one needs REDIS_URL, or live delivery stays inside one process.
    workers: int = 1
    # Booking rules (issue 4); kept here so services read one object.
    max_active_bookings: int = 5
    free_cancellation_hours: int = 24
    # Promo codes a completed checkup issues (app.checkup.promo): a percentage off, or a
    # fixed amount in roubles when PROMO_DISCOUNT_AMOUNT is set; valid this many days.
    promo_discount_percent: int = 20
    promo_discount_amount: int | None = None
    promo_valid_days: int = 30
    # Video (Jitsi-compatible JWT rooms).
    video_base_url: str = "https://meet.psyline.local"
    video_app_id: str = "psyline"
    # HS256 key of the Jitsi JWTs: at least 32 bytes (PyJWT warns below that).
    video_app_secret: str = "dev-video-secret-change-me-in-production"  # noqa: S105 - refused in prod
    # Care team chat (issue 5).
    care_sla_seconds: int = 300
    ws_init_timeout_seconds: float = 5.0
    # Open sockets (app.identity.sockets): how often their sessions are checked (a socket
    # whose session ended closes within this), and the caps (over one, the oldest goes).
    ws_session_check_seconds: float = 5.0
    ws_max_per_user: int = 5
    ws_max_total: int = 10_000
    allowed_origins: tuple[str, ...] = ()
    # What the outside sees (both required in production): absolute URLs are built from
    # PUBLIC_BASE_URL, never from the Host header; other Host values are refused.
    public_base_url: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    # Strict-Transport-Security max-age, when served behind TLS (0: not sent).
    hsts_seconds: int = 0
    # Anonymous GET queries answered without errors may be cached this long by browsers
    # and CDNs (Cache-Control: public, max-age; ETag, 304); 0: everything is no-store.
    public_cache_seconds: int = 30
    # WebSocket permessage-deflate (uvicorn's websockets implementation negotiates it):
    # off, as measured in bench/ws_memory_bench.py (the compressor's window per socket).
    ws_per_message_deflate: bool = False
    # Rate limits (app.core.ratelimit): RATE_LIMITS=off, or single rules changed with
    # RATE_LIMITS=name=limit/seconds,...; the client IP is the peer's unless the peer is
    # in TRUSTED_PROXIES (addresses or CIDRs), whose X-Forwarded-For is then read.
    # Only registered operations run (app.web.documents); recommended in production.
    trusted_documents_only: bool = False
    rate_limits_enabled: bool = True
    rate_limits: tuple[tuple[str, int, float], ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    # Push notifications (issue 13, app.notify): each provider is used when configured.
    # FCM (Android, web): the service account's JSON (FCM_SERVICE_ACCOUNT_JSON, or a file
    # in FCM_SERVICE_ACCOUNT_JSON_FILE); the project id defaults to the account's project_id,
    # the token URI to its token_uri.
    fcm_service_account_json: str | None = field(default=None, repr=False)
    fcm_project_id: str | None = None
    fcm_base_url: str = "https://fcm.googleapis.com"
    fcm_token_uri: str | None = None
    # APNs (iOS), token-based: all four or none. The key is the AuthKey_<key id>.p8 PEM
    # (APNS_PRIVATE_KEY, or a file in APNS_PRIVATE_KEY_FILE). APNS_BASE_URL is production
    # (https://api.push.apple.com) or sandbox (https://api.sandbox.push.apple.com).
    apns_key_id: str | None = None
    apns_team_id: str | None = None
    apns_private_key_pem: str | None = field(default=None, repr=False)
    apns_bundle_id: str | None = None
    apns_base_url: str = "https://api.push.apple.com"
    push_timeout_seconds: float = 10.0
    # The outbox worker (app.notify.worker): in the app's process unless
    # NOTIFY_WORKER_IN_PROCESS=off (then `python -m app worker` runs it, one or more).
    notify_worker_in_process: bool = True
    notify_batch_size: int = 20  # rows claimed per statement
    notify_poll_seconds: float = 2.0  # idle sleep between scans (0.05 .. 60)
    notify_lease_seconds: float = 120.0  # a claimed row is someone else's after this
    notify_max_attempts: int = 8  # then DEAD
    notify_backoff_base_seconds: float = 30.0  # first retry after 15..30 s, doubling
    notify_backoff_max_seconds: float = 3600.0  # no retry waits longer
    # The welcome waits this long after the first sign-in: the app registers its push
    # token only once it holds a session.
    notify_welcome_delay_seconds: float = 60.0
    # Final outbox rows (sent, failed, cancelled) are deleted after this many days by the
    # worker (app.notify.maintenance.prune); 0 keeps them. DEAD rows wait for a human.
    notify_retention_days: int = 30

    def apns_credentials(self) -> tuple[str, str, str, str] | None:
        """(key id, team id, private key PEM, bundle id) when APNs is configured."""
        key_id, team_id, key = self.apns_key_id, self.apns_team_id, self.apns_private_key_pem
        if key_id and team_id and key and self.apns_bundle_id:
            return key_id, team_id, key, self.apns_bundle_id
        return None

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    def validate(self) -> Settings:
        if self.public_cache_seconds < 0:
            raise SettingsError("PUBLIC_CACHE_SECONDS must be 0 (off) or more")
        if not 1 <= self.promo_discount_percent <= 100:
            raise SettingsError("PROMO_DISCOUNT_PERCENT must be 1 to 100")
        if self.promo_discount_amount is not None and self.promo_discount_amount < 1:
            raise SettingsError(
                "PROMO_DISCOUNT_AMOUNT must be a whole number of roubles, 1 or more"
            )
        if not 1 <= self.promo_valid_days <= 366:
            raise SettingsError("PROMO_VALID_DAYS must be 1 to 366")
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError as exc:
                raise SettingsError(f"TRUSTED_PROXIES: {proxy!r} is not an address") from exc
        apns = (self.apns_key_id, self.apns_team_id, self.apns_private_key_pem, self.apns_bundle_id)
        if any(apns) and self.apns_credentials() is None:
            raise SettingsError(
                "APNS_KEY_ID, APNS_TEAM_ID, APNS_PRIVATE_KEY and APNS_BUNDLE_ID: all or none"
            )
        if not 0.05 <= self.notify_poll_seconds <= 60:
            raise SettingsError("NOTIFY_POLL_SECONDS must be between 0.05 and 60")
        if self.notify_batch_size < 1 or self.notify_max_attempts < 1:
            raise SettingsError("NOTIFY_BATCH_SIZE and NOTIFY_MAX_ATTEMPTS must be at least 1")
        if not 0 <= self.notify_retention_days <= 3650:
            raise SettingsError("NOTIFY_RETENTION_DAYS must be between 0 and 3650")
        if not 0 < self.notify_backoff_base_seconds <= self.notify_backoff_max_seconds:
            raise SettingsError("NOTIFY_BACKOFF_BASE_SECONDS must be > 0 and <= the max")
        if self.notify_lease_seconds <= self.push_timeout_seconds:
            raise SettingsError("NOTIFY_LEASE_SECONDS must be longer than PUSH_TIMEOUT_SECONDS")
        if self.workers < 1:
            raise SettingsError("WEB_CONCURRENCY (--workers) must be at least 1")
        if self.workers > 1 and not self.redis_url:
            raise SettingsError(
                f"{self.workers} workers need REDIS_URL: without it a message sent through one"
                " process never reaches sockets on the others (run one worker, or set REDIS_URL)"
            )
        self._check_secret_formats()
        if self.is_production:
            problems = []
            if self.is_sqlite:
                problems.append("DATABASE_URL is SQLite: production needs PostgreSQL")
            if not self.jwt_private_key_pem:
                problems.append("JWT_PRIVATE_KEY (PEM) is required in production")
            if self.video_app_secret == Settings.video_app_secret:
                problems.append("VIDEO_APP_SECRET must be set in production")
            elif len(self.video_app_secret.encode()) < 32:
                problems.append("VIDEO_APP_SECRET must be at least 32 bytes")
            if not self.public_base_url:
                problems.append("PUBLIC_BASE_URL is required in production")
            if "*" in self.allowed_origins:
                problems.append("ALLOWED_ORIGINS=* is refused in production: list the origins")
            if not self.rate_limits_enabled:
                problems.append("RATE_LIMITS=off is for benchmarks, not production")
            if not self.allowed_hosts or "*" in self.allowed_hosts:
                problems.append("ALLOWED_HOSTS (the hosts this service answers for) is required")
            if problems:
                raise SettingsError("; ".join(problems))
        return self

    def _check_secret_formats(self) -> None:
        """A secret that is set but cannot be what it claims is refused now, naming its
        variable (and never quoting it), rather than failing on the first request."""
        if self.jwt_private_key_pem and not _is_private_key(self.jwt_private_key_pem, "ed25519"):
            raise SettingsError("JWT_PRIVATE_KEY is not an Ed25519 private key in PEM form")
        if self.apns_private_key_pem and not _is_private_key(self.apns_private_key_pem, "ec"):
            raise SettingsError("APNS_PRIVATE_KEY is not an EC private key in PEM form (.p8)")
        if self.fcm_service_account_json:
            try:
                account = json.loads(self.fcm_service_account_json)
            except ValueError:
                account = None
            if not isinstance(account, dict):
                raise SettingsError("FCM_SERVICE_ACCOUNT_JSON is not a JSON object")


def _is_private_key(pem: str, kind: Literal["ed25519", "ec"]) -> bool:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):  # not PEM, encrypted, or an unsupported key
        return False
    wanted = ed25519.Ed25519PrivateKey if kind == "ed25519" else ec.EllipticCurvePrivateKey
    return isinstance(key, wanted)


# Every secret is read through `_secret`: NAME, or the file named by NAME_FILE (container
# secrets, Kubernetes volumes). A new secret is one more call, nothing else.
def _secret(name: str) -> str | None:
    """``NAME`` itself, or the content of the file named by ``NAME_FILE`` (surrounding
    whitespace removed: files usually end with a newline). Both set, or a file that
    cannot be read or is empty: SettingsError naming the variable."""
    value = os.environ.get(name) or None
    path = os.environ.get(f"{name}_FILE") or None
    if path is None:
        return value
    if value is not None:
        raise SettingsError(f"{name} and {name}_FILE are both set: set one")
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SettingsError(f"{name}_FILE: cannot read {path} ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{name}_FILE: {path} is not UTF-8 text") from None
    if not text:
        raise SettingsError(f"{name}_FILE: {path} is empty")
    return text


def load_settings() -> Settings:
    """Build settings from environment variables (see README, "Configuration")."""
    env = os.environ.get("APP_ENV", "development")
    if env not in ("development", "production", "test"):
        raise SettingsError(f"APP_ENV must be development or production, got {env!r}")
    production = env == "production"
    defaults = Settings()
    origins = _list("ALLOWED_ORIGINS")
    return Settings(
        env=env,  # type: ignore[arg-type]
        database_url=os.environ.get("DATABASE_URL") or defaults.database_url,
        redis_url=os.environ.get("REDIS_URL") or None,
        jwt_private_key_pem=_secret("JWT_PRIVATE_KEY"),
        access_token_ttl_seconds=_int(
            "ACCESS_TOKEN_TTL_SECONDS", defaults.access_token_ttl_seconds
        ),
        partner_token_audience=os.environ.get("PARTNER_TOKEN_AUDIENCE")
        or defaults.partner_token_audience,
        log_level=os.environ.get("LOG_LEVEL", defaults.log_level),
        graphiql=_bool(os.environ.get("GRAPHIQL"), not production),
        introspection=_bool(os.environ.get("INTROSPECTION"), not production),
        db_pool_max=_int("DB_POOL_MAX", defaults.db_pool_max),
        workers=_int("WEB_CONCURRENCY", defaults.workers),
        query_cost_budget=_int("QUERY_COST_BUDGET", defaults.query_cost_budget),
        max_selections=_int("MAX_SELECTIONS", defaults.max_selections),
        max_body_bytes=_int("MAX_BODY_BYTES", defaults.max_body_bytes),
        operation_timeout_seconds=_float(
            "OPERATION_TIMEOUT_SECONDS", defaults.operation_timeout_seconds
        ),
        max_active_bookings=_int("MAX_ACTIVE_BOOKINGS", defaults.max_active_bookings),
        free_cancellation_hours=_int("FREE_CANCELLATION_HOURS", defaults.free_cancellation_hours),
        promo_discount_percent=_int("PROMO_DISCOUNT_PERCENT", defaults.promo_discount_percent),
        promo_discount_amount=(
            _int("PROMO_DISCOUNT_AMOUNT", 0) if os.environ.get("PROMO_DISCOUNT_AMOUNT") else None
        ),
        promo_valid_days=_int("PROMO_VALID_DAYS", defaults.promo_valid_days),
        video_base_url=os.environ.get("VIDEO_BASE_URL") or defaults.video_base_url,
        video_app_id=os.environ.get("VIDEO_APP_ID") or defaults.video_app_id,
        video_app_secret=_secret("VIDEO_APP_SECRET") or defaults.video_app_secret,
        care_sla_seconds=_int("CARE_SLA_SECONDS", defaults.care_sla_seconds),
        allowed_origins=origins,
        public_base_url=(os.environ.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
        allowed_hosts=_list("ALLOWED_HOSTS"),
        hsts_seconds=_int("HSTS_SECONDS", defaults.hsts_seconds),
        public_cache_seconds=_int("PUBLIC_CACHE_SECONDS", defaults.public_cache_seconds),
        ws_per_message_deflate=_bool(
            os.environ.get("WS_PER_MESSAGE_DEFLATE"), defaults.ws_per_message_deflate
        ),
        trusted_documents_only=_bool(os.environ.get("TRUSTED_DOCUMENTS_ONLY"), False),
        rate_limits_enabled=os.environ.get("RATE_LIMITS", "").strip().lower() != "off",
        rate_limits=_rate_limits(os.environ.get("RATE_LIMITS", "")),
        trusted_proxies=_list("TRUSTED_PROXIES"),
        ws_session_check_seconds=_float(
            "WS_SESSION_CHECK_SECONDS", defaults.ws_session_check_seconds
        ),
        ws_max_per_user=_int("WS_MAX_PER_USER", defaults.ws_max_per_user),
        ws_max_total=_int("WS_MAX_TOTAL", defaults.ws_max_total),
        fcm_service_account_json=_secret("FCM_SERVICE_ACCOUNT_JSON"),
        fcm_project_id=os.environ.get("FCM_PROJECT_ID") or None,
        fcm_base_url=os.environ.get("FCM_BASE_URL") or defaults.fcm_base_url,
        fcm_token_uri=os.environ.get("FCM_TOKEN_URI") or None,
        apns_key_id=os.environ.get("APNS_KEY_ID") or None,
        apns_team_id=os.environ.get("APNS_TEAM_ID") or None,
        apns_private_key_pem=_secret("APNS_PRIVATE_KEY"),
        apns_bundle_id=os.environ.get("APNS_BUNDLE_ID") or None,
        apns_base_url=os.environ.get("APNS_BASE_URL") or defaults.apns_base_url,
        push_timeout_seconds=_float("PUSH_TIMEOUT_SECONDS", defaults.push_timeout_seconds),
        notify_worker_in_process=_bool(
            os.environ.get("NOTIFY_WORKER_IN_PROCESS"), defaults.notify_worker_in_process
        ),
        notify_batch_size=_int("NOTIFY_BATCH_SIZE", defaults.notify_batch_size),
        notify_poll_seconds=_float("NOTIFY_POLL_SECONDS", defaults.notify_poll_seconds),
        notify_lease_seconds=_float("NOTIFY_LEASE_SECONDS", defaults.notify_lease_seconds),
        notify_max_attempts=_int("NOTIFY_MAX_ATTEMPTS", defaults.notify_max_attempts),
        notify_backoff_base_seconds=_float(
            "NOTIFY_BACKOFF_BASE_SECONDS", defaults.notify_backoff_base_seconds
        ),
        notify_backoff_max_seconds=_float(
            "NOTIFY_BACKOFF_MAX_SECONDS", defaults.notify_backoff_max_seconds
        ),
        notify_retention_days=_int("NOTIFY_RETENTION_DAYS", defaults.notify_retention_days),
        notify_welcome_delay_seconds=_float(
            "NOTIFY_WELCOME_DELAY_SECONDS", defaults.notify_welcome_delay_seconds
        ),
    ).validate()

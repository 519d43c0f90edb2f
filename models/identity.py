"""People: clients (signed in by a partner), psychologists' and staff accounts.

Also the identity machinery: partners (who may sign their users in) and their
keys, our sessions with their rotating refresh tokens, and the partner-token
replay store (``UsedJti``).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.enums import Role

DEFAULT_PARTNER_TIMEZONE = "Europe/Moscow"


class Partner(Model):
    """A partner app whose backend mints sign-in JWTs for its users (configuration, not code)."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    issuer = fields.CharField(max_length=255, unique=True, description="Exact `iss` of its tokens")
    audience = fields.CharField(
        max_length=255, null=True, description="Overrides PARTNER_TOKEN_AUDIENCE for this partner"
    )
    algorithms = fields.CharField(
        max_length=120, default="RS256,ES256,EdDSA", description="Comma-separated allow-list"
    )
    jwks_url = fields.CharField(max_length=500, null=True)
    enabled = fields.BooleanField(default=True)
    timezone = fields.CharField(
        max_length=64,
        default=DEFAULT_PARTNER_TIMEZONE,
        db_default=DEFAULT_PARTNER_TIMEZONE,
        description="IANA zone of the partner's figures (registrations per local day)",
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    keys: fields.ReverseRelation[PartnerKey]

    class Meta:
        table = "partners"

    def __str__(self) -> str:
        return f"Partner#{self.id}({self.name})"

    @property
    def algorithm_list(self) -> list[str]:
        return [a.strip() for a in self.algorithms.split(",") if a.strip()]


class PartnerKey(Model):
    """Public key (PEM) of a partner, several per partner during a rotation."""

    id = fields.IntField(primary_key=True)
    partner: fields.ForeignKeyRelation[Partner] = fields.ForeignKeyField(
        "identity.Partner", related_name="keys", on_delete=fields.CASCADE
    )
    kid = fields.CharField(max_length=255, null=True)
    public_key_pem = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "partner_keys"
        unique_together = (("partner", "kid"),)


class User(Model):
    """One person. Clients are one per E.164 phone number across partners."""

    id = fields.IntField(primary_key=True)
    role = fields.CharEnumField(Role, max_length=16, default=Role.CLIENT)
    phone_e164 = fields.CharField(max_length=20, null=True, unique=True)
    email = fields.CharField(max_length=254, null=True, unique=True)
    display_name = fields.CharField(max_length=120, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    # Which partner brought the client first and most recently (KPIs), and the
    # latest partner's own user id (`sub`, optional).
    first_partner: fields.ForeignKeyNullableRelation[Partner] = fields.ForeignKeyField(
        "identity.Partner", related_name="first_users", null=True, on_delete=fields.SET_NULL
    )
    latest_partner: fields.ForeignKeyNullableRelation[Partner] = fields.ForeignKeyField(
        "identity.Partner", related_name="latest_users", null=True, on_delete=fields.SET_NULL
    )
    latest_partner_id: int | None  # set by Tortoise; declared for type checkers
    partner_subject = fields.CharField(max_length=255, null=True)
    last_sign_in_at = fields.DatetimeField(null=True)
    # Staff: argon2id hash; consecutive failures and the lockout they cause.
    password_hash = fields.CharField(max_length=255, null=True)
    failed_logins = fields.IntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    # Admins only: the one partner whose figures they see (null: every partner).
    scope_partner: fields.ForeignKeyNullableRelation[Partner] = fields.ForeignKeyField(
        "identity.Partner", related_name="scoped_staff", null=True, on_delete=fields.RESTRICT
    )
    scope_partner_id: int | None

    class Meta:
        table = "users"

    def __str__(self) -> str:  # never the phone: this may end up in a log line
        return f"User#{self.id}"


class Session(Model):
    """One signed-in device: a refresh-token family. Revoking it ends every token of it."""

    id = fields.CharField(max_length=32, primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "identity.User", related_name="sessions", on_delete=fields.CASCADE
    )
    partner: fields.ForeignKeyNullableRelation[Partner] = fields.ForeignKeyField(
        "identity.Partner", related_name="sessions", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    revoke_reason = fields.CharField(max_length=32, null=True)

    refresh_tokens: fields.ReverseRelation[RefreshToken]

    class Meta:
        table = "sessions"


class RefreshToken(Model):
    """One refresh token of a session, stored as its SHA-256, used once, then rotated."""

    id = fields.IntField(primary_key=True)
    session: fields.ForeignKeyRelation[Session] = fields.ForeignKeyField(
        "identity.Session", related_name="refresh_tokens", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "refresh_tokens"


class UsedJti(Model):
    """Replay store: the jti of a partner token is accepted once (the unique key holds it)."""

    id = fields.IntField(primary_key=True)
    partner: fields.ForeignKeyRelation[Partner] = fields.ForeignKeyField(
        "identity.Partner", related_name="used_jtis", on_delete=fields.CASCADE
    )
    jti = fields.CharField(max_length=255)
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "used_jtis"
        unique_together = (("partner", "jti"),)

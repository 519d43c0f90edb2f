"""The hostile-token suite: every rejection gets its stable code and creates nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from app.core import events
from app.identity.events import UserRegistered
from app.identity.keys import pem_of
from app.identity.runtime import IdentityRuntime
from models.identity import PartnerKey, Session, UsedJti, User
from tests.helpers import op
from tests.identity.support import (
    AUDIENCE,
    DROP,
    FakePartner,
    ec_key,
    hs256_token,
    make_partner,
    new_phone,
    rsa_key,
    sign_in,
    unsigned_token,
    user_count,
)

Case = Callable[[FakePartner, str], Awaitable[str]]
now = lambda: int(datetime.now(UTC).timestamp())  # noqa: E731


async def alg_none(tp: FakePartner, phone: str) -> str:
    return unsigned_token(tp.claims(phone), {"alg": "none", "typ": "JWT", "kid": tp.kid})


async def alg_none_with_signature(tp: FakePartner, phone: str) -> str:
    token = tp.mint(phone)
    _header, payload, sig = token.split(".")
    none_header = unsigned_token({}, {"alg": "none", "kid": tp.kid}).split(".")[0]
    return f"{none_header}.{payload}.{sig}"


async def hs256_with_public_key(tp: FakePartner, phone: str) -> str:
    secret = pem_of(tp.key.public_key()).encode()
    return hs256_token(tp.claims(phone), secret, tp.kid)


async def wrong_key(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, key=rsa_key())


async def wrong_iss(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, iss="https://attacker.example")


async def iss_case_differs(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, iss=tp.issuer.upper())


async def wrong_aud(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, aud="someone-else")


async def missing_aud(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, aud=DROP)


async def expired(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, iat=now() - 300, exp=now() - 60)


async def nbf_in_future(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, nbf=now() + 120)


async def iat_in_future(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, iat=now() + 120, exp=now() + 300)


async def lifetime_over_10_minutes(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, iat=now(), exp=now() + 601)


async def missing_exp(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, exp=DROP)


async def string_exp(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, exp=str(now() + 300))  # PyJWT alone would accept it


async def boolean_iat(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, iat=True)


async def missing_iat(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, iat=DROP)


async def missing_jti(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, jti=DROP)


async def empty_jti(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, jti="")


async def missing_phone(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, phone_number=DROP)


async def invalid_phone(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, phone_number="+7 123")


async def landline_phone(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, phone_number="+74951234567")


async def phone_not_a_string(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, phone_number=79161234567)


async def unknown_kid(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, headers={"kid": "rotated-away"})


async def unknown_crit(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, headers={"crit": ["https://example/ext"], "https://example/ext": 1})


async def embedded_jwk(tp: FakePartner, phone: str) -> str:
    # RFC 8725 3.10: keys named by the token itself (jwk/jku/x5u) are never trusted.
    attacker = rsa_key()
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(attacker.public_key(), as_dict=True)
    return tp.mint(phone, key=attacker, headers={"jwk": jwk, "jku": "https://evil/jwks"})


async def sixty_kb(tp: FakePartner, phone: str) -> str:
    # (A 1 MB one is refused with 413 before it is read: tests/test_malformed_input.py.)
    return tp.mint(phone, padding="x" * 40_000)


async def just_over_8kb(tp: FakePartner, phone: str) -> str:
    token = tp.mint(phone, padding="")
    return tp.mint(phone, padding="x" * (8 * 1024 - len(token) + 10))


async def garbage(tp: FakePartner, phone: str) -> str:
    return "not.a.jwt"


async def alg_not_in_partner_allow_list(tp: FakePartner, phone: str) -> str:
    # PS256 is asymmetric and fits the RSA key, but the partner only allows RS256/ES256.
    return tp.mint(phone, alg="PS256")


async def alg_key_family_mismatch(tp: FakePartner, phone: str) -> str:
    # ES256 is allowed for the partner, but kid k1 is an RSA key.
    return tp.mint(phone, key=ec_key(), alg="ES256")


async def disabled_partner(tp: FakePartner, phone: str) -> str:
    other = await make_partner(enabled=False)
    return other.mint(phone)


async def unknown_partner_missing_iss(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, iss=DROP)


async def nul_in_iss(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, iss=tp.issuer + "\x00")


async def nul_in_jti(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, jti="abc\x00def")


async def lone_surrogate_in_sub(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, sub="\ud800")


async def jti_not_a_string(tp: FakePartner, phone: str) -> str:
    return tp.mint(phone, jti=12345)


HOSTILE: list[tuple[Case, str]] = [
    (nul_in_iss, "INVALID_TOKEN"),
    (nul_in_jti, "INVALID_TOKEN"),
    (lone_surrogate_in_sub, "INVALID_TOKEN"),
    (jti_not_a_string, "INVALID_TOKEN"),
    (alg_none, "INVALID_TOKEN"),
    (alg_none_with_signature, "INVALID_TOKEN"),
    (hs256_with_public_key, "INVALID_TOKEN"),
    (wrong_key, "INVALID_TOKEN"),
    (wrong_iss, "INVALID_TOKEN"),
    (iss_case_differs, "INVALID_TOKEN"),
    (unknown_partner_missing_iss, "INVALID_TOKEN"),
    (wrong_aud, "INVALID_TOKEN"),
    (missing_aud, "INVALID_TOKEN"),
    (expired, "TOKEN_EXPIRED"),
    (nbf_in_future, "TOKEN_NOT_YET_VALID"),
    (iat_in_future, "TOKEN_NOT_YET_VALID"),
    (lifetime_over_10_minutes, "TOKEN_LIFETIME_TOO_LONG"),
    (missing_exp, "INVALID_TOKEN"),
    (missing_iat, "INVALID_TOKEN"),
    (missing_jti, "INVALID_TOKEN"),
    (empty_jti, "INVALID_TOKEN"),
    (missing_phone, "INVALID_PHONE"),
    (invalid_phone, "INVALID_PHONE"),
    (landline_phone, "INVALID_PHONE"),
    (phone_not_a_string, "INVALID_PHONE"),
    (unknown_kid, "INVALID_TOKEN"),
    (unknown_crit, "INVALID_TOKEN"),
    (embedded_jwk, "INVALID_TOKEN"),
    (sixty_kb, "TOKEN_TOO_LARGE"),
    (just_over_8kb, "TOKEN_TOO_LARGE"),
    (garbage, "INVALID_TOKEN"),
    (string_exp, "INVALID_TOKEN"),
    (boolean_iat, "INVALID_TOKEN"),
    (alg_not_in_partner_allow_list, "INVALID_TOKEN"),
    (alg_key_family_mismatch, "INVALID_TOKEN"),
    (disabled_partner, "INVALID_TOKEN"),
]


@pytest.fixture
async def partner(app: Any) -> FakePartner:
    return await make_partner()


@pytest.mark.parametrize(("case", "code"), HOSTILE, ids=[c.__name__ for c, _ in HOSTILE])
async def test_hostile_token_is_refused_with_its_code_and_creates_nothing(
    client: httpx.AsyncClient, partner: FakePartner, case: Case, code: str
) -> None:
    phone = new_phone()
    token = await case(partner, phone)
    users, sessions, jtis = (
        await user_count(),
        await Session.all().count(),
        await UsedJti.all().count(),
    )

    result = await sign_in(client, token)

    assert result["session"] is None
    assert result["viewer"] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [(code, "partnerToken")]
    assert await user_count() == users
    assert await Session.all().count() == sessions
    assert await UsedJti.all().count() == jtis
    assert not await User.exists(phone_e164=phone)


async def test_replayed_jti_is_refused_and_creates_nothing(
    client: httpx.AsyncClient, partner: FakePartner
) -> None:
    token = partner.mint()
    first = await sign_in(client, token)
    assert first["errors"] == []
    assert first["viewer"]["isNewUser"] is True
    users, sessions = await user_count(), await Session.all().count()

    again = await sign_in(client, token)

    assert [e["code"] for e in again["errors"]] == ["TOKEN_REPLAYED"]
    assert again["session"] is None
    assert (await user_count(), await Session.all().count()) == (users, sessions)


async def test_same_jti_with_another_partner_is_not_a_replay(client: httpx.AsyncClient) -> None:
    a, b = await make_partner(), await make_partner()
    jti = uuid.uuid4().hex
    assert (await sign_in(client, a.mint(jti=jti)))["errors"] == []
    assert (await sign_in(client, b.mint(jti=jti)))["errors"] == []


async def test_first_sign_in_registers_then_signs_in_the_same_person(
    client: httpx.AsyncClient, partner: FakePartner
) -> None:
    phone = new_phone()
    registered: list[tuple[int, int]] = []

    async def listener(event: UserRegistered) -> None:
        registered.append((event.user.id, event.partner.id))

    with events.listening(UserRegistered, listener):
        first = await sign_in(client, partner.mint(phone, sub="u-1"))
        second = await sign_in(client, partner.mint(phone, sub=DROP))

    assert first["errors"] == []
    assert second["errors"] == []
    assert first["viewer"]["isNewUser"] is True
    assert second["viewer"]["isNewUser"] is False
    assert first["viewer"]["id"] == second["viewer"]["id"]
    user = await User.get(phone_e164=phone)
    assert registered == [(user.id, partner.partner.id)]
    assert user.partner_subject == "u-1"  # kept: the second token had no sub
    session = first["session"]
    assert session["accessToken"]
    assert session["refreshToken"]
    assert session["accessTokenExpiresAt"]


async def test_one_person_per_phone_across_partners_first_and_latest_recorded(
    client: httpx.AsyncClient,
) -> None:
    a, b = await make_partner(), await make_partner(key=ec_key(), alg="ES256")
    phone = new_phone()
    first = await sign_in(client, a.mint(phone, sub="a-42"))
    # The same person, written the way a partner might: national format.
    national = "8 (" + phone[2:5] + ") " + phone[5:8] + "-" + phone[8:10] + "-" + phone[10:]
    second = await sign_in(client, b.mint(national, sub="b-7"))

    assert first["viewer"]["isNewUser"] is True
    assert second["viewer"]["isNewUser"] is False
    assert first["viewer"]["id"] == second["viewer"]["id"]
    user = await User.get(phone_e164=phone)
    assert user.first_partner_id == a.partner.id  # type: ignore[attr-defined]
    assert user.latest_partner_id == b.partner.id  # type: ignore[attr-defined]
    assert user.partner_subject == "b-7"


async def test_leeway_audience_list_and_partner_audience_override(
    client: httpx.AsyncClient,
) -> None:
    tp = await make_partner()
    # nbf 20 s ahead is inside the 30 s leeway; aud may be a list containing ours.
    ok = await sign_in(client, tp.mint(nbf=now() + 20, aud=["other", AUDIENCE]))
    assert ok["errors"] == []
    # Exactly 10 minutes is allowed.
    ok = await sign_in(client, tp.mint(iat=now(), exp=now() + 600))
    assert ok["errors"] == []

    custom = await make_partner(audience="clinic-app-aud")
    refused = await sign_in(client, custom.mint(aud=AUDIENCE))
    assert [e["code"] for e in refused["errors"]] == ["INVALID_TOKEN"]
    assert (await sign_in(client, custom.mint(aud="clinic-app-aud")))["errors"] == []


async def test_key_rotation_with_several_stored_keys(client: httpx.AsyncClient) -> None:
    tp = await make_partner(algorithms="RS256,EdDSA")
    new_key = ed25519.Ed25519PrivateKey.generate()
    await PartnerKey.create(
        partner=tp.partner, kid="k2", public_key_pem=pem_of(new_key.public_key())
    )

    old = await sign_in(client, tp.mint())
    new = await sign_in(client, tp.mint(key=new_key, alg="EdDSA", headers={"kid": "k2"}))
    # k2 named, but signed with the old key: refused.
    mixed = await sign_in(client, tp.mint(headers={"kid": "k2"}))

    assert old["errors"] == []
    assert new["errors"] == []
    assert [e["code"] for e in mixed["errors"]] == ["INVALID_TOKEN"]


async def test_a_staff_phone_cannot_be_signed_in_by_a_partner(
    client: httpx.AsyncClient, partner: FakePartner
) -> None:
    phone = new_phone()
    from models.enums import Role

    await User.create(role=Role.ADMIN, email=f"{uuid.uuid4().hex[:8]}@x.test", phone_e164=phone)
    result = await sign_in(client, partner.mint(phone))
    assert [e["code"] for e in result["errors"]] == ["INVALID_PHONE"]
    assert result["session"] is None


async def test_partner_token_lifetime_limit_is_relative_to_iat_not_now(
    client: httpx.AsyncClient, partner: FakePartner
) -> None:
    # iat 9 minutes ago, exp in 1 minute: a 10-minute token near its end is fine.
    result = await sign_in(client, partner.mint(iat=now() - 540, exp=now() + 60, nbf=now() - 540))
    assert result["errors"] == []
    assert datetime.fromisoformat(result["session"]["accessTokenExpiresAt"]) > datetime.now(
        UTC
    ) + timedelta(minutes=14)


async def test_hs256_is_refused_even_if_a_partner_row_allows_it(client: httpx.AsyncClient) -> None:
    tp = await make_partner(algorithms="HS256,RS256")  # e.g. a hand-edited row
    phone = new_phone()
    token = hs256_token(tp.claims(phone), pem_of(tp.key.public_key()).encode(), tp.kid)
    result = await sign_in(client, token)
    assert [e["code"] for e in result["errors"]] == ["INVALID_TOKEN"]
    assert not await User.exists(phone_e164=phone)


async def test_used_jtis_are_purged_after_they_expire(partner: FakePartner) -> None:
    from app.identity import partner_tokens

    stale = await UsedJti.create(
        partner_id=partner.partner.id,
        jti=uuid.uuid4().hex,
        expires_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    fresh_jti = uuid.uuid4().hex
    await partner_tokens.consume_jti(
        partner.partner,
        fresh_jti,
        datetime.now(UTC) + timedelta(minutes=5),
        datetime.now(UTC),
        IdentityRuntime(),  # a fresh runtime: its first sign-in purges
    )
    assert not await UsedJti.exists(id=stale.id)
    assert await UsedJti.exists(partner_id=partner.partner.id, jti=fresh_jti)


async def test_rejections_after_the_header_parses_do_the_same_database_work(
    client: httpx.AsyncClient, partner: FakePartner
) -> None:
    """Same work whatever fails: one partner query, one key query, a signature check."""
    from tests.helpers import count_sql

    counts = {}
    for case in (wrong_iss, disabled_partner, unknown_kid, wrong_key, alg_none, expired):
        token = await case(partner, new_phone())
        with count_sql() as sql:
            await sign_in(client, token)
        counts[case.__name__] = sql.count
    assert set(counts.values()) == {2}, counts


async def test_unknown_partner_or_key_still_costs_a_signature_check(
    client: httpx.AsyncClient, partner: FakePartner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.identity import partner_tokens

    used: list[str] = []
    real = partner_tokens.dummy_key

    def counting(alg: str) -> Any:
        used.append(alg)
        return real(alg)

    monkeypatch.setattr(partner_tokens, "dummy_key", counting)
    for case in (wrong_iss, disabled_partner, unknown_kid, alg_key_family_mismatch):
        await sign_in(client, await case(partner, new_phone()))
    assert used == ["RS256", "RS256", "RS256", "ES256"]
    await sign_in(client, partner.mint())  # a known key: no dummy
    assert len(used) == 4


async def test_a_failing_registration_listener_does_not_fail_the_sign_in(
    client: httpx.AsyncClient, partner: FakePartner
) -> None:
    async def broken(event: UserRegistered) -> None:
        raise RuntimeError("listener bug")

    with events.listening(UserRegistered, broken):
        result = await sign_in(client, partner.mint())
    assert result["errors"] == []
    assert result["viewer"]["isNewUser"] is True


@pytest.mark.parametrize(
    ("token", "code"),
    [("\ud800" * 3000, "TOKEN_TOO_LARGE"), ("eyJ\ud800.x.y", "INVALID_TOKEN")],
    ids=["9000 bytes", "small"],
)
async def test_lone_surrogates_are_refused_at_the_door_and_by_the_verifier(
    client: httpx.AsyncClient, settings: Any, token: str, code: str
) -> None:
    from app.identity.partner_tokens import PartnerTokenError, verify_partner_token

    body = json.dumps({"query": op("SignIn"), "variables": {"token": token}})  # \ud800
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400  # JSON that cannot be stored is not read
    with pytest.raises(PartnerTokenError) as refused:  # and the verifier holds on its own
        await verify_partner_token(settings, IdentityRuntime(), token)
    assert refused.value.code.value == code

"""``python -m app partner ...`` / ``staff add|disable`` on a database of their own.

Subprocesses, as an operator runs them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from app.core.settings import Settings
from app.demo.identity import demo_partner_token
from app.identity.keys import pem_of
from tests.helpers import dev_env, run_in_checkout
from tests.identity.support import rsa_key


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = dev_env(tmp_path_factory.mktemp("cli-var"), LOG_LEVEL="WARNING")
    run(env, "migrate")
    return env


def run(env: dict[str, str], *args: str, stdin: str | None = None, ok: bool = True) -> str:
    proc = run_in_checkout([sys.executable, "-m", "app", *args], env, stdin)
    if ok:
        assert proc.returncode == 0, proc.stderr
    else:
        assert proc.returncode != 0
        return proc.stderr
    return proc.stdout


def test_partner_add_list_disable(cli_env: dict[str, str], tmp_path: Path) -> None:
    pem = tmp_path / "partner.pem"
    pem.write_text(pem_of(rsa_key().public_key()))
    out = run(
        cli_env,
        "partner", "add", "--name", "clinic", "--issuer", "https://clinic.example",
        "--public-key", str(pem), "--kid", "c1", "--algorithms", "RS256",
    )  # fmt: skip
    assert "partner clinic added (1 key(s))" in out

    jwks = tmp_path / "jwks.json"
    k1 = jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key().public_key(), as_dict=True)
    k2 = jwt.algorithms.ECAlgorithm.to_jwk(
        ec.generate_private_key(ec.SECP256R1()).public_key(), as_dict=True
    )
    jwks.write_text(json.dumps({"keys": [{**k1, "kid": "a"}, {**k2, "kid": "b"}]}))
    out = run(
        cli_env,
        "partner", "add", "--name", "net", "--issuer", "https://net.example",
        "--audience", "net-aud", "--jwks", str(jwks),
    )  # fmt: skip
    assert "2 key(s)" in out
    out = run(
        cli_env,
        "partner", "add", "--name", "remote", "--issuer", "https://remote.example",
        "--jwks", "https://remote.example/.well-known/jwks.json",
    )  # fmt: skip
    assert "JWKS URL" in out

    err = run(
        cli_env, "partner", "add", "--name", "x", "--issuer", "https://clinic.example",
        "--public-key", str(pem), ok=False,
    )  # fmt: skip
    assert "belongs to another partner" in err
    err = run(
        cli_env, "partner", "add", "--name", "y", "--issuer", "https://y.example",
        "--public-key", str(pem), "--algorithms", "HS256", ok=False,
    )  # fmt: skip
    assert "algorithms must be among" in err

    assert "partner clinic disabled, 0 live sessions ended" in run(
        cli_env, "partner", "disable", "clinic"
    )
    listing = run(cli_env, "partner", "list")
    assert "clinic\tDISABLED\tiss=https://clinic.example" in listing
    assert "net\tenabled" in listing
    assert "aud=net-aud" in listing
    assert "kids=a,b" in listing


def test_seed_demo_then_mint_a_demo_token(cli_env: dict[str, str]) -> None:
    # Only this test seeds the module's database: before it, there is no demo partner.
    err = run(cli_env, "partner", "token", "--phone", "+79991234567", ok=False)
    assert "seed --demo" in err

    out = run(cli_env, "seed", "--demo", "--psychologists", "2")
    assert "demo partner 'demo'" in out
    assert "care_agent: care@demo.psyline.local / " in out  # printed once...
    assert "psychologist: psychologist@demo.psyline.local / " in out  # linked to a profile
    again = run(cli_env, "seed", "--demo", "--psychologists", "2")
    assert "care@demo" not in again  # ...and not on a re-run

    token = run(cli_env, "partner", "token", "--phone", "+79991234567").strip()
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "EdDSA"
    assert header["kid"] == "demo-1"
    assert claims["phone_number"] == "+79991234567"
    assert claims["exp"] - claims["iat"] <= 600
    assert claims["jti"]
    key = Path(cli_env["PSYLINE_VAR_DIR"]) / "demo_partner_ed25519.pem"
    assert key.stat().st_mode & 0o077 == 0


async def test_partner_token_is_refused_in_production(settings: Settings) -> None:
    with pytest.raises(RuntimeError, match="refused in production"):
        await demo_partner_token(settings.with_(env="production"), "+79991234567")


def test_staff_add_reads_the_password_from_stdin(cli_env: dict[str, str]) -> None:
    out = run(
        cli_env, "staff", "add", "--email", "Agent@Clinic.test", "--role", "CARE_AGENT",
        stdin="a long enough password\n",
    )  # fmt: skip
    assert "staff agent@clinic.test (CARE_AGENT) saved" in out
    err = run(
        cli_env, "staff", "add", "--email", "b@clinic.test", "--role", "ADMIN", stdin="short\n",
        ok=False,
    )  # fmt: skip
    assert "at least" in err
    err = run(cli_env, "staff", "add", "--email", "c@clinic.test", "--role", "ADMIN",
              "--password", "x", ok=False)  # fmt: skip
    assert "unrecognized arguments" in err
    out = run(cli_env, "staff", "disable", "agent@clinic.test")
    assert "staff account agent@clinic.test disabled, 0 live sessions ended" in out
    err = run(cli_env, "staff", "disable", "nobody@clinic.test", ok=False)
    assert "no staff account" in err


def test_staff_add_scopes_an_admin_to_a_partner(cli_env: dict[str, str], tmp_path: Path) -> None:
    pem = tmp_path / "scoped.pem"
    pem.write_text(pem_of(rsa_key().public_key()))
    err = run(
        cli_env, "partner", "add", "--name", "kpi-bad", "--issuer", "https://kpi-bad.example",
        "--public-key", str(pem), "--timezone", "Mars/Olympus", ok=False,
    )  # fmt: skip
    assert "not an IANA time zone" in err
    run(
        cli_env, "partner", "add", "--name", "kpi-clinic", "--issuer", "https://kpi.example",
        "--public-key", str(pem), "--timezone", "Asia/Novosibirsk",
    )  # fmt: skip
    assert "kpi-clinic\tenabled" in (listing := run(cli_env, "partner", "list"))
    assert "tz=Asia/Novosibirsk" in listing

    out = run(
        cli_env, "staff", "add", "--email", "kpi@clinic.test", "--role", "ADMIN",
        "--partner", "kpi-clinic", stdin="a long enough password\n",
    )  # fmt: skip
    assert "staff kpi@clinic.test (ADMIN, scoped to partner kpi-clinic) saved" in out
    err = run(
        cli_env, "staff", "add", "--email", "kpi2@clinic.test", "--role", "ADMIN",
        "--partner", "nobody", stdin="a long enough password\n", ok=False,
    )  # fmt: skip
    assert "no partner named 'nobody'" in err
    err = run(
        cli_env, "staff", "add", "--email", "kpi3@clinic.test", "--role", "CARE_AGENT",
        "--partner", "kpi-clinic", stdin="a long enough password\n", ok=False,
    )  # fmt: skip
    assert "only an ADMIN is scoped" in err

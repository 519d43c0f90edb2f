"""``python -m app partner ...`` and ``python -m app staff add``.

Passwords never come from argv (shell history, ``ps``): ``staff add`` reads it
from a prompt (getpass) or, when stdin is not a terminal, from its first line.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from app.cli.runner import run_with_db
from app.core.settings import Settings
from app.core.zones import is_time_zone
from app.identity.keys import ASYMMETRIC_ALGORITHMS, KeyError_, load_public_pem, parse_jwks, pem_of
from models.enums import Role
from models.identity import DEFAULT_PARTNER_TIMEZONE


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _algorithms(raw: str) -> str:
    algs = [a.strip() for a in raw.split(",") if a.strip()]
    bad = [a for a in algs if a not in ASYMMETRIC_ALGORITHMS]
    if not algs or bad:
        _fail(f"algorithms must be among {', '.join(ASYMMETRIC_ALGORITHMS)} (got {raw!r})")
    return ",".join(algs)


def _run(fn: Any) -> Any:
    return run_with_db(fn)


def cmd_partner_add(args: argparse.Namespace) -> None:
    from models.identity import Partner, PartnerKey

    algorithms = _algorithms(args.algorithms)
    if not is_time_zone(args.timezone):
        _fail(f"not an IANA time zone: {args.timezone!r}")
    keys: list[tuple[str | None, str]] = []
    jwks_url: str | None = None
    try:
        if args.public_key:
            pem = Path(args.public_key).read_text(encoding="utf-8")
            keys.append((args.kid, pem_of(load_public_pem(pem))))
        elif args.jwks.startswith(("https://", "http://")):
            jwks_url = args.jwks
        else:
            document = json.loads(Path(args.jwks).read_text(encoding="utf-8"))
            keys.extend((kid, pem_of(key)) for kid, key in parse_jwks(document).items())
            if not keys:
                _fail("the JWKS file has no usable signing key")
    except (OSError, ValueError, KeyError_) as exc:
        _fail(str(exc))

    async def add(settings: Settings) -> str:
        if await Partner.exists(name=args.name):
            _fail(f"partner {args.name!r} exists")
        if await Partner.exists(issuer=args.issuer):
            _fail(f"issuer {args.issuer!r} belongs to another partner")
        partner = await Partner.create(
            name=args.name,
            issuer=args.issuer,
            audience=args.audience or None,
            algorithms=algorithms,
            jwks_url=jwks_url,
            timezone=args.timezone,
        )
        for kid, pem in keys:
            await PartnerKey.create(partner=partner, kid=kid, public_key_pem=pem)
        return (
            f"partner {partner.name} added ({len(keys)} key(s){', JWKS URL' if jwks_url else ''})"
        )

    print(_run(add))


def cmd_partner_list(args: argparse.Namespace) -> None:
    from models.identity import Partner

    async def listing(settings: Settings) -> str:
        rows = []
        for p in await Partner.all().order_by("name").prefetch_related("keys"):
            kids = ",".join(k.kid or "-" for k in p.keys)
            rows.append(
                f"{p.name}\t{'enabled' if p.enabled else 'DISABLED'}\tiss={p.issuer}\t"
                f"aud={p.audience or settings.partner_token_audience}\talgs={p.algorithms}\t"
                f"kids={kids or '-'}\tjwks={p.jwks_url or '-'}\ttz={p.timezone}"
            )
        return "\n".join(rows) or "no partners"

    print(_run(listing))


def _disable(what: str, name: str, disable: Callable[[str], Awaitable[int | None]]) -> None:
    async def run(settings: Settings) -> str:
        revoked = await disable(name)
        if revoked is None:
            _fail(f"no {what} {name!r}")
        return f"{what} {name} disabled, {revoked} live sessions ended"

    print(_run(run))


def cmd_partner_disable(args: argparse.Namespace) -> None:
    from app.identity.partners import disable_partner

    _disable("partner", args.name, disable_partner)


def cmd_partner_token(args: argparse.Namespace) -> None:
    from app.demo.identity import demo_partner_token

    async def mint(settings: Settings) -> str:
        try:
            return await demo_partner_token(settings, args.phone, args.partner)
        except (RuntimeError, LookupError, FileNotFoundError) as exc:
            _fail(str(exc))
            raise

    print(_run(mint))


def read_password(prompt: str = "Password: ") -> str:
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Repeat: ") != first:
            _fail("passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_staff_add(args: argparse.Namespace) -> None:
    from app.identity.staff import create_staff

    role = Role(args.role)
    password = read_password()

    async def add(settings: Settings) -> str:
        try:
            user = await create_staff(
                args.email,
                role,
                password,
                display_name=args.display_name or "",
                psychologist_id=args.psychologist_id,
                partner=args.partner,
            )
        except ValueError as exc:
            _fail(str(exc))
            raise
        scope = f", scoped to partner {args.partner}" if args.partner else ""
        return f"staff {user.email} ({role.value}{scope}) saved as user {user.id}"

    print(_run(add))


def cmd_staff_disable(args: argparse.Namespace) -> None:
    from app.identity.staff import disable_staff

    _disable("staff account", args.email, disable_staff)


def register(subparsers: Any) -> None:
    partner = subparsers.add_parser("partner", help="partners that sign their users in")
    psub = partner.add_subparsers(dest="partner_command", required=True)

    p = psub.add_parser("add", help="add a partner with its public key(s)")
    p.add_argument("--name", required=True)
    p.add_argument("--issuer", required=True, help="exact `iss` of its tokens")
    p.add_argument("--audience", help="expected `aud` (default: PARTNER_TOKEN_AUDIENCE)")
    keys = p.add_mutually_exclusive_group(required=True)
    keys.add_argument("--public-key", metavar="PEM_FILE")
    keys.add_argument("--jwks", metavar="FILE_OR_URL")
    p.add_argument("--kid", help="key id of --public-key (tokens' `kid` header)")
    p.add_argument("--algorithms", default="RS256,ES256,EdDSA")
    p.add_argument(
        "--timezone",
        default=DEFAULT_PARTNER_TIMEZONE,
        help="IANA zone of the partner's figures (default: %(default)s)",
    )
    p.set_defaults(func=cmd_partner_add)

    p = psub.add_parser("list", help="list partners")
    p.set_defaults(func=cmd_partner_list)

    p = psub.add_parser("disable", help="refuse a partner's tokens from now on")
    p.add_argument("name")
    p.set_defaults(func=cmd_partner_disable)

    p = psub.add_parser("token", help="DEVELOPMENT: mint a sign-in token of the demo partner")
    p.add_argument("--phone", required=True)
    p.add_argument("--partner", default="demo")
    p.set_defaults(func=cmd_partner_token)

    staff = subparsers.add_parser("staff", help="staff accounts")
    ssub = staff.add_subparsers(dest="staff_command", required=True)
    p = ssub.add_parser("add", help="create a staff account (password from prompt or stdin)")
    p.add_argument("--email", required=True)
    p.add_argument("--role", required=True, choices=["PSYCHOLOGIST", "CARE_AGENT", "ADMIN"])
    p.add_argument("--psychologist-id", type=int)
    p.add_argument("--display-name")
    p.add_argument(
        "--partner",
        metavar="NAME",
        help="ADMIN only: see this partner's figures only (partnerMetrics); "
        "without it an admin sees every partner",
    )
    p.set_defaults(func=cmd_staff_add)
    p = ssub.add_parser("disable", help="remove the password and end the account's sessions")
    p.add_argument("email")
    p.set_defaults(func=cmd_staff_disable)

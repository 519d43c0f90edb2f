"""Partners as configuration: turning one off ends what its tokens started."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from app.identity.sessions import revoke_sessions_of
from models.identity import Partner


async def disable_partner(name: str) -> int | None:
    """Refuse the partner's sign-in tokens from now on and revoke the sessions they
    opened (their sockets close at the next sweep); None if there is no such partner,
    else how many sessions were revoked."""
    async with in_transaction():
        partner = await Partner.get_or_none(name=name)
        if partner is None:
            return None
        await Partner.filter(id=partner.id).update(enabled=False)
        return await revoke_sessions_of("partner_disabled", partner_id=partner.id)

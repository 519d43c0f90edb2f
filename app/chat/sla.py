"""The 5-minute promise: raise ``SLA_BREACHED`` on the care inbox once per missed wait.

Every process runs the watcher; a breach is claimed with a conditional UPDATE
(``... WHERE sla_breach_notified = false``), so exactly one process announces it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import cast

from app.chat.service import INBOX_CHANNEL, InboxEventKind
from app.core import clock
from app.core.pubsub import PubSub
from models.chat import CareWait, Conversation

log = logging.getLogger("psyline.chat.sla")

CHECK_INTERVAL_SECONDS = 1.0
BATCH = 100


async def claim_breaches(now: datetime | None = None) -> list[int]:
    """Claim the conversations whose wait passed its due time; return the ones this call won."""
    now = now or clock.now()
    candidates = cast(  # Tortoise types flat values_list() as tuples
        "list[int]",
        await Conversation.filter(
            sla_breach_notified=False, waiting_since__isnull=False, sla_due_at__lte=now
        )
        .order_by("sla_due_at")
        .limit(BATCH)
        .values_list("id", flat=True),
    )
    claimed: list[int] = []
    for conversation_id in candidates:
        won = await Conversation.filter(
            id=conversation_id,
            sla_breach_notified=False,
            waiting_since__isnull=False,
            sla_due_at__lte=now,
        ).update(sla_breach_notified=True)
        if won:
            claimed.append(conversation_id)
            await CareWait.filter(conversation_id=conversation_id, answered_at__isnull=True).update(
                breached=True
            )
    return claimed


async def announce_breaches(broker: PubSub, now: datetime | None = None) -> list[int]:
    claimed = await claim_breaches(now)
    for conversation_id in claimed:
        await broker.publish(
            INBOX_CHANNEL,
            {"kind": InboxEventKind.SLA_BREACHED.value, "conversation_id": conversation_id},
        )
    return claimed


async def sla_watcher(broker: PubSub, interval: float = CHECK_INTERVAL_SECONDS) -> None:
    """Runs for the life of the process (started and cancelled by the app lifespan)."""
    while True:
        try:
            await announce_breaches(broker)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a DB hiccup must not kill the watcher
            log.warning("SLA watcher: check failed (%s)", type(exc).__name__)
        await asyncio.sleep(interval)

"""``python -m app outbox ...``: the push outbox's backlog, its dead letters, pruning.

Prints ids, kinds, user ids, attempts and short error codes only: the outbox stores no
text, token or phone number, so none can be printed.
"""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from typing import Any

from app.cli.runner import run_with_db
from app.core.settings import Settings
from app.notify import maintenance


def cmd_status(args: argparse.Namespace) -> None:
    async def status(settings: Settings) -> maintenance.Backlog:
        return await maintenance.backlog()

    b = run_with_db(status)
    print(
        json.dumps(
            {
                "pendingDue": b.pending_due,
                "pendingLater": b.pending_later,
                "oldestDueSeconds": b.oldest_due_seconds,
                "dead": b.dead,
            }
        )
    )


def cmd_dead(args: argparse.Namespace) -> None:
    async def dead(settings: Settings) -> list[dict[str, Any]]:
        rows = await maintenance.dead_letters(args.limit)
        return [
            {
                "id": r.id,
                "kind": r.kind.value,
                "userId": r.user_id,
                "bookingId": r.booking_id,
                "attempts": r.attempts,
                "lastError": r.last_error,
                "dueAt": r.due_at.isoformat(),
            }
            for r in rows
        ]

    for row in run_with_db(dead):
        print(json.dumps(row))


def cmd_requeue(args: argparse.Namespace) -> None:
    if not args.all and not args.id:
        raise SystemExit("error: name the rows (--id N, repeatable) or pass --all")

    async def requeue(settings: Settings) -> int:
        return await maintenance.requeue(None if args.all else args.id)

    print(f"requeued {run_with_db(requeue)}")


def cmd_prune(args: argparse.Namespace) -> None:
    async def prune(settings: Settings) -> int:
        days = settings.notify_retention_days if args.days is None else args.days
        if days <= 0:
            raise SystemExit("error: retention is 0 (keep everything): pass --days N")
        return await maintenance.prune(timedelta(days=days), include_dead=args.include_dead)

    print(f"deleted {run_with_db(prune)}")


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def register(subparsers: Any) -> None:
    outbox = subparsers.add_parser("outbox", help="push outbox: backlog, dead letters, pruning")
    osub = outbox.add_subparsers(dest="outbox_command", required=True)
    p = osub.add_parser("status", help="pending (due / later), oldest due age, dead: as JSON")
    p.set_defaults(func=cmd_status)
    p = osub.add_parser("dead", help="the dead letters, newest first, one JSON line each")
    p.add_argument("--limit", type=_positive, default=50)
    p.set_defaults(func=cmd_dead)
    p = osub.add_parser("requeue", help="dead letters due again now, with fresh attempts")
    p.add_argument("--id", type=_positive, action="append", help="a row id (repeatable)")
    p.add_argument("--all", action="store_true", help="every dead letter")
    p.set_defaults(func=cmd_requeue)
    p = osub.add_parser("prune", help="delete final rows older than the retention")
    p.add_argument("--days", type=_positive, help="default NOTIFY_RETENTION_DAYS")
    p.add_argument("--include-dead", action="store_true", help="dead letters too")
    p.set_defaults(func=cmd_prune)

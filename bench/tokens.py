"""Signed-in clients for the booking scenarios, and their bookings removed afterwards.

Run by ``bench/runner.py`` as a script from the checkout being measured (like
``bench/seed.py``: it imports only ``app``, ``models`` and the standard library), with that
run's DATABASE_URL and PSYLINE_VAR_DIR (the development signing key lives there):

    tokens.py issue N     # N new clients, each with a session: {"ids": [...], "tokens": [...]}
    tokens.py cleanup ID...   # delete those clients' bookings (the data set stays as seeded)

Each run creates new clients (phones ``+7991...`` from a random block), so bookings of
earlier runs never count against ``max_active_bookings``.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys


async def issue(count: int) -> dict[str, list[object]]:
    from app.core.db import close_db, open_db
    from app.core.settings import load_settings
    from app.identity.sessions import start_session
    from models.enums import Role
    from models.identity import User

    settings = load_settings()
    await open_db(settings)
    try:
        block = secrets.randbelow(10**4)
        users = [
            User(role=Role.CLIENT, phone_e164=f"+7991{block:04d}{i:04d}", display_name="bench")
            for i in range(count)
        ]
        await User.bulk_create(users)
        phones = [u.phone_e164 for u in users]
        created = await User.filter(phone_e164__in=phones).order_by("id")
        tokens = [(await start_session(settings, u)).access_token for u in created]
        return {"ids": [u.id for u in created], "tokens": list(tokens)}
    finally:
        await close_db()


async def cleanup(ids: list[int]) -> dict[str, int]:
    from app.core.db import close_db, open_db
    from app.core.settings import load_settings
    from models.booking import BookedCell, Booking

    await open_db(load_settings())
    try:
        booking_ids = list(await Booking.filter(client_id__in=ids).values_list("id", flat=True))
        if booking_ids:
            await BookedCell.filter(booking_id__in=booking_ids).delete()
            await Booking.filter(id__in=booking_ids).delete()
        return {"deleted_bookings": len(booking_ids)}
    finally:
        await close_db()


def main() -> None:
    command, *rest = sys.argv[1:]
    if command == "issue":
        print(json.dumps(asyncio.run(issue(int(rest[0])))))
    elif command == "cleanup":
        print(json.dumps(asyncio.run(cleanup([int(x) for x in rest]))))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()

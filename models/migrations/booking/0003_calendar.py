from tortoise import migrations
from tortoise.migrations import operations as ops
from models.booking import new_calendar_token
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

# The calendar link of a booking (app.booking.calendar_link): a secret token per chain of
# reschedules and the iCalendar SEQUENCE of each copy, unique together (which also
# indexes the lookup by token). The token column stays nullable: SQLite cannot add a NOT
# NULL column without a default except by rebuilding the table, which would drop the
# triggers of 0002. Instead every existing booking gets its token here, and every new
# one from the model's default.


def _chains(rows):
    """(id, token, sequence) for each row without a token: a booking moved from another
    takes that one's token and its sequence + 1, any other a token of its own."""
    by_id = {row["id"]: row for row in rows}
    known = {
        row["id"]: (row["calendar_token"], row["calendar_sequence"])
        for row in rows
        if row["calendar_token"] is not None
    }
    taken = set(known.values())

    def identity(booking_id, depth=0):
        if booking_id in known:
            return known[booking_id]
        row = by_id[booking_id]
        source = row["rescheduled_from_id"]
        found = None
        if source in by_id and depth < 1000:
            token, sequence = identity(source, depth + 1)
            if (token, sequence + 1) not in taken:  # a source moved twice: one chain only
                found = (token, sequence + 1)
        if found is None:
            found = (new_calendar_token(), 0)
        known[booking_id] = found
        taken.add(found)
        return found

    return [
        (row["id"], *identity(row["id"]))
        for row in sorted(rows, key=lambda r: r["id"])
        if row["calendar_token"] is None
    ]


async def backfill_calendar_tokens(apps, state_editor) -> None:
    client = state_editor.client
    rows = await client.execute_query_dict(
        "SELECT id, rescheduled_from_id, calendar_token, calendar_sequence FROM bookings"
    )
    updates = _chains(rows)
    if not updates:
        return
    if client.capabilities.dialect == "postgres":
        sql = "UPDATE bookings SET calendar_token = $1, calendar_sequence = $2 WHERE id = $3"
    else:
        sql = "UPDATE bookings SET calendar_token = ?, calendar_sequence = ? WHERE id = ?"
    await client.execute_many(sql, [[token, sequence, pk] for pk, token, sequence in updates])
    if client.capabilities.dialect == "postgres":
        # The updates queued 0002's deferred next-free triggers; PostgreSQL refuses any
        # later ALTER TABLE bookings in this transaction while they are pending: run them.
        await client.execute_script("SET CONSTRAINTS ALL IMMEDIATE")


async def forget_calendar_tokens(apps, state_editor) -> None:
    """Backwards: the columns go with the fields; nothing to undo first."""

class Migration(migrations.Migration):
    dependencies = [('booking', '0002_next_free_slots'), ('catalogue', '0001_initial'), ('identity', '0001_initial'), ('identity', '0002_partners_sessions')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Booking',
            name='calendar_sequence',
            field=fields.IntField(default=0, description='iCalendar SEQUENCE: 0 when booked, +1 per reschedule', db_default=0),
        ),
        ops.AddField(
            model_name='Booking',
            name='calendar_token',
            field=fields.CharField(null=True, default=new_calendar_token, description='Secret of the .ics link, shared by a chain of reschedules', max_length=64),
        ),
        ops.AddConstraint(
            model_name='Booking',
            constraint=UniqueConstraint(fields=('calendar_token', 'calendar_sequence'), name=None),
        ),
        # After the unique index: the backfill is held by it as it writes.
        ops.RunPython(backfill_calendar_tokens, forget_calendar_tokens),
    ]

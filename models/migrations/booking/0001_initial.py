from tortoise import migrations
from tortoise.migrations import operations as ops
from models.booking import BookingStatus, OverrideKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# PostgreSQL holds "no two active bookings of one psychologist overlap" (buffer
# included: blocked_until = ends_at + buffer) with an exclusion constraint. SQLite
# holds it with the unique (psychologist_id, cell) key of booked_cells instead.
NO_OVERLAP_SQL = (
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist ("
    "psychologist_id WITH =, tstzrange(starts_at, blocked_until, '[)') WITH &&) "
    "WHERE (status IN ('CONFIRMED', 'COMPLETED', 'NO_SHOW'))",
    "ALTER TABLE bookings ADD CONSTRAINT bookings_time_order CHECK (starts_at < ends_at AND ends_at <= blocked_until)",
)


async def add_no_overlap_constraint(apps, state_editor) -> None:
    if state_editor.client.capabilities.dialect != "postgres":
        return
    for sql in NO_OVERLAP_SQL:
        await state_editor.client.execute_script(sql)


async def drop_no_overlap_constraint(apps, state_editor) -> None:
    if state_editor.client.capabilities.dialect != "postgres":
        return
    await state_editor.client.execute_script(
        "ALTER TABLE bookings DROP CONSTRAINT IF EXISTS bookings_no_overlap; "
        "ALTER TABLE bookings DROP CONSTRAINT IF EXISTS bookings_time_order"
    )

class Migration(migrations.Migration):
    dependencies = [('catalogue', '0001_initial'), ('identity', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Booking',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('client', fields.ForeignKeyField('identity.User', source_field='client_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT)),
                ('psychologist', fields.ForeignKeyField('catalogue.Psychologist', source_field='psychologist_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT)),
                ('service', fields.ForeignKeyField('catalogue.Service', source_field='service_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('blocked_until', fields.DatetimeField(description='ends_at + the buffer at booking time', auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=BookingStatus.CONFIRMED, description='CONFIRMED: CONFIRMED\nCANCELLED: CANCELLED\nLATE_CANCELLED: LATE_CANCELLED\nCOMPLETED: COMPLETED\nNO_SHOW: NO_SHOW\nRESCHEDULED: RESCHEDULED', enum_type=BookingStatus, max_length=16)),
                ('price', fields.DecimalField(max_digits=10, decimal_places=2)),
                ('currency', fields.CharField(default='RUB', max_length=3)),
                ('idempotency_key', fields.CharField(null=True, max_length=100)),
                ('rescheduled_from', fields.ForeignKeyField('booking.Booking', source_field='rescheduled_from_id', null=True, db_constraint=True, to_field='id', related_name='rescheduled_to', on_delete=OnDelete.SET_NULL)),
                ('cancel_reason', fields.CharField(null=True, max_length=500)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('video_room', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'bookings', 'app': 'booking', 'unique_together': (('client', 'idempotency_key'),), 'indexes': [Index(fields=['psychologist_id', 'starts_at']), Index(fields=['client_id', 'starts_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BookedCell',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('psychologist_id', fields.IntField()),
                ('cell', fields.BigIntField(description='UTC epoch seconds // 300')),
                ('booking', fields.ForeignKeyField('booking.Booking', source_field='booking_id', db_constraint=True, to_field='id', related_name='cells', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'booked_cells', 'app': 'booking', 'unique_together': (('psychologist_id', 'cell'),), 'pk_attr': 'id', 'table_description': 'SQLite only: one row per 5-minute cell a booking (plus buffer) occupies.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BookingPolicy',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('psychologist', fields.OneToOneField('catalogue.Psychologist', source_field='psychologist_id', db_constraint=True, to_field='id', related_name='booking_policy', on_delete=OnDelete.CASCADE)),
                ('buffer_minutes', fields.SmallIntField(default=10)),
                ('min_notice_minutes', fields.IntField(default=120)),
                ('horizon_days', fields.SmallIntField(default=30)),
                ('slot_step_minutes', fields.SmallIntField(default=30)),
            ],
            options={'table': 'booking_policies', 'app': 'booking', 'pk_attr': 'id', 'table_description': 'Per-psychologist booking settings (a psychologist without a row gets the defaults).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ScheduleOverride',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('psychologist', fields.ForeignKeyField('catalogue.Psychologist', source_field='psychologist_id', db_constraint=True, to_field='id', related_name='schedule_overrides', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='TIME_OFF: TIME_OFF\nEXTRA_HOURS: EXTRA_HOURS', enum_type=OverrideKind, max_length=16)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('note', fields.CharField(default='', max_length=200)),
            ],
            options={'table': 'schedule_overrides', 'app': 'booking', 'indexes': [Index(fields=['psychologist_id', 'ends_at'])], 'pk_attr': 'id', 'table_description': 'A dated exception: time off, or extra hours outside the weekly pattern.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WorkingHours',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('psychologist', fields.ForeignKeyField('catalogue.Psychologist', source_field='psychologist_id', db_constraint=True, to_field='id', related_name='working_hours', on_delete=OnDelete.CASCADE)),
                ('weekday', fields.SmallIntField(description='0 = Monday ... 6 = Sunday')),
                ('start_minute', fields.SmallIntField(description='Local minutes since midnight, multiple of 5')),
                ('end_minute', fields.SmallIntField(description='Local minutes since midnight (1440 = 24:00)')),
            ],
            options={'table': 'working_hours', 'app': 'booking', 'indexes': [Index(fields=['psychologist_id', 'weekday'])], 'pk_attr': 'id', 'table_description': 'One weekly interval in local time (several per weekday are allowed).'},
            bases=['Model'],
        ),
        ops.RunPython(add_no_overlap_constraint, drop_no_overlap_constraint),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# The derived next free slot (models.booking.NextFreeSlot) is marked stale by triggers, in
# the transaction of every write that can move it, whoever writes (the service, a bulk
# load, a console): bookings, working hours, overrides, policies and services of a
# psychologist, and the psychologist's time zone. A new psychologist gets one stale row per
# service kind. The kinds are written out here (a migration is frozen): a new kind needs a
# migration that adds its rows and this trigger again.
KINDS = ("SESSION", "COUPLE_SESSION", "CHILD_SESSION", "CHECKUP")
NO_SLOT = 2**62
TABLES = ("bookings", "working_hours", "schedule_overrides", "booking_policies", "services")
STALE = "UPDATE next_free_slots SET valid_until = 0, version = version + 1 WHERE psychologist_id"
NEW_ROWS = (
    "INSERT INTO next_free_slots (psychologist_id, kind, rank, computed_at, valid_until, version) "
    "VALUES " + ", ".join(f"(NEW.id, '{k}', {NO_SLOT}, 0, 0, 0)" for k in KINDS)
)
BACKFILL = (
    "INSERT INTO next_free_slots (psychologist_id, kind, rank, computed_at, valid_until, version) "
    f"SELECT p.id, k.kind, {NO_SLOT}, 0, 0, 0 FROM psychologists p CROSS JOIN ("
    + " UNION ALL ".join(f"SELECT '{k}' AS kind" for k in KINDS)
    + ") k"
)


def _sqlite() -> list[str]:
    out = []
    for t in TABLES:
        out += [
            f"CREATE TRIGGER {t}_next_free_ins AFTER INSERT ON {t} "
            f"BEGIN {STALE} = NEW.psychologist_id; END",
            f"CREATE TRIGGER {t}_next_free_upd AFTER UPDATE ON {t} "
            f"BEGIN {STALE} IN (OLD.psychologist_id, NEW.psychologist_id); END",
            f"CREATE TRIGGER {t}_next_free_del AFTER DELETE ON {t} "
            f"BEGIN {STALE} = OLD.psychologist_id; END",
        ]
    return out + [
        f"CREATE TRIGGER psychologists_next_free_ins AFTER INSERT ON psychologists BEGIN {NEW_ROWS}; END",
        "CREATE TRIGGER psychologists_next_free_tz AFTER UPDATE OF timezone ON psychologists "
        f"WHEN OLD.timezone IS NOT NEW.timezone BEGIN {STALE} = NEW.id; END",
    ]


def _postgres() -> list[str]:
    out = [
        "CREATE OR REPLACE FUNCTION next_free_stale() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        f"IF TG_OP = 'INSERT' THEN {STALE} = NEW.psychologist_id; "
        f"ELSE {STALE} = OLD.psychologist_id; "
        "IF TG_OP = 'UPDATE' THEN IF NEW.psychologist_id IS DISTINCT FROM OLD.psychologist_id "
        f"THEN {STALE} = NEW.psychologist_id; END IF; END IF; END IF; "
        "RETURN NULL; END $$",
        "CREATE OR REPLACE FUNCTION next_free_new_psychologist() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN {NEW_ROWS}; RETURN NULL; END $$",
        "CREATE OR REPLACE FUNCTION next_free_zone() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN {STALE} = NEW.id; RETURN NULL; END $$",
    ]
    out += [
        # Deferred to the commit: the row locks on next_free_slots are taken last, after
        # every wait of the transaction (e.g. the bookings exclusion constraint behind a
        # concurrent booking of the same time), so concurrent writers cannot deadlock.
        f"CREATE CONSTRAINT TRIGGER {t}_next_free AFTER INSERT OR UPDATE OR DELETE ON {t} "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION next_free_stale()"
        for t in TABLES
    ]
    return out + [
        "CREATE TRIGGER psychologists_next_free_ins AFTER INSERT ON psychologists "
        "FOR EACH ROW EXECUTE FUNCTION next_free_new_psychologist()",
        "CREATE TRIGGER psychologists_next_free_tz AFTER UPDATE OF timezone ON psychologists "
        "FOR EACH ROW WHEN (OLD.timezone IS DISTINCT FROM NEW.timezone) "
        "EXECUTE FUNCTION next_free_zone()",
    ]


async def add_triggers(apps, state_editor) -> None:
    client = state_editor.client
    postgres = client.capabilities.dialect == "postgres"
    for sql in (_postgres() if postgres else _sqlite()) + [BACKFILL]:
        await client.execute_script(sql)


async def drop_triggers(apps, state_editor) -> None:
    client = state_editor.client
    postgres = client.capabilities.dialect == "postgres"
    names = [f"{t}_next_free" for t in TABLES] if postgres else [
        f"{t}_next_free_{op}" for t in TABLES for op in ("ins", "upd", "del")
    ]
    pairs = [(n, t) for n in names for t in TABLES if n.startswith(t + "_")]
    pairs += [("psychologists_next_free_ins", "psychologists"), ("psychologists_next_free_tz", "psychologists")]
    for name, table in pairs:
        await client.execute_script(
            f"DROP TRIGGER IF EXISTS {name} ON {table}" if postgres else f"DROP TRIGGER IF EXISTS {name}"
        )
    if postgres:
        for fn in ("next_free_stale", "next_free_new_psychologist", "next_free_zone"):
            await client.execute_script(f"DROP FUNCTION IF EXISTS {fn}()")


class Migration(migrations.Migration):
    dependencies = [('booking', '0001_initial'), ('catalogue', '0001_initial'), ('identity', '0001_initial'), ('identity', '0002_partners_sessions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='NextFreeSlot',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('psychologist', fields.ForeignKeyField('catalogue.Psychologist', source_field='psychologist_id', db_constraint=True, to_field='id', related_name='next_free_slots', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(description='models.enums.ServiceKind', max_length=16)),
                ('rank', fields.BigIntField(default=4611686018427387904, description='slot start, UTC epoch s, or NO_SLOT')),
                ('ends', fields.BigIntField(null=True, description='slot end, UTC epoch seconds')),
                ('service_id', fields.IntField(null=True)),
                ('computed_at', fields.BigIntField(default=0, description='the now it was computed for')),
                ('valid_until', fields.BigIntField(default=0, description='stale from this epoch second')),
                ('version', fields.IntField(default=0, description='bumped by every invalidation')),
            ],
            options={'table': 'next_free_slots', 'app': 'booking', 'unique_together': (('psychologist', 'kind'),), 'indexes': [Index(fields=['kind', 'rank', 'psychologist_id']), Index(fields=['kind', 'valid_until']), Index(fields=['kind', 'computed_at'])], 'pk_attr': 'id', 'table_description': "Derived: a psychologist's first free slot of one service kind, so that the soonest"},
            bases=['Model'],
        ),
        ops.RunPython(add_triggers, drop_triggers),
    ]

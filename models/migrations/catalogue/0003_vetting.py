from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from datetime import date
from json import dumps, loads
from models.enums import VettingStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# Vetting (issue 14): credentials name the method they certify, test sessions before a
# panel and monthly intervision are stored, PENDING becomes APPLIED, and the first
# practice is a date beside the year it replaces as the fact (backfilled to January 1st of
# that year, so experienceYears stays what it was).


class AlterColumnNotOnSqlite(ops.AlterField):
    """``vetting_status``: a wider column (DOCUMENTS_VERIFIED) and a new default. SQLite
    neither enforces a varchar length nor keeps Python defaults in the table, and tortoise
    would rebuild the table there, dropping the next-free triggers of booking/0002: the
    state changes everywhere, the column on other databases only (PostgreSQL: ALTER TYPE)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is not None and state_editor.client.capabilities.dialect != "sqlite":
            await super().database_forward(app_label, old_state, new_state, state_editor)

    async def database_backward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is not None and state_editor.client.capabilities.dialect != "sqlite":
            await super().database_backward(app_label, old_state, new_state, state_editor)


async def applied_and_dated(apps, state_editor) -> None:
    client = state_editor.client
    await client.execute_script(
        "UPDATE psychologists SET vetting_status = 'APPLIED' WHERE vetting_status = 'PENDING'"
    )
    rows = await client.execute_query_dict(
        "SELECT id, practice_since FROM psychologists WHERE practice_started_on IS NULL"
    )
    if not rows:
        return
    mark = "$1" if client.capabilities.dialect == "postgres" else "?"
    other = "$2" if client.capabilities.dialect == "postgres" else "?"
    await client.execute_many(
        f"UPDATE psychologists SET practice_started_on = {mark} WHERE id = {other}",
        [[date(int(r["practice_since"]), 1, 1), r["id"]] for r in rows],
    )


async def pending_again(apps, state_editor) -> None:
    """Backwards: the states the old enum knows (the date column goes with its field)."""
    await state_editor.client.execute_script(
        "UPDATE psychologists SET vetting_status = 'PENDING' "
        "WHERE vetting_status IN ('APPLIED', 'DOCUMENTS_VERIFIED', 'TEST_SESSION_PASSED')"
    )


class Migration(migrations.Migration):
    dependencies = [('booking', '0003_calendar'), ('catalogue', '0002_review_booking'), ('identity', '0001_initial'), ('identity', '0002_partners_sessions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='IntervisionAttendance',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('psychologist', fields.ForeignKeyField('catalogue.Psychologist', source_field='psychologist_id', db_constraint=True, to_field='id', related_name='intervisions', on_delete=OnDelete.CASCADE)),
                ('month', fields.DateField(description='First day of the month attended')),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'intervision_attendance', 'app': 'catalogue', 'unique_together': (('psychologist', 'month'),), 'pk_attr': 'id', 'table_description': 'A month (its first day) in which the psychologist attended intervision: one row per'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VettingTestSession',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('psychologist', fields.ForeignKeyField('catalogue.Psychologist', source_field='psychologist_id', db_constraint=True, to_field='id', related_name='test_sessions', on_delete=OnDelete.CASCADE)),
                ('passed', fields.BooleanField()),
                ('panel', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('held_on', fields.DateField()),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'test_sessions', 'app': 'catalogue', 'indexes': [Index(fields=['psychologist_id', 'held_on'])], 'pk_attr': 'id', 'table_description': 'A test session held before an expert panel: who judged, when, the verdict.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Credential',
            name='method',
            field=fields.ForeignKeyField('catalogue.Method', source_field='method_id', null=True, db_constraint=True, to_field='id', related_name='credentials', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Credential',
            name='recorded_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        AlterColumnNotOnSqlite(
            model_name='Psychologist',
            name='vetting_status',
            field=fields.CharEnumField(default=VettingStatus.APPLIED, description='APPLIED: APPLIED\nDOCUMENTS_VERIFIED: DOCUMENTS_VERIFIED\nTEST_SESSION_PASSED: TEST_SESSION_PASSED\nAPPROVED: APPROVED\nREJECTED: REJECTED\nSUSPENDED: SUSPENDED', enum_type=VettingStatus, max_length=24),
        ),
        ops.AddField(
            model_name='Psychologist',
            name='approved_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Psychologist',
            name='practice_started_on',
            field=fields.DateField(null=True, description='Date of the first documented practice (vetting: 3 years)'),
        ),
        ops.AddField(
            model_name='Psychologist',
            name='vetting_note',
            field=fields.CharField(null=True, max_length=500),
        ),
        ops.RunPython(applied_and_dated, pending_again),
    ]

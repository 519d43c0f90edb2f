from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('identity', '0001_initial'), ('identity', '0002_partners_sessions')]

    initial = True

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.ForeignKeyField('identity.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('action', fields.CharField(description='models.audit.AuditAction', max_length=48)),
                ('subject_type', fields.CharField(description='What was changed: its GraphQL type name (Service...)', max_length=40)),
                ('subject_id', fields.CharField(description='Its primary key, as text', max_length=64)),
                ('changes', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(description='app.core.clock at the change', auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'audit_entries', 'app': 'audit', 'indexes': [Index(fields=['subject_type', 'subject_id', 'id'])], 'pk_attr': 'id', 'table_description': 'Who changed what in the back office, and when.'},
            bases=['Model'],
        ),
    ]

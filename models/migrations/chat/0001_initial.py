from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('identity', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Conversation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('client', fields.OneToOneField('identity.User', source_field='client_id', db_constraint=True, to_field='id', related_name='care_conversation', on_delete=OnDelete.CASCADE)),
                ('assignee', fields.ForeignKeyField('identity.User', source_field='assignee_id', null=True, db_constraint=True, to_field='id', related_name='assigned_conversations', on_delete=OnDelete.SET_NULL)),
                ('waiting_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sla_due_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sla_breach_notified', fields.BooleanField(default=False)),
                ('first_response_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('first_response_seconds', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'care_conversations', 'app': 'chat', 'indexes': [Index(fields=['waiting_since', 'id']), Index(fields=['sla_breach_notified', 'sla_due_at'])], 'pk_attr': 'id', 'table_description': "A client's thread with the care team, with the state of its current wait."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CareWait',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('chat.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name='waits', on_delete=OnDelete.CASCADE)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sla_due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('response_seconds', fields.IntField(null=True)),
                ('answered_by', fields.ForeignKeyField('identity.User', source_field='answered_by_id', null=True, db_constraint=True, to_field='id', related_name='care_answers', on_delete=OnDelete.SET_NULL)),
                ('breached', fields.BooleanField(default=False)),
            ],
            options={'table': 'care_waits', 'app': 'chat', 'indexes': [Index(fields=['started_at']), Index(fields=['conversation_id', 'answered_at'])], 'pk_attr': 'id', 'table_description': 'One wait of a client for the care team: the record behind the SLA statistics.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Message',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('chat.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('identity.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='care_messages', on_delete=OnDelete.SET_NULL)),
                ('text', fields.TextField(unique=False)),
                ('client_message_id', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'care_messages', 'app': 'chat', 'unique_together': (('author', 'client_message_id'),), 'indexes': [Index(fields=['conversation_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One chat message. ``author`` null means the assistant (system messages).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReadMarker',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('chat.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name='read_markers', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('identity.User', source_field='user_id', db_constraint=True, to_field='id', related_name='care_read_markers', on_delete=OnDelete.CASCADE)),
                ('last_read_message_id', fields.BigIntField(default=0)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'care_read_markers', 'app': 'chat', 'unique_together': (('conversation', 'user'),), 'pk_attr': 'id', 'table_description': 'How far one participant has read a conversation (the last read message id).'},
            bases=['Model'],
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('chat', '0001_initial'), ('identity', '0002_partners_sessions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CareParticipant',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('chat.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name='participants', on_delete=OnDelete.CASCADE)),
                ('agent', fields.ForeignKeyField('identity.User', source_field='agent_id', db_constraint=True, to_field='id', related_name='care_participations', on_delete=OnDelete.CASCADE)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'care_participants', 'app': 'chat', 'unique_together': (('conversation', 'agent'),), 'indexes': [Index(fields=['agent_id', 'conversation_id'])], 'pk_attr': 'id', 'table_description': 'A care-team member who took part in a conversation (was assigned it or replied in'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Conversation',
            name='last_message_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Conversation',
            index=Index(fields=['last_message_at', 'id']),
        ),
        # Backfill: the newest message of each conversation, and who of the care team took
        # part so far (the assignee, every staff author).
        ops.RunSQL(
            [
                "UPDATE care_conversations SET last_message_at = (SELECT MAX(m.created_at) "
                "FROM care_messages m WHERE m.conversation_id = care_conversations.id)",
                "INSERT INTO care_participants (conversation_id, agent_id, joined_at) "
                "SELECT DISTINCT x.cid, x.uid, CURRENT_TIMESTAMP FROM ("
                "SELECT c.id AS cid, c.assignee_id AS uid FROM care_conversations c "
                "WHERE c.assignee_id IS NOT NULL "
                "UNION SELECT m.conversation_id, m.author_id FROM care_messages m "
                "JOIN users u ON u.id = m.author_id WHERE u.role IN ('CARE_AGENT', 'ADMIN')"
                ") x",
            ],
            reverse_sql=["DELETE FROM care_participants"],
        ),
    ]

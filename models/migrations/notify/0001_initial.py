from tortoise import migrations
from tortoise.migrations import operations as ops
from models.notify import DeliveryState, NotificationKind, NotificationStatus, PushPlatform
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('booking', '0002_next_free_slots'), ('identity', '0001_initial'), ('identity', '0002_partners_sessions')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('identity.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='WELCOME: WELCOME\nBOOKING_CONFIRMED: BOOKING_CONFIRMED\nBOOKING_CANCELLED: BOOKING_CANCELLED\nBOOKING_RESCHEDULED: BOOKING_RESCHEDULED\nREMINDER_24H: REMINDER_24H\nREMINDER_15M: REMINDER_15M\nCARE_REPLY: CARE_REPLY\nCHECKUP_RESULTS: CHECKUP_RESULTS', enum_type=NotificationKind, max_length=24)),
                ('booking', fields.ForeignKeyField('booking.Booking', source_field='booking_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('due_at', fields.DatetimeField(description='when it is meant to arrive', auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=NotificationStatus.PENDING, description='PENDING: PENDING\nSENT: SENT\nFAILED: FAILED\nDEAD: DEAD\nCANCELLED: CANCELLED', enum_type=NotificationStatus, max_length=16)),
                ('attempts', fields.SmallIntField(default=0, description='claims so far')),
                ('next_attempt_at', fields.DatetimeField(description='due, retry or claim lease end', auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, description='a short code only', max_length=64)),
                ('key', fields.CharField(unique=True, description='idempotency key', max_length=120)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notifications', 'app': 'notify', 'indexes': [Index(fields=['status', 'next_attempt_at']), Index(fields=['booking_id', 'status'])], 'pk_attr': 'id', 'table_description': 'One notification to one user: the outbox row the worker claims and delivers.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushDevice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('identity.User', source_field='user_id', db_constraint=True, to_field='id', related_name='push_devices', on_delete=OnDelete.CASCADE)),
                ('platform', fields.CharEnumField(description='IOS: IOS\nANDROID: ANDROID\nWEB: WEB', enum_type=PushPlatform, max_length=8)),
                ('token', fields.CharField(unique=True, max_length=512)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'push_devices', 'app': 'notify', 'indexes': [Index(fields=['user_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A device token of a signed-in client. One row per token: registering a token that'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notification', fields.ForeignKeyField('notify.Notification', source_field='notification_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('device', fields.ForeignKeyField('notify.PushDevice', source_field='device_id', null=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.SET_NULL)),
                ('state', fields.CharEnumField(description='DELIVERED: DELIVERED\nUNREGISTERED: UNREGISTERED\nREJECTED: REJECTED', enum_type=DeliveryState, max_length=16)),
                ('provider_message_id', fields.CharField(null=True, max_length=200)),
                ('error', fields.CharField(null=True, description="the provider's short code", max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'push_deliveries', 'app': 'notify', 'unique_together': (('notification', 'device'),), 'pk_attr': 'id', 'table_description': 'What one device answered for one notification, written as soon as it answered.'},
            bases=['Model'],
        ),
    ]

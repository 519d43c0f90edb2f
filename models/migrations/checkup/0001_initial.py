from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.checkup import DiscountKind
from models.enums import ServiceKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('booking', '0002_next_free_slots'), ('catalogue', '0001_initial'), ('identity', '0001_initial'), ('identity', '0002_partners_sessions')]

    initial = True

    operations = [
        ops.CreateModel(
            name='CheckupResult',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('booking', fields.OneToOneField('booking.Booking', source_field='booking_id', db_constraint=True, to_field='id', related_name='checkup_result', on_delete=OnDelete.RESTRICT)),
                ('client', fields.ForeignKeyField('identity.User', source_field='client_id', db_constraint=True, to_field='id', related_name='checkup_results', on_delete=OnDelete.CASCADE)),
                ('psychologist', fields.ForeignKeyField('catalogue.Psychologist', source_field='psychologist_id', db_constraint=True, to_field='id', related_name='checkup_results', on_delete=OnDelete.RESTRICT)),
                ('recommendations', fields.TextField(unique=False)),
                ('suggested_method_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('suggested_psychologist_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'checkup_results', 'app': 'checkup', 'indexes': [Index(fields=['client_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'What the psychologist who held a checkup recommends (one per checkup booking).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PromoCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('client', fields.ForeignKeyField('identity.User', source_field='client_id', db_constraint=True, to_field='id', related_name='promo_codes', on_delete=OnDelete.CASCADE)),
                ('checkup', fields.OneToOneField('checkup.CheckupResult', source_field='checkup_id', null=True, db_constraint=True, to_field='id', related_name='promo_code', on_delete=OnDelete.SET_NULL)),
                ('discount_kind', fields.CharEnumField(description='PERCENT: PERCENT\nFIXED: FIXED', enum_type=DiscountKind, max_length=8)),
                ('percent', fields.SmallIntField(null=True, description='1-100 for PERCENT')),
                ('amount', fields.DecimalField(null=True, max_digits=10, decimal_places=2)),
                ('currency', fields.CharField(default='RUB', max_length=3)),
                ('applies_to', fields.CharEnumField(default=ServiceKind.SESSION, description='SESSION: SESSION\nCOUPLE_SESSION: COUPLE_SESSION\nCHILD_SESSION: CHILD_SESSION\nCHECKUP: CHECKUP', enum_type=ServiceKind, max_length=16)),
                ('valid_until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_by_booking', fields.OneToOneField('booking.Booking', source_field='used_by_booking_id', null=True, db_constraint=True, to_field='id', related_name='promo_code', on_delete=OnDelete.SET_NULL)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'promo_codes', 'app': 'checkup', 'indexes': [Index(fields=['client_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A single-use discount issued to one client (never usable by anyone else).'},
            bases=['Model'],
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from enum import StrEnum
from models.enums import CredentialKind, ServiceKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index



class VettingStatus(StrEnum):
    """The vetting states as this migration created them (0003 renamed PENDING)."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    SUSPENDED = "SUSPENDED"


class Migration(migrations.Migration):
    initial = True
    dependencies = [("identity", "0001_initial")]

    operations = [
        ops.CreateModel(
            name='Method',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=120)),
                ('description', fields.TextField(default='', unique=False)),
                ('position', fields.SmallIntField(default=0)),
            ],
            options={'table': 'methods', 'app': 'catalogue', 'pk_attr': 'id', 'table_description': 'A therapy school (CBT, gestalt, psychoanalysis...).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Topic',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=120)),
                ('position', fields.SmallIntField(default=0)),
            ],
            options={'table': 'topics', 'app': 'catalogue', 'pk_attr': 'id', 'table_description': "A client's request: anxiety, burnout, relationships..."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Psychologist',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=80)),
                ('full_name', fields.CharField(max_length=160)),
                ('search_name', fields.CharField(default='', max_length=160)),
                ('photo_url', fields.CharField(default='', max_length=500)),
                ('bio', fields.TextField(default='', unique=False)),
                ('practice_since', fields.SmallIntField(description='Year of the first documented practice')),
                ('languages', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('client_types_csv', fields.CharField(default=',ADULT,', max_length=80)),
                ('timezone', fields.CharField(default='Europe/Moscow', max_length=64)),
                ('vetting_status', fields.CharEnumField(default=VettingStatus.PENDING, description='PENDING: PENDING\nAPPROVED: APPROVED\nREJECTED: REJECTED\nSUSPENDED: SUSPENDED', enum_type=VettingStatus, max_length=16)),
                ('user', fields.ForeignKeyField('identity.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='psychologist_profile', on_delete=OnDelete.SET_NULL)),
                ('rating_avg', fields.DecimalField(null=True, max_digits=3, decimal_places=2)),
                ('review_count', fields.IntField(default=0)),
                ('price_from', fields.DecimalField(null=True, max_digits=10, decimal_places=2)),
                ('price_currency', fields.CharField(default='RUB', max_length=3)),
                ('sort_rating', fields.IntField(default=0)),
                ('sort_price', fields.BigIntField(default=9999999999)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('methods', fields.ManyToManyField('catalogue.Method', unique=True, db_constraint=True, through='psychologist_methods', forward_key='method_id', backward_key='psychologist_id', related_name='psychologists', on_delete=OnDelete.CASCADE)),
                ('topics', fields.ManyToManyField('catalogue.Topic', unique=True, db_constraint=True, through='psychologist_topics', forward_key='topic_id', backward_key='psychologist_id', related_name='psychologists', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'psychologists', 'app': 'catalogue', 'indexes': [Index(fields=['vetting_status', 'sort_rating', 'id']), Index(fields=['vetting_status', 'sort_price', 'id']), Index(fields=['vetting_status', 'practice_since', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Credential',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('psychologist', fields.ForeignKeyField('catalogue.Psychologist', source_field='psychologist_id', db_constraint=True, to_field='id', related_name='credentials', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='DIPLOMA: DIPLOMA\nMETHOD_CERTIFICATE: METHOD_CERTIFICATE\nPERSONAL_THERAPY: PERSONAL_THERAPY\nSUPERVISION: SUPERVISION\nINTERVISION: INTERVISION', enum_type=CredentialKind, max_length=24)),
                ('title', fields.CharField(max_length=255)),
                ('institution', fields.CharField(default='', max_length=255)),
                ('hours', fields.IntField(null=True)),
                ('year', fields.SmallIntField(null=True)),
            ],
            options={'table': 'credentials', 'app': 'catalogue', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Review',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('psychologist', fields.ForeignKeyField('catalogue.Psychologist', source_field='psychologist_id', db_constraint=True, to_field='id', related_name='reviews', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('identity.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='reviews', on_delete=OnDelete.SET_NULL)),
                ('rating', fields.SmallIntField()),
                ('text', fields.TextField(default='', unique=False)),
                ('is_published', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'reviews', 'app': 'catalogue', 'indexes': [Index(fields=['psychologist_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Service',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('psychologist', fields.ForeignKeyField('catalogue.Psychologist', source_field='psychologist_id', db_constraint=True, to_field='id', related_name='services', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='SESSION: SESSION\nCOUPLE_SESSION: COUPLE_SESSION\nCHILD_SESSION: CHILD_SESSION\nCHECKUP: CHECKUP', enum_type=ServiceKind, max_length=16)),
                ('title', fields.CharField(max_length=160)),
                ('duration_minutes', fields.SmallIntField()),
                ('price', fields.DecimalField(max_digits=10, decimal_places=2)),
                ('currency', fields.CharField(default='RUB', max_length=3)),
                ('is_active', fields.BooleanField(default=True)),
            ],
            options={'table': 'services', 'app': 'catalogue', 'unique_together': (('psychologist', 'kind'),), 'pk_attr': 'id', 'table_description': 'What can be booked with a psychologist: kind, duration, price (Decimal + ISO currency).'},
            bases=['Model'],
        ),
    ]

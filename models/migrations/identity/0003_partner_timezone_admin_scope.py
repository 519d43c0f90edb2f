from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('identity', '0001_initial'), ('identity', '0002_partners_sessions')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Partner',
            name='timezone',
            field=fields.CharField(default='Europe/Moscow', description="IANA zone of the partner's figures (registrations per local day)", db_default='Europe/Moscow', max_length=64),
        ),
        ops.AddField(
            model_name='User',
            name='scope_partner',
            field=fields.ForeignKeyField('identity.Partner', source_field='scope_partner_id', null=True, db_constraint=True, to_field='id', related_name='scoped_staff', on_delete=OnDelete.RESTRICT),
        ),
    ]

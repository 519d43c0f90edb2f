from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import Role
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('role', fields.CharEnumField(default=Role.CLIENT, description='CLIENT: CLIENT\nPSYCHOLOGIST: PSYCHOLOGIST\nCARE_AGENT: CARE_AGENT\nADMIN: ADMIN', enum_type=Role, max_length=16)),
                ('phone_e164', fields.CharField(null=True, unique=True, max_length=20)),
                ('email', fields.CharField(null=True, unique=True, max_length=254)),
                ('display_name', fields.CharField(default='', max_length=120)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'users', 'app': 'identity', 'pk_attr': 'id', 'table_description': 'One person. Clients are one per E.164 phone number across partners.'},
            bases=['Model'],
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('api', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DeprecatedFieldUsage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('coordinate', fields.CharField(description='Type.field or Enum.VALUE', max_length=255)),
                ('operation_name', fields.CharField(description="'' for an unnamed one", max_length=64)),
                ('client_name', fields.CharField(description='apollographql-client-name', max_length=64)),
                ('count', fields.BigIntField()),
                ('first_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'deprecated_field_usage', 'app': 'api', 'unique_together': (('coordinate', 'operation_name', 'client_name'),), 'pk_attr': 'id', 'table_description': 'How often an operation of a client selected a deprecated field (``app.core.usage``).'},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='TrustedDocument',
            options={'table': 'trusted_documents', 'app': 'api', 'pk_attr': 'id', 'table_description': "One registered operation: by the SHA-256 of its text as registered (what Apollo's"},
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='TrustedDocument',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, description='SHA-256 of body', max_length=64)),
                ('canonical_hash', fields.CharField(db_index=True, max_length=64)),
                ('name', fields.CharField(null=True, max_length=128)),
                ('operation', fields.CharField(description='query, mutation, subscription', max_length=16)),
                ('body', fields.TextField(unique=False)),
                ('source', fields.CharField(description='The file it was registered from', max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'trusted_documents', 'app': 'api', 'pk_attr': 'id', 'table_description': "The API surface's own records: trusted documents."},
            bases=['Model'],
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('catalogue', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Psychologist',
            name='search_name',
            field=fields.CharField(default='', max_length=160),
        ),
    ]

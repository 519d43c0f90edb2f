from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('booking', '0002_next_free_slots'), ('catalogue', '0001_initial'), ('identity', '0001_initial'), ('identity', '0002_partners_sessions')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Review',
            name='booking',
            field=fields.OneToOneField('booking.Booking', source_field='booking_id', null=True, db_constraint=True, to_field='id', related_name='review', on_delete=OnDelete.SET_NULL),
        ),
    ]

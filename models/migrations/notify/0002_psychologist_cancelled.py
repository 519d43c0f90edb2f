from tortoise import migrations
from tortoise.migrations import operations as ops
from models.notify import NotificationKind
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('booking', '0003_calendar'), ('identity', '0001_initial'), ('identity', '0002_partners_sessions'), ('notify', '0001_initial')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Notification',
            name='kind',
            field=fields.CharEnumField(description='WELCOME: WELCOME\nBOOKING_CONFIRMED: BOOKING_CONFIRMED\nBOOKING_CANCELLED: BOOKING_CANCELLED\nPSYCHOLOGIST_CANCELLED: PSYCHOLOGIST_CANCELLED\nBOOKING_RESCHEDULED: BOOKING_RESCHEDULED\nREMINDER_24H: REMINDER_24H\nREMINDER_15M: REMINDER_15M\nCARE_REPLY: CARE_REPLY\nCHECKUP_RESULTS: CHECKUP_RESULTS', enum_type=NotificationKind, max_length=24),
        ),
    ]

from django.db import migrations, models
from django.db.models import F


def copy_read_positions(apps, schema_editor):
    Participant = apps.get_model("messaging", "Participant")
    Participant.objects.update(read_shown_message_id=F("last_read_message_id"))


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0003_groups"),
    ]

    operations = [
        migrations.AddField(
            model_name="participant",
            name="read_shown_message_id",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(copy_read_positions, migrations.RunPython.noop),
    ]

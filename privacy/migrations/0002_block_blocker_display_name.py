from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def snapshot_names(apps, schema_editor):
    """Blocks made before the snapshot existed keep the blocker's name as it is now."""
    Block = apps.get_model("privacy", "Block")
    User = apps.get_model("accounts", "User")
    Block.objects.update(
        blocker_display_name=Subquery(
            User.objects.filter(pk=OuterRef("blocker_id")).values("display_name")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="block",
            name="blocker_display_name",
            field=models.CharField(blank=True, max_length=50),
        ),
        migrations.RunPython(snapshot_names, migrations.RunPython.noop),
    ]

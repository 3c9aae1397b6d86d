"""The Moderators group, with just what the queue needs: see and act on reports, read the log."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Moderators"
PERMISSIONS = ["view_report", "change_report", "view_moderationaction"]


def create_moderators(apps, schema_editor):
    # Permissions are normally made after all migrations; make moderation's now.
    moderation = apps.get_app_config("moderation")
    moderation.models_module = True
    create_permissions(moderation, apps=apps, verbosity=0)
    moderation.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="moderation", codename__in=PERMISSIONS)
    )


def remove_moderators(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_moderators, remove_moderators)]

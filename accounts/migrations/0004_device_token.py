import datetime

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def tokens_to_device_tokens(apps, schema_editor):
    """Every DRF token keeps working, now stored as its hash with an expiry.

    Clients keep their key: knox looks a key up by its first 15 characters and
    compares the SHA-512 digest, which is the same for a 40-character DRF key.
    """
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    Token = apps.get_model("authtoken", "Token")
    DeviceToken = apps.get_model("accounts", "DeviceToken")
    expiry = datetime.datetime.now(tz=datetime.UTC) + settings.REST_KNOX["TOKEN_TTL"]
    DeviceToken.objects.bulk_create(
        DeviceToken(
            user_id=token.user_id,
            token_key=token.key[: CONSTANTS.TOKEN_KEY_LENGTH],
            digest=hash_token(token.key),
            expiry=expiry,
            name="migrated token",
        )
        for token in Token.objects.iterator()
    )
    Token.objects.all().delete()  # the plain-text keys are gone from the database


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_avatar"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="DeviceToken",
            fields=[
                ("token_key", models.CharField(db_index=True, max_length=25)),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("expiry", models.DateTimeField(blank=True, null=True)),
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("digest", models.CharField(max_length=128, unique=True)),
                ("name", models.CharField(blank=True, max_length=200)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="auth_token_set",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["user", "-created"], name="devicetoken_user_newest")
                ],
            },
        ),
        migrations.RunPython(tokens_to_device_tokens, migrations.RunPython.noop),
    ]

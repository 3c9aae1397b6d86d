"""Shapes of the accounts API: input parsing and output, no rules."""

from rest_framework import serializers

from accounts.models import USERNAME_PATTERN, User
from dmsite.fields import StrictCharField, StrictDateField, StrictRegexField


class MeSerializer(serializers.ModelSerializer):
    phone_verified = serializers.BooleanField(read_only=True)
    avatar_url = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "bio",
            "date_of_birth",
            "phone_number",
            "phone_verified",
            "avatar_url",
        ]
        read_only_fields = fields


class RegisterSerializer(serializers.Serializer):
    username = StrictRegexField(
        USERNAME_PATTERN, message="Use 2 to 24 letters, digits, underscores and dots."
    )
    password = StrictCharField(max_length=128, trim_whitespace=False)
    date_of_birth = StrictDateField()
    display_name = StrictCharField(max_length=50, required=False, allow_blank=True, default="")


class LoginSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=128, trim_whitespace=False)


class AuthResultSerializer(serializers.Serializer):
    token = serializers.CharField()
    user = MeSerializer()


class MeUpdateSerializer(serializers.Serializer):
    display_name = StrictCharField(max_length=50, required=False, allow_blank=True)
    bio = StrictCharField(max_length=200, required=False, allow_blank=True, multiline=True)


class PhoneStartSerializer(serializers.Serializer):
    phone_number = StrictCharField(max_length=32)
    region = StrictRegexField(
        r"^[A-Za-z]{2}\Z",
        message="Must be a two-letter ISO region code.",
        required=False,
        allow_blank=True,
        default="",
    )


class PhoneVerifySerializer(serializers.Serializer):
    code = StrictRegexField(r"^[0-9]{6}\Z", message="The code is 6 digits.")


class PhoneStatusSerializer(serializers.Serializer):
    phone_number = serializers.CharField()
    phone_verified = serializers.BooleanField()


class PasswordConfirmSerializer(serializers.Serializer):
    password = StrictCharField(max_length=128, trim_whitespace=False)


class PasswordChangeSerializer(serializers.Serializer):
    current_password = StrictCharField(max_length=128, trim_whitespace=False)
    new_password = StrictCharField(max_length=128, trim_whitespace=False)


class DeviceSessionSerializer(serializers.Serializer):
    """One signed-in device: its API token (never the key), and whether it is this one."""

    id = serializers.IntegerField()
    name = serializers.CharField(help_text="The device's User-Agent when it logged in.")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField()
    current = serializers.BooleanField()

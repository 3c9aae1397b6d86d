from rest_framework import serializers

from accounts.models import User
from dmsite.fields import StrictBooleanField, StrictCharField
from privacy.models import DmPreference


class UserSummarySerializer(serializers.ModelSerializer):
    avatar_url = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = ["username", "display_name", "avatar_url"]
        read_only_fields = fields


class RelationshipSerializer(serializers.Serializer):
    following = serializers.BooleanField()
    followed_by = serializers.BooleanField()
    friends = serializers.BooleanField()
    blocked = serializers.BooleanField()


class ProfileSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    avatar_url = serializers.CharField(allow_null=True)
    bio = serializers.CharField()
    follower_count = serializers.IntegerField()
    following_count = serializers.IntegerField()
    relationship = RelationshipSerializer()
    message_button = serializers.BooleanField(help_text="True when you are friends.")


class UserSearchQuerySerializer(serializers.Serializer):
    search = StrictCharField(max_length=50)


class PrivacySettingsSerializer(serializers.Serializer):
    dm_preference = serializers.ChoiceField(choices=DmPreference.choices)
    read_receipts = serializers.BooleanField()


class PrivacySettingsUpdateSerializer(serializers.Serializer):
    dm_preference = serializers.ChoiceField(choices=DmPreference.choices, required=False)
    read_receipts = StrictBooleanField(required=False)

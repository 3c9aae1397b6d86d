from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from dmsite.fields import WORDS_PATTERN, StrictBooleanField, StrictCharField
from privacy.models import DmPreference, filters_requests
from privacy.services import HIDDEN_WORD_MAX_LENGTH, HIDDEN_WORDS_MAX


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
    filter_requests = serializers.SerializerMethodField(
        help_text="Requests matching offensive or hidden words go to the filtered folder."
    )
    hidden_words = serializers.ListField(child=serializers.CharField())

    def get_filter_requests(self, current) -> bool:
        return filters_requests(current.user, current.filter_requests)


# Parsed as any JSON and checked by the privacy service, which owns the error messages.
@extend_schema_field(
    {
        "type": "array",
        "maxItems": HIDDEN_WORDS_MAX,
        "uniqueItems": True,
        "items": {
            "type": "string",
            "minLength": 1,
            "maxLength": HIDDEN_WORD_MAX_LENGTH,
            "pattern": WORDS_PATTERN,
        },
    }
)
class HiddenWordsField(serializers.JSONField):
    pass


class PrivacySettingsUpdateSerializer(serializers.Serializer):
    dm_preference = serializers.ChoiceField(choices=DmPreference.choices, required=False)
    read_receipts = StrictBooleanField(required=False)
    filter_requests = StrictBooleanField(required=False, help_text="Always on under 18.")
    hidden_words = HiddenWordsField(
        required=False,
        help_text="At most 100 words or phrases of at most 50 characters, none repeated "
        "(case and accents aside).",
    )

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dmsite.fields import StrictBooleanField, StrictCharField
from moderation.models import Report, ReportReason, TargetType


@extend_schema_field(
    {"oneOf": [{"type": "integer"}, {"type": "string", "minLength": 1, "maxLength": 64}]}
)
class ReportTargetField(serializers.Field):
    """A number (any target), or a username for `user` targets."""

    default_error_messages = {"invalid": "Must be an id number, or a username for a user."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        if isinstance(data, str) and not (0 < len(data) <= 64 and data.isprintable()):
            self.fail("invalid")
        return data


class ReportCreateSerializer(serializers.Serializer):
    target_type = serializers.ChoiceField(choices=TargetType.choices)
    target_id = ReportTargetField()
    reason = serializers.ChoiceField(choices=ReportReason.choices)
    details = StrictCharField(
        max_length=1000, required=False, allow_blank=True, default="", multiline=True
    )
    block = StrictBooleanField(required=False, default=False)


class ReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Report
        fields = ["id", "target_type", "target_id", "reason", "details", "status", "created_at"]
        read_only_fields = fields

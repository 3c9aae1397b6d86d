"""Shapes of the upload API, for the schema (the data itself is `attachment_data`)."""

from rest_framework import serializers

from attachments.models import Kind


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="One photo, video or voice note.")


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField(allow_null=True)
    url = serializers.CharField()
    thumbnail_url = serializers.CharField(allow_null=True)

"""Shapes of the messaging API: input parsing and output, no rules."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from attachments.api.serializers import AttachmentSerializer
from dmsite.fields import MAX_DB_ID, StrictBooleanField, StrictCharField, StrictIntegerField
from messaging.models import Folder, MessageKind, Participant
from messaging.shapes import message_shape


class QuotedMessageSerializer(serializers.Serializer):
    """`reply_to`: the quoted message's first 100 characters, or its tombstone once unsent."""

    id = serializers.IntegerField()
    seq = serializers.IntegerField()
    sender = serializers.CharField(help_text="The quoted message's sender's username.")
    body = serializers.CharField(help_text="At most the first 100 characters.")
    unsent = serializers.BooleanField()


class ReactionSerializer(serializers.Serializer):
    user = serializers.CharField(help_text="The username of who reacted.")
    emoji = serializers.CharField()


class MessageSerializer(serializers.Serializer):
    """A message, in the one shape of `messaging/shapes.py`; the fields document it.

    `seen` only where both participants turned read receipts on (context
    `seen_up_to`, for the viewer `viewer_id`).
    """

    id = serializers.IntegerField(read_only=True)
    conversation = serializers.IntegerField(read_only=True)
    seq = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=MessageKind.choices, read_only=True)
    sender = serializers.CharField(read_only=True, help_text="The sender's username.")
    body = serializers.CharField(read_only=True)
    client_id = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    unsent = serializers.BooleanField(read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    reply_to = QuotedMessageSerializer(read_only=True, allow_null=True)
    reactions = ReactionSerializer(many=True, read_only=True)
    seen = serializers.BooleanField(read_only=True, required=False)

    def to_representation(self, message):
        return message_shape(
            message,
            viewer_id=self.context.get("viewer_id"),
            seen_up_to=self.context.get("seen_up_to"),
        )


class OtherUserSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    avatar_url = serializers.CharField(allow_null=True)


class RequestContextSerializer(serializers.Serializer):
    sender_joined = serializers.DateField()
    follows_you = serializers.BooleanField()
    mutual_friends = serializers.IntegerField()


class ConversationSerializer(serializers.Serializer):
    """One user's side of a conversation; `can_send` comes from the DM policy."""

    id = serializers.IntegerField(source="conversation_id")
    other_user = OtherUserSerializer(source="other")
    folder = serializers.ChoiceField(choices=Folder.choices)
    last_message = MessageSerializer(source="conversation.last_message", allow_null=True)
    unread_count = serializers.IntegerField()
    muted = serializers.BooleanField()
    pinned = serializers.BooleanField()
    updated_at = serializers.DateTimeField(source="activity_at")
    can_send = serializers.SerializerMethodField()
    request_context = serializers.SerializerMethodField(
        help_text="Requests and filtered only (else null): who is writing to you."
    )

    def get_can_send(self, participant: Participant) -> bool:
        return self.context["decisions"][participant.other_id].allowed

    @extend_schema_field(RequestContextSerializer(allow_null=True))
    def get_request_context(self, participant: Participant) -> dict | None:
        context = self.context.get("request_contexts", {}).get(participant.other_id)
        return None if context is None else RequestContextSerializer(context).data


class FolderQuerySerializer(serializers.Serializer):
    folder = serializers.ChoiceField(choices=Folder.choices, default=Folder.INBOX)


class ConversationOpenSerializer(serializers.Serializer):
    username = StrictCharField(max_length=64)


class ConversationUpdateSerializer(serializers.Serializer):
    muted = StrictBooleanField(required=False)
    pinned = StrictBooleanField(required=False)


class ReadSerializer(serializers.Serializer):
    up_to = StrictIntegerField(min_value=0, max_value=MAX_DB_ID)


class MessageCreateSerializer(serializers.Serializer):
    # Body and client_id are checked by the send service, which owns their error codes.
    body = serializers.JSONField(
        required=False,
        help_text="1 to DM_MAX_LENGTH characters of text; optional with attachments.",
    )
    client_id = serializers.JSONField(
        required=False, help_text="Your id for this message: a retry returns the stored one."
    )
    attachments = serializers.JSONField(
        required=False,
        help_text="Ids of your uploads (POST attachments): 1 to MEDIA_MAX_PER_MESSAGE photos "
        "and videos, or one voice note.",
    )
    reply_to = serializers.JSONField(
        required=False, help_text="The id of a message of the same conversation to quote."
    )


class MessageToSerializer(MessageCreateSerializer):
    to = StrictCharField(max_length=64, help_text="The recipient's username.")


class ReactionSetSerializer(serializers.Serializer):
    # Checked by the reaction service, which owns the error code.
    emoji = serializers.JSONField(help_text="One emoji (skin tones and ZWJ sequences included).")


class MyReactionSerializer(serializers.Serializer):
    message = serializers.IntegerField(source="message_id")
    user = serializers.CharField(source="user.username")
    emoji = serializers.CharField()

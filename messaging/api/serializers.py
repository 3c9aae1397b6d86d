"""Shapes of the messaging API: input parsing and output, no rules."""

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from attachments.api.serializers import AttachmentSerializer
from attachments.services import MAX_IDS
from dmsite.fields import (
    MAX_DB_ID,
    TEXT_PATTERN,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
)
from messaging.groups import TITLE_MAX_LENGTH
from messaging.models import ConversationKind, Folder, MemberState, MessageKind, Participant, Role
from messaging.selectors import member_count
from messaging.shapes import blocked_placeholder, message_shape


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
    # Present only sometimes: not read-only, which drf-spectacular would make required.
    seen = serializers.BooleanField(
        required=False, help_text="Only where both sides turned read receipts on."
    )
    blocked = serializers.BooleanField(
        required=False, help_text="A group message from someone you blocked (then true)."
    )

    def to_representation(self, message):
        data = message_shape(
            message,
            viewer_id=self.context.get("viewer_id"),
            seen_up_to=self.context.get("seen_up_to"),
        )
        if message.kind == MessageKind.TEXT and message.sender_id in self.context.get(
            "placeholder_senders", ()
        ):
            return blocked_placeholder(data)
        return data


class OtherUserSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    avatar_url = serializers.CharField(allow_null=True)


class RequestContextSerializer(serializers.Serializer):
    sender_joined = serializers.DateField()
    follows_you = serializers.BooleanField()
    mutual_friends = serializers.IntegerField()


class MemberSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    state = serializers.ChoiceField(choices=[MemberState.MEMBER, MemberState.INVITED])


class ConversationSerializer(serializers.Serializer):
    """One user's side of a conversation; `can_send` comes from the DM policy.

    The context holds the policy's `decisions` (direct) and `can_send_groups`, the
    groups' `members`, and the senders whose group messages the viewer sees as
    placeholders (`placeholder_senders`).
    """

    id = serializers.IntegerField(source="conversation_id")
    kind = serializers.ChoiceField(choices=ConversationKind.choices, source="conversation.kind")
    other_user = OtherUserSerializer(source="other", allow_null=True)
    title = serializers.SerializerMethodField()
    members = serializers.SerializerMethodField()
    member_count = serializers.SerializerMethodField()
    folder = serializers.ChoiceField(choices=Folder.choices)
    last_message = serializers.SerializerMethodField()
    unread_count = serializers.IntegerField()
    muted = serializers.BooleanField()
    pinned = serializers.BooleanField()
    updated_at = serializers.DateTimeField(source="activity_at")
    can_send = serializers.SerializerMethodField()
    request_context = serializers.SerializerMethodField(
        help_text="Requests and filtered only (else null): who is writing to you."
    )

    def get_title(self, participant: Participant) -> str | None:
        return participant.conversation.title if participant.other_id is None else None

    @extend_schema_field(MemberSerializer(many=True, allow_null=True))
    def get_members(self, participant: Participant) -> list[dict] | None:
        if participant.other_id is not None:
            return None
        return self.context["members"][participant.conversation_id]

    def get_member_count(self, participant: Participant) -> int:
        if participant.other_id is not None:
            return 2
        return member_count(self.context["members"][participant.conversation_id])

    @extend_schema_field(MessageSerializer(allow_null=True))
    def get_last_message(self, participant: Participant) -> dict | None:
        message = participant.conversation.last_message
        if message is None or not participant.sees(message.pk):
            return None
        context = {"viewer_id": participant.user_id}
        if participant.other_id is None:
            context["placeholder_senders"] = self.context["placeholder_senders"]
        return MessageSerializer(message, context=context).data

    def get_can_send(self, participant: Participant) -> bool:
        if participant.other_id is None:
            return participant.is_member and self.context["can_send_groups"]
        return self.context["decisions"][participant.other_id].allowed

    @extend_schema_field(RequestContextSerializer(allow_null=True))
    def get_request_context(self, participant: Participant) -> dict | None:
        context = self.context.get("request_contexts", {}).get(participant.other_id)
        return None if context is None else RequestContextSerializer(context).data


class FolderQuerySerializer(serializers.Serializer):
    folder = serializers.ChoiceField(choices=Folder.choices, default=Folder.INBOX)


class ConversationOpenSerializer(serializers.Serializer):
    """A direct conversation (`username`) or a new group (`usernames`, `title`)."""

    username = StrictCharField(max_length=64, required=False)
    usernames = serializers.ListField(
        child=StrictCharField(max_length=64),
        required=False,
        help_text="2 or more other people: a new group.",
    )
    title = StrictCharField(max_length=TITLE_MAX_LENGTH, required=False, allow_blank=True)

    def validate(self, data):
        if ("username" in data) == ("usernames" in data):
            raise serializers.ValidationError("Give either `username` or `usernames`.")
        if "title" in data and "usernames" not in data:
            raise serializers.ValidationError("Only a group has a title.")
        return data


class ConversationUpdateSerializer(serializers.Serializer):
    muted = StrictBooleanField(required=False)
    pinned = StrictBooleanField(required=False)
    title = StrictCharField(
        max_length=TITLE_MAX_LENGTH, required=False, allow_blank=True, help_text="Groups only."
    )


class MembersAddSerializer(serializers.Serializer):
    usernames = serializers.ListField(child=StrictCharField(max_length=64), min_length=1)


class ReadSerializer(serializers.Serializer):
    up_to = StrictIntegerField(min_value=0, max_value=MAX_DB_ID)


# A send's fields are parsed as any JSON and checked by the send service, which owns
# their error codes (`empty_message`, `message_too_long`…); the schema says what it takes.
@extend_schema_field(
    {
        "type": "string",
        "maxLength": settings.DM_MAX_LENGTH,
        "pattern": TEXT_PATTERN,
    }
)
class MessageBodyField(serializers.JSONField):
    pass


@extend_schema_field({"type": "string", "maxLength": 64, "pattern": r"^[ -~]*$"})
class ClientIdField(serializers.JSONField):
    pass


@extend_schema_field(
    {
        "type": "array",
        "maxItems": MAX_IDS,
        "uniqueItems": True,
        "items": {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_DB_ID},
    }
)
class AttachmentIdsField(serializers.JSONField):
    pass


@extend_schema_field({"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_DB_ID})
class ReplyToField(serializers.JSONField):
    pass


class MessageCreateSerializer(serializers.Serializer):
    body = MessageBodyField(
        required=False,
        help_text="1 to DM_MAX_LENGTH characters of text (counted without the surrounding "
        "white space); optional with attachments.",
    )
    client_id = ClientIdField(
        required=False,
        help_text="Your id for this message, printable ASCII: a retry returns the stored one.",
    )
    attachments = AttachmentIdsField(
        required=False,
        help_text="Ids of your uploads (POST attachments): 1 to MEDIA_MAX_PER_MESSAGE photos "
        "and videos, or one voice note.",
    )
    reply_to = ReplyToField(
        required=False, help_text="The id of a message of the same conversation to quote."
    )


class MessageToSerializer(MessageCreateSerializer):
    to = StrictCharField(max_length=64, help_text="The recipient's username.")


@extend_schema_field({"type": "string", "minLength": 1})
class EmojiField(serializers.JSONField):
    pass


class ReactionSetSerializer(serializers.Serializer):
    # Checked by the reaction service, which owns the error code.
    emoji = EmojiField(help_text="One emoji (skin tones and ZWJ sequences included).")


class MyReactionSerializer(serializers.Serializer):
    message = serializers.IntegerField(source="message_id")
    user = serializers.CharField(source="user.username")
    emoji = serializers.CharField()

"""Shapes of the messaging API: input parsing and output, no rules."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dmsite.fields import MAX_DB_ID, StrictBooleanField, StrictCharField, StrictIntegerField
from messaging.models import Folder, Message, Participant

QUOTE_MAX_CHARACTERS = 100  # of the quoted message's body in `reply_to` (SPEC section 11)


class QuotedMessageSerializer(serializers.Serializer):
    """`reply_to`: the quoted message's first characters, or its tombstone once unsent."""

    id = serializers.IntegerField()
    seq = serializers.IntegerField()
    sender = serializers.CharField(source="sender.username")
    body = serializers.SerializerMethodField()
    unsent = serializers.BooleanField()

    def get_body(self, message) -> str:
        return message.body[:QUOTE_MAX_CHARACTERS]


class ReactionSerializer(serializers.Serializer):
    user = serializers.CharField(source="user.username")
    emoji = serializers.CharField()


class MessageSerializer(serializers.ModelSerializer):
    """A message; `seen` only where both participants turned read receipts on.

    Lists load `reply_to` with `select_related` and the reactions with
    `selectors.MESSAGE_REACTIONS` (as `reaction_list`), so a page costs a fixed
    number of queries; a message just written carries an empty `reaction_list`.
    """

    conversation = serializers.IntegerField(source="conversation_id", read_only=True)
    sender = serializers.CharField(source="sender.username", read_only=True)
    unsent = serializers.BooleanField(read_only=True)
    reply_to = QuotedMessageSerializer(read_only=True, allow_null=True)
    reactions = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id",
            "conversation",
            "seq",
            "kind",
            "sender",
            "body",
            "client_id",
            "created_at",
            "unsent",
            "reply_to",
            "reactions",
        ]
        read_only_fields = fields

    @extend_schema_field(ReactionSerializer(many=True))
    def get_reactions(self, message) -> list[dict]:
        reactions = getattr(message, "reaction_list", None)
        if reactions is None:  # one message on its own: one query
            reactions = message.reactions.select_related("user").order_by("id")
        return ReactionSerializer(reactions, many=True).data

    def to_representation(self, message):
        data = super().to_representation(message)
        seen_up_to = self.context.get("seen_up_to")
        if seen_up_to is not None and message.sender_id == self.context["viewer_id"]:
            data["seen"] = message.id <= seen_up_to
        return data


class OtherUserSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()


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

    def get_can_send(self, participant: Participant) -> bool:
        return self.context["decisions"][participant.other_id].allowed


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
    body = serializers.JSONField(help_text="1 to DM_MAX_LENGTH characters of text.")
    client_id = serializers.JSONField(
        required=False, help_text="Your id for this message: a retry returns the stored one."
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

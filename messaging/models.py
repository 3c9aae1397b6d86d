from django.conf import settings
from django.db import models
from django.db.models import Case, Value, When
from django.db.models.functions import Concat
from django.utils import timezone


class Folder(models.TextChoices):
    INBOX = "inbox", "Inbox"
    REQUESTS = "requests", "Message requests"
    # Requests whose text matched the recipient's hidden words (SPEC 12): no alert, no badge.
    FILTERED = "filtered", "Filtered requests"


class ConversationKind(models.TextChoices):
    DIRECT = "direct", "Direct"
    GROUP = "group", "Group"


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MEMBER = "member", "Member"


class MemberState(models.TextChoices):
    MEMBER = "member", "Member"
    INVITED = "invited", "Invited"
    LEFT = "left", "Left"


class MessageKind(models.TextChoices):
    TEXT = "text", "Text"
    SYSTEM = "system", "System"


class Conversation(models.Model):
    """A direct conversation (one per pair) or a group; its members are `Participant` rows.

    A direct conversation names its pair in `user_low` (the smaller id) and `user_high`,
    so that the pair's uniqueness is a constraint; a group leaves both empty.
    """

    kind = models.CharField(
        max_length=6, choices=ConversationKind.choices, default=ConversationKind.DIRECT
    )
    title = models.CharField(max_length=50, blank=True)  # groups only
    # Indexed by the pair constraint, which starts with it.
    user_low = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        null=True,
        blank=True,
    )
    user_high = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Messages get seq 1, 2, 3… within the conversation; this is the last one given.
    last_seq = models.PositiveIntegerField(default=0)
    last_message = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_low", "user_high"], name="conversation_per_pair"),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind=ConversationKind.DIRECT,
                        user_low__isnull=False,
                        user_high__isnull=False,
                        user_low__lt=models.F("user_high"),
                    )
                    | models.Q(
                        kind=ConversationKind.GROUP,
                        user_low__isnull=True,
                        user_high__isnull=True,
                    )
                ),
                name="conversation_kind_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} conversation {self.pk}"

    @property
    def is_group(self) -> bool:
        return self.kind == ConversationKind.GROUP


class Participant(models.Model):
    """One user's side of a conversation: folder, read position, unread count, hidden.

    In a group also the member's role and state, and the window of history they see:
    messages with `history_from_id <= id <= history_until_id` (no upper end while a member).
    """

    # Both indexed by the indexes below, which start with them.
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="participations",
        db_index=False,
    )
    # The other user of a direct conversation; empty in a group.
    other = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    role = models.CharField(max_length=6, choices=Role.choices, default=Role.MEMBER)
    state = models.CharField(max_length=7, choices=MemberState.choices, default=MemberState.MEMBER)
    joined_at = models.DateTimeField(null=True, blank=True)  # groups: who becomes owner next
    history_from_id = models.BigIntegerField(default=0)
    history_until_id = models.BigIntegerField(null=True, blank=True)
    folder = models.CharField(max_length=8, choices=Folder.choices, default=Folder.INBOX)
    # Hidden until the first message, and again after "delete for me" until a new one.
    hidden = models.BooleanField(default=True)
    muted = models.BooleanField(default=False)
    pinned = models.BooleanField(default=False)
    last_read_message_id = models.BigIntegerField(default=0)
    # The read position the other side is shown (`seen`): it follows `last_read_message_id`
    # except while this user blocks the other, whose view then stays as it was.
    read_shown_message_id = models.BigIntegerField(default=0)
    unread_count = models.PositiveIntegerField(default=0)
    activity_at = models.DateTimeField(default=timezone.now)
    # Pinned first, then newest activity: one indexed, unique key for cursor pagination.
    inbox_key = models.CharField(max_length=48, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="participant_once"),
        ]
        indexes = [
            models.Index(
                fields=["user", "folder", "hidden", "-inbox_key"], name="participant_inbox"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.conversation_id}"

    @property
    def is_member(self) -> bool:
        """A current member (a direct conversation's two sides always are)."""
        return self.state == MemberState.MEMBER

    def sees(self, message_id: int) -> bool:
        """Whether this side's history window holds the message."""
        if self.state == MemberState.INVITED or message_id < self.history_from_id:
            return False
        return self.history_until_id is None or message_id <= self.history_until_id

    def refresh_inbox_key(self) -> None:
        self.inbox_key = (
            f"{int(self.pinned)}:{self.activity_at:%Y%m%d%H%M%S%f}:{self.conversation_id:020d}"
        )

    @staticmethod
    def inbox_key_expression(conversation_id: int, activity_at):
        """`refresh_inbox_key` as SQL, for updating many sides of a group in one statement."""
        return Concat(
            Case(When(pinned=True, then=Value("1")), default=Value("0")),
            Value(f":{activity_at:%Y%m%d%H%M%S%f}:{conversation_id:020d}"),
            output_field=models.CharField(),
        )


class Message(models.Model):
    # Indexed by message_history and friends below, which start with it.
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=6, choices=MessageKind.choices, default=MessageKind.TEXT)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages_sent"
    )
    body = models.TextField(blank=True)
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    unsent_at = models.DateTimeField(null=True, blank=True)
    # How many photos, videos or voice notes it carries: a text message's shape needs
    # no query for them.
    attachment_count = models.PositiveSmallIntegerField(default=0)
    # The message this one quotes (SPEC section 11); always of the same conversation.
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_seq_once"),
            models.UniqueConstraint(
                fields=["sender", "client_id"],
                condition=~models.Q(client_id=""),
                name="message_client_id_once",
            ),
        ]
        indexes = [
            # history pages, unread recounts and "has the recipient written to the sender"
            models.Index(fields=["conversation", "sender", "id"], name="message_by_sender"),
            models.Index(fields=["conversation", "-id"], name="message_history"),
            # Only replies are indexed: the SET NULL of a deleted message finds them.
            models.Index(
                fields=["reply_to"],
                condition=models.Q(reply_to__isnull=False),
                name="message_replies",
            ),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} ({self.conversation_id}#{self.seq})"

    @property
    def unsent(self) -> bool:
        return self.unsent_at is not None


class Reaction(models.Model):
    """One user's one reaction (an emoji) on one message."""

    # Indexed by the constraint below, which starts with it (the prefetch of a page).
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="reactions", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions"
    )
    # A single emoji: its longest ZWJ sequences are about a dozen code points.
    emoji = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="reaction_once_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.emoji} by {self.user_id} on {self.message_id}"

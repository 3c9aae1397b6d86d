"""The `/ws/` socket: parse frames, call the same services and policy as REST.

Client frames: `message.send`, `typing`, `read`, `sync`, `reaction`. Server frames:
`message.ack`, `message.new`, `message.deleted`, `conversation.updated`, `reaction`,
`typing`, `read`, `sync.batch`, `sync.done`, `error`. A bad frame gets an `error` frame and the
socket stays open.
"""

import json
import logging
import time
from collections import deque

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError, connections
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from accounts.models import User
from accounts.sessions import CredentialEnded, credential_user, session_credential
from attachments.selectors import attachments_load
from dmsite.env import Rate
from dmsite.errors import (
    REDIS_ERRORS,
    ApiError,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    error_body,
    first_error_message,
)
from dmsite.fields import MAX_DB_ID, StrictCharField, StrictIntegerField, text_problem
from messaging import reactions, selectors, services
from messaging.events import user_group
from messaging.models import MessageKind, Participant
from messaging.policy import dm_decision, group_send_decision
from messaging.shapes import blocked_placeholder, message_shape
from messaging.socket_registry import socket_register, socket_unregister

logger = logging.getLogger(__name__)

CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_REPLACED = 4409  # the user opened more than WS_MAX_SOCKETS_PER_USER sockets
# The channel layer (Redis) is down: after an `error service_unavailable` frame. The
# client reconnects after `retry_after` and syncs. (1013 "Try Again Later" is reserved
# for the protocol: Daphne's autobahn allows applications only 1000 and 3000-4999.)
CLOSE_SERVICE_UNAVAILABLE = 4503
MAX_FRAME_CHARACTERS = 32_768
# Channels runs every socket's database calls on one worker thread by default, so one
# send's round trips to PostgreSQL held up every other socket's. On PostgreSQL sends run
# in the thread pool, each borrowing a pooled connection for the call (checked when
# borrowed, given back after: `database_sync_to_async` closes it on both sides); the
# users' row locks keep `seq` and `sync` exact. SQLite has one writer at a time: there
# the one thread avoids queueing on its lock.
SENDS_IN_PARALLEL = connections["default"].vendor == "postgresql"
SYNC_BATCH_SIZE = 100
SYNC_MAX_MESSAGES = 1_000  # per `sync`; the client asks again from `last_id` when `has_more`


class MessageSendFrame(serializers.Serializer):
    TO_MAX_LENGTH = 64

    to = StrictCharField(max_length=TO_MAX_LENGTH, required=False)
    conversation = StrictIntegerField(min_value=1, max_value=MAX_DB_ID, required=False)
    body = serializers.JSONField(required=False)
    client_id = serializers.JSONField(required=False)
    attachments = serializers.JSONField(required=False)
    reply_to = serializers.JSONField(required=False)

    def validate(self, data):
        if ("to" in data) == ("conversation" in data):
            raise serializers.ValidationError("Give either `to` or `conversation`.")
        return data


class ConversationFrame(serializers.Serializer):
    conversation = StrictIntegerField(min_value=1, max_value=MAX_DB_ID)


class ReadFrame(ConversationFrame):
    up_to = StrictIntegerField(min_value=0, max_value=MAX_DB_ID)


class ReactionFrame(serializers.Serializer):
    message = StrictIntegerField(min_value=1, max_value=MAX_DB_ID)
    emoji = serializers.JSONField(allow_null=True)  # null removes mine


class SyncFrame(serializers.Serializer):
    after = StrictIntegerField(min_value=0, max_value=MAX_DB_ID)


class SyncBudget:
    """How many messages one socket's `sync` may still send in a sliding window."""

    def __init__(self, rate: Rate):
        self.rate = rate
        self.spent: deque[tuple[float, int]] = deque()

    def _forget_old(self) -> None:
        now = time.monotonic()
        while self.spent and self.spent[0][0] <= now - self.rate.seconds:
            self.spent.popleft()

    def left(self) -> int:
        self._forget_old()
        return self.rate.count - sum(count for _, count in self.spent)

    def spend(self, count: int) -> None:
        self.spent.append((time.monotonic(), count))

    def retry_after(self) -> float:
        self._forget_old()
        oldest = self.spent[0][0] if self.spent else time.monotonic()
        return max(1.0, oldest + self.rate.seconds - time.monotonic())


def _frame(frame_class, content: dict) -> dict:
    frame = frame_class(data=content)
    frame.is_valid(raise_exception=True)
    return frame.validated_data


# A `message.send` frame's values that the send itself checks (MessageSendFrame takes
# them as they are, any JSON but null).
_SEND_VALUES = ("body", "client_id", "attachments", "reply_to")


def message_send_frame(content: dict) -> dict:
    """A `message.send` frame's validated data: what MessageSendFrame makes of it.

    The usual frame (`to` a name without surrounding spaces or control characters, no
    `conversation`, no null) is read directly: building the serializer's fields was
    13 % of a socket message's CPU. Any other frame goes through MessageSendFrame, which
    says what is wrong. tests/messaging/test_send_frame.py pins that both agree.
    """
    to = content.get("to")
    if (
        isinstance(to, str)
        and 0 < len(to) <= MessageSendFrame.TO_MAX_LENGTH
        and "conversation" not in content
        and to == to.strip()
        and text_problem(to, multiline=False) is None
        and all(content.get(name, "") is not None for name in _SEND_VALUES)
    ):
        return {"to": to, **{name: content[name] for name in _SEND_VALUES if name in content}}
    return _frame(MessageSendFrame, content)


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def __call__(self, scope, receive, send):
        """Serve the socket; if Redis is not there for it, say so and close, never 1011.

        The handshake (the channel's subscription, `group_add`, the socket registry)
        needs Redis: without it the socket could get no live events, so it answers
        `error service_unavailable` and closes with CLOSE_SERVICE_UNAVAILABLE. With the
        pub/sub layer a socket already open stays open through an outage (its frames
        that need Redis answer that error) and gets live events again once the layer
        has resubscribed; with the core layer its receive loop fails and it closes so.
        """
        self.handshake_done = False
        try:
            await super().__call__(scope, receive, send)
        except REDIS_ERRORS:
            logger.warning("Channel layer unavailable: closing a socket", exc_info=True)
            if not self.handshake_done:
                await send({"type": "websocket.accept"})
            unavailable = ServiceUnavailable()
            frame = {
                "type": "error",
                **error_body(unavailable.code, unavailable.detail),
                "retry_after": unavailable.retry_after,
            }
            await send({"type": "websocket.send", "text": json.dumps(frame)})
            await send({"type": "websocket.close", "code": CLOSE_SERVICE_UNAVAILABLE})

    async def dispatch(self, message):
        """Channels' dispatch, without its hop to a thread to close old database
        connections before every message (14 % of a socket message's CPU): this
        consumer's database work is all `database_sync_to_async`, which closes them in
        its own thread, before and after each call."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol, headers)
        self.handshake_done = True

    async def connect(self):
        user = self.scope.get("user")
        credential = self.scope.get("credential")
        if credential is None and "session" in self.scope:
            credential = session_credential(self.scope["session"])
        if user is None or not user.is_authenticated or credential is None:
            # Accept first so that the client sees our close code, not a failed handshake.
            await self.accept()
            await self.close(code=CLOSE_NOT_AUTHENTICATED)
            return
        self.user_id = user.pk
        self.credential = credential
        self.ended = False
        self.frame_times: deque[float] = deque()
        self.flood = settings.RATE_SOCKET_FRAMES  # per socket
        self.sync_window = SyncBudget(settings.RATE_WS_SYNC)
        await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
        await self.accept()
        evicted = await sync_to_async(socket_register)(
            user_id=user.pk, channel_name=self.channel_name
        )
        for channel_name in evicted:
            await self.channel_layer.send(channel_name, {"type": "socket.evict"})

    async def disconnect(self, code):
        if hasattr(self, "user_id"):
            try:
                await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)
                await sync_to_async(socket_unregister)(
                    user_id=self.user_id, channel_name=self.channel_name
                )
            except REDIS_ERRORS:
                # Redis is down: nothing to undo there now (pub/sub's subscription went
                # with the connection; the registry's entry is the oldest, evicted first).
                logger.warning("Redis unavailable while a socket closed", exc_info=True)

    async def end(self, code: int) -> None:
        """Close at once and serve nothing more, whatever frames are still queued."""
        self.ended = True
        await self.close(code=code)

    def _fresh_user(self) -> User:
        """This socket's user, fresh from the database, while its credential still holds."""
        user = credential_user(self.credential, self.user_id)
        if user is None:
            raise CredentialEnded()
        return user

    # Client frames --------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        if getattr(self, "ended", True):
            return None
        # Every frame counts, bad ones too: each costs an answer.
        if self._flooded():
            return await self.send_error(
                "rate_limited", "Too many frames. Slow down.", retry_after=self.flood.seconds
            )
        if text_data is None:
            return await self.send_error("invalid", "Send JSON text frames.")
        if len(text_data) > MAX_FRAME_CHARACTERS:
            return await self.send_error("invalid", "This frame is too large.")
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):  # RecursionError: nesting too deep
            return await self.send_error("invalid", "Frames must be JSON.")
        if not isinstance(content, dict):
            return await self.send_error("invalid", "Frames must be JSON objects.")
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        handlers = {
            "message.send": self.on_message_send,
            "typing": self.on_typing,
            "read": self.on_read,
            "sync": self.on_sync,
            "reaction": self.on_reaction,
        }
        frame_type = content.get("type")
        handler = handlers.get(frame_type) if isinstance(frame_type, str) else None
        client_id = content.get("client_id") if isinstance(content.get("client_id"), str) else None
        if handler is None:
            return await self.send_error("invalid", "Unknown frame type.", client_id=client_id)
        try:
            await handler(content)
        except CredentialEnded:
            await self.end(CLOSE_NOT_AUTHENTICATED)
        except ValidationError as error:
            await self.send_error("invalid", first_error_message(error.detail), client_id=client_id)
        except ApiError as error:
            await self.send_error(
                error.code,
                str(error.detail),
                client_id=client_id,
                retry_after=getattr(error, "retry_after", None),
            )
        except (DatabaseError, *REDIS_ERRORS):
            # A dropped or locked connection, or Redis (the limits) unreachable: this frame
            # failed and wrote nothing, the socket goes on. The next frame's
            # `database_sync_to_async` closes a broken connection and opens another.
            logger.exception("Database error while serving a %s frame", frame_type)
            await self.send_error(
                ServiceUnavailable.default_code,
                ServiceUnavailable.default_detail,
                client_id=client_id,
                retry_after=ServiceUnavailable.retry_seconds,
            )
        except Exception:
            # Anything else unexpected: answered, logged, and the socket keeps serving.
            logger.exception("Unexpected error while serving a %s frame", frame_type)
            await self.send_error(
                "server_error", "Something went wrong on our side.", client_id=client_id
            )

    async def on_message_send(self, content):
        frame = message_send_frame(content)
        if SENDS_IN_PARALLEL:
            message = await database_sync_to_async(self._send_giving_back, thread_sensitive=False)(
                frame
            )
        else:
            message = await database_sync_to_async(self._send_message)(frame)
        await self.send_json(
            {"type": "message.ack", "client_id": frame.get("client_id"), "message": message}
        )

    def _send_giving_back(self, frame: dict) -> dict:
        """`_send_message` on a pool thread, whose connection goes back to the pool after."""
        try:
            return self._send_message(frame)
        finally:
            connections.close_all()

    def _send_message(self, frame: dict) -> dict:
        token_id = int(self.credential.key) if self.credential.kind == "token" else None
        if "to" in frame and token_id is not None:
            # The send's lock statement checks the token and reads the sender afresh: a
            # log-out, suspension or deactivation applies at once, for no extra query.
            message, _ = services.message_send(
                sender=User(pk=self.user_id),
                to=frame["to"],
                body=frame.get("body"),
                client_id=frame.get("client_id"),
                reply_to=frame.get("reply_to"),
                attachments=frame.get("attachments"),
                token_id=token_id,
            )
            return message_shape(message)
        # Fresh from the database: a suspension, deactivation or log-out applies at once.
        sender = self._fresh_user()
        conversation = None
        if "conversation" in frame:
            participant = selectors.participant_get(
                user=sender, conversation_id=frame["conversation"]
            )
            recipient, to, conversation = participant.other, None, participant.conversation
        else:
            recipient, to = None, frame["to"]
        message, _ = services.message_send(
            sender=sender,
            recipient=recipient,
            to=to,
            conversation=conversation,
            body=frame.get("body"),
            client_id=frame.get("client_id"),
            reply_to=frame.get("reply_to"),
            attachments=frame.get("attachments"),
        )
        return message_shape(message)

    async def on_reaction(self, content):
        # Answered by the `reaction` event, which reaches this socket too.
        await database_sync_to_async(self._react)(_frame(ReactionFrame, content))

    def _react(self, frame: dict) -> None:
        user = self._fresh_user()
        if frame["emoji"] is None:
            reactions.reaction_remove(user=user, message_id=frame["message"])
        else:
            reactions.reaction_set(user=user, message_id=frame["message"], emoji=frame["emoji"])

    async def on_typing(self, content):
        conversation_id = _frame(ConversationFrame, content)["conversation"]
        recipient_ids, username = await database_sync_to_async(self._typing_targets)(
            conversation_id
        )
        for recipient_id in recipient_ids:
            await self.channel_layer.group_send(
                user_group(recipient_id),
                {"type": "typing", "conversation": conversation_id, "user": username},
            )

    def _typing_targets(self, conversation_id: int) -> tuple[list[int], str]:
        """Who hears me typing: the other side, or every other member of a group."""
        sender = self._fresh_user()
        mine = selectors.participant_get(user=sender, conversation_id=conversation_id)
        if mine.other_id is None:
            if not group_send_decision(sender, mine).allowed:
                raise NotFound("No such conversation.")
            return selectors.group_typing_targets(participant=mine), sender.username
        theirs_visible = Participant.objects.filter(
            conversation_id=conversation_id, user_id=mine.other_id, hidden=False
        ).exists()
        if not theirs_visible or not dm_decision(sender, mine.other).allowed:
            return [], sender.username
        return [mine.other_id], sender.username

    async def on_read(self, content):
        frame = _frame(ReadFrame, content)
        await database_sync_to_async(self._mark_read)(frame["conversation"], frame["up_to"])

    def _mark_read(self, conversation_id: int, up_to: int) -> None:
        user = self._fresh_user()
        participant = selectors.participant_get(user=user, conversation_id=conversation_id)
        services.conversation_mark_read(participant=participant, up_to=up_to)

    async def on_sync(self, content):
        after = _frame(SyncFrame, content)["after"]
        # What this socket may still pull in the window: `sync` costs are bounded per socket.
        allowance = min(SYNC_MAX_MESSAGES, self.sync_window.left())
        if allowance <= 0:
            raise RateLimited(self.sync_window.retry_after(), "Too much sync. Try again later.")
        sent, first = 0, True
        while True:
            size = min(SYNC_BATCH_SIZE, allowance - sent)
            batch = await database_sync_to_async(self._sync_batch)(after, size, check=first)
            first = False
            if batch:
                await self.send_json({"type": "sync.batch", "messages": batch})
                after, sent = batch[-1]["id"], sent + len(batch)
                self.sync_window.spend(len(batch))
            has_more = len(batch) == size
            if not has_more or sent >= allowance:
                break
        await self.send_json({"type": "sync.done", "last_id": after, "has_more": has_more})

    def _sync_batch(self, after: int, size: int, *, check: bool) -> list[dict]:
        if check:
            self._fresh_user()
        # A filtered request is not synced to its recipient, as it is not pushed (no alert).
        messages = list(
            selectors.messages_shaped(
                selectors.messages_to_sync(user_id=self.user_id, after=after, size=size)
            ).select_related("conversation")
        )
        attachments_load(messages)
        blocked = None
        payloads = []
        for message in messages:
            payload = message_shape(message)
            if message.conversation.is_group and message.kind == MessageKind.TEXT:
                if blocked is None:  # one query, only when a group message is in the batch
                    blocked = selectors.blocked_ids(user=User(pk=self.user_id))
                if message.sender_id in blocked:
                    payload = blocked_placeholder(payload)
            payloads.append(payload)
        return payloads

    # Group events ---------------------------------------------------------------------

    async def message_new(self, event):
        await self.send_json(event)

    async def message_deleted(self, event):
        await self.send_json(event)

    async def reaction(self, event):
        await self.send_json(event)

    async def typing(self, event):
        await self.send_json(event)

    async def conversation_updated(self, event):
        await self.send_json(event)

    async def read(self, event):
        await self.send_json(event)

    async def credential_revoked(self, event):
        if self.credential.matches(event):
            await self.end(CLOSE_NOT_AUTHENTICATED)

    async def socket_evict(self, event):
        await self.end(CLOSE_REPLACED)

    # ---------------------------------------------------------------------------------

    async def send_error(self, code, detail, *, client_id=None, retry_after=None):
        frame = {"type": "error", **error_body(code, detail)}
        if client_id is not None:
            frame["client_id"] = client_id
        if retry_after is not None:
            frame["retry_after"] = retry_after
        await self.send_json(frame)

    def _flooded(self) -> bool:
        now = time.monotonic()
        while self.frame_times and self.frame_times[0] <= now - self.flood.seconds:
            self.frame_times.popleft()
        if len(self.frame_times) >= self.flood.count:
            return True
        self.frame_times.append(now)
        return False

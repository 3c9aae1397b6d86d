"""The socket's direct reading of a `message.send` frame agrees with MessageSendFrame.

`message_send_frame` reads the usual frame itself and hands every other one to the
serializer; for each frame here both must give the same data, or both the same error.
"""

import pytest
from rest_framework.exceptions import ValidationError

from messaging.consumers import MessageSendFrame, _frame, message_send_frame

FRAMES = [
    {"to": "bob", "body": "hi"},
    {"to": "bob", "body": "hi", "client_id": "c1", "reply_to": 7, "attachments": [1, 2]},
    {"to": "bob", "body": {"not": "text"}, "client_id": 5, "attachments": "x", "reply_to": "y"},
    {"to": "bob"},
    {"type": "message.send", "to": "bob", "body": "hi", "extra": [1]},
    {"to": "b" * 64, "body": "hi"},
    {"to": "b" * 65, "body": "hi"},
    {"to": " bob", "body": "hi"},
    {"to": "bob ", "body": "hi"},
    {"to": "   ", "body": "hi"},
    {"to": "", "body": "hi"},
    {"to": "bo\nb", "body": "hi"},
    {"to": "bo\tb", "body": "hi"},
    {"to": "bo\x00b", "body": "hi"},
    {"to": "bo\x85b", "body": "hi"},
    {"to": "bo\ud800b", "body": "hi"},
    {"to": "bøb 🙂", "body": "hi"},
    {"to": 5, "body": "hi"},
    {"to": None, "body": "hi"},
    {"to": ["bob"], "body": "hi"},
    {"to": "bob", "body": None},
    {"to": "bob", "body": "hi", "client_id": None},
    {"to": "bob", "body": "hi", "attachments": None},
    {"to": "bob", "body": "hi", "reply_to": None},
    {"to": "bob", "conversation": 3, "body": "hi"},
    {"conversation": 3, "body": "hi"},
    {"conversation": "3", "body": "hi"},
    {"body": "hi"},
    {},
]


def _serializer_reading(content):
    try:
        return "data", dict(_frame(MessageSendFrame, content))
    except ValidationError as error:
        return "error", error.detail


def _direct_reading(content):
    try:
        return "data", dict(message_send_frame(content))
    except ValidationError as error:
        return "error", error.detail


@pytest.mark.parametrize("content", FRAMES, ids=repr)
def test_the_direct_reading_of_a_send_frame_is_the_serializers(content):
    assert _direct_reading(content) == _serializer_reading(content)


def test_the_usual_frame_is_read_without_the_serializer(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the serializer was used")

    monkeypatch.setattr(MessageSendFrame, "is_valid", refuse)
    assert message_send_frame({"to": "bob", "body": "hi", "client_id": "c1"}) == {
        "to": "bob",
        "body": "hi",
        "client_id": "c1",
    }

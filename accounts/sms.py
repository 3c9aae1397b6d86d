"""SMS backends, chosen by SMS_BACKEND: console, file, locmem, or a dotted class path."""

import json
import sys
import threading

from django.conf import settings
from django.utils.module_loading import import_string


class ConsoleBackend:
    """Prints each SMS: the default, so `make run` shows verification codes."""

    def send(self, to: str, body: str) -> None:
        print(f"SMS to {to}: {body}", file=sys.stdout, flush=True)


class FileBackend:
    """Appends each SMS as one JSON line to SMS_FILE_PATH (readable by other processes)."""

    _lock = threading.Lock()

    def send(self, to: str, body: str) -> None:
        line = json.dumps({"to": to, "body": body}) + "\n"
        with self._lock, open(settings.SMS_FILE_PATH, "a", encoding="utf-8") as sms_file:
            sms_file.write(line)


class LocmemBackend:
    """Keeps each SMS in `outbox`, for tests."""

    outbox: list[dict] = []

    def send(self, to: str, body: str) -> None:
        self.outbox.append({"to": to, "body": body})


BACKENDS = {"console": ConsoleBackend, "file": FileBackend, "locmem": LocmemBackend}


def get_backend():
    name = settings.SMS_BACKEND
    backend_class = BACKENDS.get(name) or import_string(name)
    return backend_class()


def send_sms(to: str, body: str) -> None:
    get_backend().send(to, body)

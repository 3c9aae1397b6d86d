"""The purge of uploads never sent: after 24 hours, only those, safe to run twice at once."""

import threading
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from attachments.models import Attachment
from attachments.services import attachments_purge_unsent
from tests.attachments.conftest import stored_files

pytestmark = pytest.mark.django_db


def test_only_old_unsent_uploads_go(
    client_for, pair, uploaded, media_root, django_capture_on_commit_callbacks
):
    me, friend = pair
    start = timezone.now()
    with time_machine.travel(start - timedelta(hours=25)):
        old_unsent, old_sent = uploaded(), uploaded()
        client_for(me).post(
            "/api/v1/messages", {"to": friend.username, "attachments": [old_sent]}, format="json"
        )
    with time_machine.travel(start - timedelta(hours=23)):
        recent = uploaded()
    assert len(stored_files(media_root)) == 6

    out = StringIO()
    with time_machine.travel(start), django_capture_on_commit_callbacks(execute=True):
        call_command("attachments_purge", stdout=out)

    assert out.getvalue().strip() == "Deleted 1 unsent upload(s)."
    assert set(Attachment.objects.values_list("pk", flat=True)) == {old_sent, recent}
    assert len(stored_files(media_root)) == 4
    assert not Attachment.objects.filter(pk=old_unsent).exists()


@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="needs PostgreSQL's SKIP LOCKED (SQLite: one writer)"
)
# Serialized: the browser tests after it restore the migrated rows (content types) by id.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_purges_at_once_delete_each_upload_once(uploaded, media_root):
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        for _ in range(30):
            uploaded()
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def purge():
        barrier.wait()
        try:
            counts.append(attachments_purge_unsent(batch=5))
        finally:
            connection.close()

    threads = [threading.Thread(target=purge) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(counts) == 30
    assert Attachment.objects.count() == 0
    assert stored_files(media_root) == []


def test_running_it_again_finds_nothing(uploaded):
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        uploaded()
    assert attachments_purge_unsent() == 1
    assert attachments_purge_unsent() == 0

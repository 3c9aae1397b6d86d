"""Fixtures of the attachment suites: a fresh media folder per test, uploads through the API."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.attachments import samples
from tests.factories import UserFactory
from tests.messaging.state import befriend


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return root


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def upload(
    api, data: bytes, name: str = "file.bin", content_type: str = "application/octet-stream"
):
    return api.post(
        "/api/v1/attachments",
        {"file": SimpleUploadedFile(name, data, content_type=content_type)},
        format="multipart",
    )


@pytest.fixture
def pair():
    me, friend = UserFactory.create_batch(2)
    befriend(me, friend)
    return me, friend


@pytest.fixture
def uploaded(client_for, pair):
    """`uploaded(data=…)`: the id of an upload of mine (a small PNG by default)."""
    me, _ = pair

    def make(data: bytes | None = None, user=None) -> int:
        response = upload(client_for(user or me), data or samples.image_bytes())
        assert response.status_code == 201, response.content
        return response.json()["id"]

    return make

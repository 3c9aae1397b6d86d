"""Behind the nginx of docs/deploy.md, an oversized upload never reaches Daphne's memory.

A real Daphne and Debian's nginx, configured with the deploy guide's own block
(tests/proxy.py). Daphne buffers a whole body before dmsite sees it, so the bound
comes from nginx: an upload of MEDIA_MAX_BYTES + 1 is answered 413 `file_too_large`
and Daphne's peak memory (VmHWM) does not move; sent to Daphne directly, the same body
raises it by at least its size (the control that shows the measure sees it).
Skipped, saying why, where nginx is not installed (`.ci/run` installs it).
"""

import json

import pytest
from django.conf import settings

from tests.attachments import samples
from tests.factories import UserFactory, token_for
from tests.processes import peak_rss_kib
from tests.proxy import nginx_binary, post_body, post_upload, start_nginx

pytestmark = pytest.mark.skipif(
    nginx_binary() is None,
    reason="nginx is not installed: the proxy's body limit is checked where it is "
    "(.ci/run installs Debian's nginx)",
)

UPLOAD = "/api/v1/attachments"


@pytest.fixture
def stack(start_daphne, tmp_path):
    daphne = start_daphne()
    nginx = start_nginx(daphne.port, tmp_path / "nginx")
    yield daphne, nginx
    nginx.stop()


@pytest.fixture
def token(transactional_db):
    return token_for(UserFactory())


def answer_code(body: bytes) -> str:
    return json.loads(body)["code"]


def test_an_upload_of_media_max_bytes_plus_one_stops_at_nginx(stack, token):
    daphne, nginx = stack
    size = settings.MEDIA_MAX_BYTES + 1
    # A first request warms Daphne up (imports, connections): only the body counts below.
    status, _ = post_upload(nginx.port, UPLOAD, 100, token=token)
    assert status == 400  # 100 bytes of 0xff are no image
    before = peak_rss_kib(daphne.process.pid)

    for chunked in (False, True):
        status, body = post_upload(nginx.port, UPLOAD, size, token=token, chunked=chunked)
        assert status == 413, body
        assert answer_code(body) == "file_too_large"
    through_nginx = peak_rss_kib(daphne.process.pid) - before
    assert through_nginx < size / 1024 / 4, f"Daphne's peak grew {through_nginx} KiB"

    # The control: straight to Daphne, the same upload is refused by dmsite too, but only
    # after Daphne held it, and the peak shows it.
    status, body = post_upload(daphne.port, UPLOAD, size, token=token)
    assert status == 413, body
    assert answer_code(body) == "file_too_large"
    direct = peak_rss_kib(daphne.process.pid) - before - through_nginx
    assert direct >= size / 1024, f"Daphne's peak grew only {direct} KiB"


def test_a_json_body_over_the_limit_gets_dmsites_error_from_nginx(stack, token):
    _, nginx = stack
    status, body = post_upload(nginx.port, "/api/v1/messages", 1024 * 1024, token=token)
    assert status == 413
    assert answer_code(body) == "file_too_large"


def test_an_upload_within_the_limit_goes_through(stack, token):
    _, nginx = stack
    head, tail = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        b"Content-Type: image/png\r\n\r\n",
        b"\r\n--b--\r\n",
    )
    body = head + samples.image_bytes() + tail
    status, answer = post_body(
        nginx.port,
        UPLOAD,
        [body],
        token=token,
        content_type="multipart/form-data; boundary=b",
        length=len(body),
    )
    assert status == 201, answer
    assert json.loads(answer)["kind"] == "image"

"""Bodies that Daphne's HTTP layer used to answer itself reach Django and its error shape.

Found by the schemathesis stage: Twisted parsed every multipart POST into its own
`request.args` before the application saw it and answered a multipart body it
could not parse with a bare 400 (no Content-Type, no body), not the API's error.
"""

import httpx
import pytest

from tests.factories import UserFactory, token_for

pytestmark = pytest.mark.services


@pytest.fixture
def server(start_daphne):
    return start_daphne()


@pytest.mark.parametrize(
    "body",
    [
        b"--c637--\r\n",  # a closing boundary and nothing else
        b"x",  # not multipart at all
        b"--c637\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--c637--\r\n",
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/attachments", "/api/v1/reports"])
def test_a_broken_multipart_body_gets_the_api_error(server, body, path):
    token = token_for(UserFactory())
    response = httpx.post(
        f"{server.url}{path}",
        content=body,
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "multipart/form-data; boundary=c637",
        },
    )
    # The upload names the missing file; reports read JSON only, so multipart is 415.
    assert response.headers["content-type"] == "application/json"
    uploads = path == "/api/v1/attachments"
    expected = (400, "invalid") if uploads else (415, "unsupported_media_type")
    assert (response.status_code, response.json()["code"]) == expected

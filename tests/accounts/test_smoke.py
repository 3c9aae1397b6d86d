import pytest

pytestmark = pytest.mark.django_db


def test_register_login_me(api, sms_outbox, django_capture_on_commit_callbacks):
    response = api.post(
        "/api/v1/auth/register",
        {"username": "Alice_1", "password": "a-long-secret-9", "date_of_birth": "2000-01-02"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/v1/me")
    assert me.json()["username"] == "Alice_1"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/me/phone", {"phone_number": "+44 7400 123456"}, format="json")
    assert response.status_code == 202, response.json()
    code = sms_outbox[-1]["body"][:6]
    response = api.post("/api/v1/me/phone/verify", {"code": code}, format="json")
    assert response.status_code == 200, response.json()
    assert api.get("/api/v1/me").json()["phone_verified"] is True

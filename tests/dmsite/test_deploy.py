"""The production checks: `check --deploy` with a proper environment, and an accurate schema."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_"))
    }
    environment.update(env)
    return subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_with_a_production_environment():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="dm.example.com",
        SECURE_HSTS_PRELOAD="1",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_the_development_key():
    # Only DEBUG has the development key: without DEBUG, no key stops start-up (test_env).
    result = manage("check", "--deploy", "--fail-level", "WARNING", DJANGO_DEBUG="1")
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_openapi_schema_is_valid_and_complete():
    result = manage(
        "spectacular", "--validate", "--fail-on-warn", DJANGO_SECRET_KEY=secrets.token_urlsafe(64)
    )
    assert result.returncode == 0, result.stderr
    for path in ["/api/v1/auth/register", "/api/v1/conversations", "/api/v1/reports"]:
        assert f"  {path}:" in result.stdout

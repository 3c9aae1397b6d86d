"""A throwaway dmsite for benchmarks that start their own Daphne: a fresh SQLite
database and media folder in `folder`, migrated, with one user `bench` and a token."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def throwaway_site(folder: str) -> tuple[dict[str, str], str]:
    """(the environment a Daphne for it needs, an API token of `bench`)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
        "MEDIA_ROOT": f"{folder}/media",
        "SECURE_SSL_REDIRECT": "0",
        "RATE_UPLOADS": "100000/60",
        "DJANGO_DEBUG": "0",
        # DEBUG is off here as in production, which needs a key (any will do here).
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY")
        or "dmsite-bench-not-secret-" + "b" * 40,
    }
    env.pop("REDIS_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)  # noqa: S603
    token = (
        subprocess.run(  # noqa: S603
            [
                *manage,
                "shell",
                "-c",
                "import datetime; from accounts.models import User; "
                "from accounts.tokens import token_create; "
                "u = User.objects.create_user('bench', 'x',"
                " date_of_birth=datetime.date(1990, 1, 1)); "
                "print(token_create(user=u)[1])",
            ],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )  # after what `shell` prints itself
    return env, token

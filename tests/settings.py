"""The test suite's settings: dmsite's own, with a secret key of the suite's.

The tests run with DJANGO_DEBUG off, as production does, and without DEBUG dmsite
refuses to start with no DJANGO_SECRET_KEY. The key is put in the environment, not
only in settings, so that the servers and commands the tests start inherit it.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "dmsite-test-suite-key-" + "k" * 40)

from dmsite.settings import *  # noqa: F403

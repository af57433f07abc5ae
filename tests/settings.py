"""The test suite's settings: the product's own, with the test switch on.

Named by pytest's DJANGO_SETTINGS_MODULE (pyproject.toml) and inherited by the servers the
tests start, so nothing needs to guess whether it runs under a test.
"""

import os

os.environ.setdefault("CATALYTIC_TESTING", "1")

from catalytic.settings import *  # noqa: E402, F403

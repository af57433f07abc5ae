"""Settings for building a fault-test database fast: tables straight from the models.

dj-stripe's migrations take about 50 s on PostgreSQL; the fault tests need a schema
in seconds, as pytest-django's --nomigrations builds its test databases.
"""

from catalytic.settings import *  # noqa: F403


class _NoMigrations:
    def __contains__(self, item: str) -> bool:
        return True

    def __getitem__(self, item: str) -> None:
        return None


MIGRATION_MODULES = _NoMigrations()

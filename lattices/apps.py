from django.apps import AppConfig


class LatticesConfig(AppConfig):
    name = "lattices"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Saving or deleting a lattice bumps the tenant's data version, which guards the
        # product API's per-worker lattice cache (lattices/api/cache.py).
        from lattices.api.cache import connect_signals

        connect_signals()

from django.apps import AppConfig


class LatticesConfig(AppConfig):
    name = "lattices"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Models and the signal wiring can only be imported once the app registry is ready.
        from billing.usage import register_stored_count
        from lattices.api.cache import connect_signals
        from lattices.models import Lattice

        # Saving or deleting a lattice bumps the tenant's data version, which guards the
        # product API's per-worker lattice cache (lattices/api/cache.py).
        connect_signals()
        # The usage summary's "lattices used" figure, which billing cannot count itself.
        register_stored_count(
            "max_lattices", lambda tenant: Lattice.objects.for_tenant(tenant).count()
        )

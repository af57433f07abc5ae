from django.apps import AppConfig


class LatticesConfig(AppConfig):
    name = "lattices"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Models can only be imported once the app registry is ready.
        from billing.usage import register_stored_count
        from lattices.models import Lattice

        # The usage summary's "lattices used" figure, which billing cannot count itself.
        register_stored_count(
            "max_lattices", lambda tenant: Lattice.objects.for_tenant(tenant).count()
        )

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the OpenAPI security schemes of our authentication classes.
        from accounts import schema  # noqa: F401
        from accounts.revocation import connect_invalidation_signals

        # Writes to users, memberships, tenants, subscriptions and keys bump the access
        # versions that guard each worker's cached principals (accounts.principals).
        connect_invalidation_signals()

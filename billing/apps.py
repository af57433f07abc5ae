from django.apps import AppConfig

from billing.stripe_client import billing_configured, stripe_client


class BillingConfig(AppConfig):
    name = "billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # dj-stripe (earlier in INSTALLED_APPS) has connected its receivers by now, so
        # ours run after it has stored the re-fetched Stripe objects.
        from billing.handlers import connect_handlers

        connect_handlers()
        if billing_configured():
            # dj-stripe's own calls (admin actions, commands) use the same configuration.
            stripe_client()

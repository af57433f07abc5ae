from django.apps import AppConfig

from billing.stripe_client import billing_configured, stripe_client


class BillingConfig(AppConfig):
    name = "billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # dj-stripe (earlier in INSTALLED_APPS) has connected its receivers by now, so
        # ours run after it has stored the re-fetched Stripe objects.
        from accounts.principals import bump, connect_model
        from billing.handlers import connect_handlers
        from billing.models import Plan, Subscription

        connect_handlers()
        # Kept members carry their tenant's subscription and plan (accounts.principals).
        connect_model(Subscription, lambda instance: bump(tenants=[instance.tenant_id]))
        connect_model(Plan, lambda instance: bump(all_tenants=True))
        if billing_configured():
            # dj-stripe's own calls (admin actions, commands) use the same configuration.
            stripe_client()

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the system checks and the OpenAPI security schemes of our
        # authentication classes.
        from accounts import checks, schema  # noqa: F401


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with our site (Django's documented way to replace it)."""

    # Named explicitly in INSTALLED_APPS; AccountsConfig stays this module's default.
    default = False
    default_site = "accounts.admin_site.StaffAdminSite"

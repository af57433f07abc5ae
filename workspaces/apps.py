from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    """Workflows that span apps: sign-up, closing, export, purge, the staff's tenant page."""

    name = "workspaces"
    default_auto_field = "django.db.models.BigAutoField"

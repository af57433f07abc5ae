from django.apps import AppConfig


class LatticesConfig(AppConfig):
    name = "lattices"
    default_auto_field = "django.db.models.BigAutoField"

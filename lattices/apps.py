from django.apps import AppConfig


class LatticesConfig(AppConfig):
    name = "lattices"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        self.monitor_job_queue()
        # Models can only be imported once the app registry is ready.
        from billing.usage import register_stored_count
        from lattices.models import Lattice

        # The usage summary's "lattices used" figure, which billing cannot count itself.
        register_stored_count(
            "max_lattices", lambda tenant_id: Lattice.objects.for_tenant(tenant_id).count()
        )

    def monitor_job_queue(self) -> None:
        """The background-job queue's depth and age, in /health and /metrics."""
        from catalytic.health import register_health_section
        from catalytic.live_metrics import register_live_collector
        from lattices.job_metrics import JobQueueCollector, health_section

        register_health_section("jobs", health_section)
        register_live_collector(JobQueueCollector())

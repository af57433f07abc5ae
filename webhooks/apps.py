from django.apps import AppConfig

from tenants.events import event_occurred


class WebhooksConfig(AppConfig):
    name = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from catalytic.live_metrics import register_live_collector
        from webhooks.metrics import WebhookBacklogCollector
        from webhooks.receivers import record_event

        register_live_collector(WebhookBacklogCollector())
        event_occurred.connect(record_event, dispatch_uid="webhooks.record_event")

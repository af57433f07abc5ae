"""The Webhooks page (the API is webhooks/api/)."""

from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("integrations/webhooks/", views.endpoint_list, name="endpoints"),
    path("integrations/webhooks/<uuid:endpoint_id>/", views.endpoint_detail, name="endpoint"),
    path(
        "integrations/webhooks/<uuid:endpoint_id>/<slug:action>/",
        views.endpoint_action,
        name="endpoint_action",
    ),
]

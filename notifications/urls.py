from django.urls import path

from notifications.webhooks import AmazonSESTracking, SendGridTracking

app_name = "notifications"

# The paths anymail.urls would give; only the tracking webhooks we consume are mounted
# (anymail.urls also exposes inbound and other providers' endpoints we do not use).
urlpatterns = [
    path(
        "webhooks/email/sendgrid/tracking/",
        SendGridTracking.as_view(),
        name="sendgrid_tracking",
    ),
    path(
        "webhooks/email/amazon_ses/tracking/",
        AmazonSESTracking.as_view(),
        name="amazon_ses_tracking",
    ),
]

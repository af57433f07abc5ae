from django.urls import path

from notifications.api.views import EmailSendView

app_name = "notifications_api"

urlpatterns = [
    path("email/send", EmailSendView.as_view(), name="email_send"),
]

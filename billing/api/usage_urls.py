from django.urls import path

from billing.api.usage import UsageHistoryView, UsageView

app_name = "usage_api"

# Mounted at /api/tenants/usage by catalytic/urls.py.
urlpatterns = [
    path("", UsageView.as_view(), name="summary"),
    path("/history", UsageHistoryView.as_view(), name="history"),
]

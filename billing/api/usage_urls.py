from django.urls import path

from billing.api.usage import UsageHistoryView, UsageView

app_name = "usage_api"

# Mounted at /api/tenants/ by catalytic/urls.py.
urlpatterns = [
    path("usage", UsageView.as_view(), name="summary"),
    path("usage/history", UsageHistoryView.as_view(), name="history"),
]

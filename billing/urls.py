"""Billing pages (the API is billing/api/urls.py)."""

from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("pricing/", views.pricing, name="pricing"),
    path("billing/", views.overview, name="overview"),
    path("billing/plan/", views.change_plan, name="change_plan"),
    path("billing/cancel/", views.cancel, name="cancel"),
    # Emails and the past-due banner link here: keep this path.
    path("billing/portal/", views.portal, name="portal"),
]

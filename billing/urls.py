"""Billing pages (the API is billing/api/urls.py; sign-up's endpoint billing/signup_urls.py)."""

from django.urls import include, path

from billing import closing_urls, closing_views, signup_urls, signup_views, views

app_name = "billing"

urlpatterns = [
    path("pricing/", views.pricing, name="pricing"),
    path("signup/", signup_views.signup, name="signup"),
    path("billing/", views.overview, name="overview"),
    path("billing/plan/", views.change_plan, name="change_plan"),
    path("billing/cancel/", views.cancel, name="cancel"),
    # Emails and the past-due banner link here: keep this path.
    path("billing/portal/", views.portal, name="portal"),
    path("workspace/close/", closing_views.close_workspace, name="close_workspace"),
    path("workspace/new/", signup_views.new_workspace, name="new_workspace"),
    path("", include(signup_urls)),
    path("", include(closing_urls)),
]

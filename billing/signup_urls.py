"""Sign-up's API endpoint, under its own namespace so the billing pages' stays pages only.

Sign-up is billing's (it starts the subscription); its path stays the seed's
`/api/tenants/register`.
"""

from django.urls import path

from billing import signup_api

app_name = "signup_api"

urlpatterns = [
    path("api/tenants/register", signup_api.RegisterView.as_view(), name="register"),
]

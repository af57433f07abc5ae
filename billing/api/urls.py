from django.urls import path

from billing.api import views, webhooks

app_name = "billing_api"

urlpatterns = [
    path("plans", views.PlansView.as_view(), name="plans"),
    path("stripe/checkout", views.CheckoutView.as_view(), name="checkout"),
    path("stripe/portal", views.PortalView.as_view(), name="portal"),
    path(
        "stripe/subscriptions", views.StripeSubscriptionsView.as_view(), name="stripe_subscriptions"
    ),
    path("stripe/webhooks", webhooks.stripe_webhook, name="webhooks"),
    path(
        "subscriptions/create", views.SubscriptionCreateView.as_view(), name="subscription_create"
    ),
    path(
        "subscriptions/update", views.SubscriptionUpdateView.as_view(), name="subscription_update"
    ),
    path(
        "subscriptions/cancel", views.SubscriptionCancelView.as_view(), name="subscription_cancel"
    ),
    path(
        "subscriptions/status/<str:tenant_id>",
        views.SubscriptionStatusView.as_view(),
        name="subscription_status",
    ),
]

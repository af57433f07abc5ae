"""Lifecycle fixtures: the billing suite's fake Stripe, page sessions, a paying tenant A."""

from __future__ import annotations

from typing import Any

import pytest

from tests.billing.conftest import local_subscription
from tests.pages.conftest import session_client


@pytest.fixture
def page_client() -> Any:
    return session_client


@pytest.fixture
def paying(billing: Any, customer: Any, client_for: Any) -> Any:  # noqa: F811 (fixtures)
    """Tenant A on Starter through a live Stripe subscription (the card on file paid)."""
    response = client_for(billing.owner).post(
        "/api/subscriptions/create", {"plan_code": "starter", "interval": "month"}, format="json"
    )
    assert response.status_code == 201, response.content
    billing.stripe_subscription_id = local_subscription(billing.tenant).stripe_subscription_id
    return billing


# The billing suite's in-process fake Stripe, so closing really cancels a subscription.
from tests.billing.conftest import (  # noqa: E402, F401
    _fake_stripe_server,
    _postgres_only,
    billing,
    customer,
    deliver,
    fake_stripe,
    stripe_account,
    stripe_plans,
    stripe_settings,
)

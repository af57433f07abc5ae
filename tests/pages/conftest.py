"""Page fixtures: a browser-like Django test client logged in through a session."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tenants.models import Membership
from tenants.page_auth import SESSION_TENANT_KEY


def session_client(membership: Membership) -> Client:
    """A client with a Django session for `membership`'s user, in its tenant."""
    client = Client()
    client.force_login(membership.user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[SESSION_TENANT_KEY] = str(membership.tenant_id)
    session.save()
    return client


@pytest.fixture
def page_client() -> Callable[[Membership], Client]:
    """`page_client(cast.member)` → a logged-in test client in the member's tenant."""
    return session_client


@pytest.fixture
def browser_anon() -> Client:
    return Client()


# The billing suite's fake Stripe (tests/billing/fake_stripe.py) and its fixtures, reused
# so the billing pages run against the same stand-in as the billing API.
from tests.billing.conftest import (  # noqa: E402, F401
    _fake_stripe_server,
    billing,
    customer,
    deliver,
    fake_stripe,
    no_stripe,
    stripe_account,
    stripe_plans,
    stripe_settings,
)

"""Build the fault-test database: schema, plans, dj-stripe's account, one Enterprise tenant.

Run as `python -m tests.faults.seed` with DJANGO_SETTINGS_MODULE=tests.faults.syncdb_settings
and DATABASE_URL pointing at the fault test's own PostgreSQL.
"""

from __future__ import annotations

import sys

import django


def main(email: str, password: str, stripe_key: str) -> None:
    django.setup()
    from django.core.management import call_command
    from django.utils import timezone
    from djstripe.models import Account, APIKey

    from accounts.models import User
    from billing.seeding import seed_plans
    from tests.billing.fake_stripe import ACCOUNT_ID, fixture
    from workspaces.signup import register_tenant

    call_command("migrate", run_syncdb=True, verbosity=0)
    list(seed_plans())
    account = Account.objects.create(
        id=ACCOUNT_ID, livemode=False, stripe_data=fixture("account", id=ACCOUNT_ID)
    )
    # dj-stripe would otherwise ask Stripe for /v1/account while processing a webhook.
    APIKey.objects.create(
        secret=stripe_key, type="secret", livemode=False, djstripe_owner_account=account
    )
    register_tenant(
        company_name="Faulty Towers",
        email=email,
        password=password,
        first_name="Basil",
        last_name="Fawlty",
        plan_code="enterprise",
    )
    # The runs act as an established customer, who confirmed their email long ago
    # (otherwise inviting people would be refused with 403 email_unverified).
    User.objects.filter(email=email).update(email_verified_at=timezone.now())


if __name__ == "__main__":
    main(*sys.argv[1:4])

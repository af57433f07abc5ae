"""The hand-built lattice representation is exactly what DRF's fields would render."""

from __future__ import annotations

import pytest

from lattices import services
from lattices.api.serializers import LatticeSerializer
from tests.conftest import caller_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "obstacles",
    [None, [[1, 1], [2, 3]], {"density": 0.25, "seed": 7}],
    ids=["none", "explicit", "density"],
)
@pytest.mark.parametrize("include_points", [False, True])
def test_it_matches_the_field_based_rendering(cast, obstacles, include_points):
    lattice = services.create_lattice(
        caller_for(cast.tenant, cast.owner.user),
        name="grid",
        dimensions=2,
        size=5,
        obstacles=obstacles,
    )
    serializer = LatticeSerializer(context={"include_points": include_points})

    fast = serializer.to_representation(lattice)

    assert fast == dict(serializer.field_based_representation(lattice))
    assert list(fast) == list(serializer.field_based_representation(lattice))


def test_a_lattice_without_a_creator_renders_null(cast):
    lattice = services.create_lattice(
        caller_for(cast.tenant), name="by a key", dimensions=2, size=3
    )

    assert LatticeSerializer(lattice).data["created_by"] is None


@pytest.mark.parametrize("cancelled", [False, True])
def test_the_subscription_status_matches_the_field_based_rendering(cast, cancelled):
    from django.utils import timezone

    from billing.api.serializers import SubscriptionStatusSerializer
    from billing.api.views import subscription_status
    from billing.state import subscription_for

    local = subscription_for(cast.tenant)
    if cancelled:
        local.cancel_at_period_end = True
        local.current_period_end = timezone.now()
        local.canceled_at = timezone.now()
        local.save()
    status = subscription_status(cast.tenant, local)
    serializer = SubscriptionStatusSerializer()

    fast = serializer.to_representation(status)

    assert fast == dict(serializer.field_based_representation(status))
    assert list(fast) == list(serializer.field_based_representation(status))


@pytest.mark.parametrize(
    "moment",
    [
        "2026-11-26T04:38:12.728637+00:00",
        "2026-11-26T04:38:12+00:00",  # no microseconds: isoformat leaves them out
        "2026-11-26T05:38:12.5+01:00",  # another zone: rendered in UTC
    ],
)
def test_timestamps_render_as_drf_renders_them(moment):
    from datetime import datetime

    from rest_framework.fields import DateTimeField

    from catalytic.timestamps import iso_utc

    value = datetime.fromisoformat(moment)

    assert iso_utc(value) == DateTimeField().to_representation(value)
    assert iso_utc(value).endswith("Z")

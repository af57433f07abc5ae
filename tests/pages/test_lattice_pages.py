"""The lattice pages: list, create (within plan limits), detail with its operation forms."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from billing.models import DailyUsage, Plan, Subscription, UsageCounter
from billing.usage import api_calls_used
from lattices import services
from lattices.models import Lattice, LatticeOperation
from tenants.models import Tenant
from tests.conftest import caller_for

pytestmark = pytest.mark.django_db

WALL = [[2, 0], [2, 1], [2, 2], [2, 3]]


@pytest.fixture
def lattice(cast: Any) -> Lattice:
    return services.create_lattice(
        caller_for(cast.tenant, cast.owner.user),
        name="Floor",
        dimensions=2,
        size=5,
        obstacles=WALL,
    )


@pytest.fixture
def foreign_lattice(cast: Any) -> Lattice:
    return services.create_lattice(
        caller_for(cast.other_tenant, cast.outsider.user), name="Theirs", dimensions=2, size=5
    )


def new_lattice(**fields: Any) -> dict[str, Any]:
    data = {"name": "Warehouse", "dimensions": "2", "size": "8", "obstacle_kind": "none"}
    data.update(fields)
    return data


# --- list and create ----------------------------------------------------------------------


def test_list_shows_only_the_tenants_lattices(cast, page_client, lattice, foreign_lattice):
    html = page_client(cast.viewer).get("/lattices/").content.decode()

    assert "Floor" in html
    assert "Theirs" not in html
    assert "1 of 5 lattices on the Free plan" in html


@pytest.mark.parametrize("role", ["owner", "admin", "member"])
def test_writers_see_the_new_lattice_button(cast, page_client, role):
    assert (
        'href="/lattices/new/"'
        in page_client(cast.by_role(role)).get("/lattices/").content.decode()
    )


def test_a_viewer_sees_no_new_lattice_button_and_cannot_open_the_form(cast, page_client):
    client = page_client(cast.viewer)

    assert 'href="/lattices/new/"' not in client.get("/lattices/").content.decode()
    assert client.get("/lattices/new/").status_code == 403


def test_a_viewer_posting_a_new_lattice_gets_403_and_nothing_is_created(cast, page_client):
    response = page_client(cast.viewer).post("/lattices/new/", new_lattice())

    assert response.status_code == 403
    assert not Lattice.objects.exists()


def test_a_member_creates_a_lattice_with_blocked_points(cast, page_client):
    response = page_client(cast.member).post(
        "/lattices/new/",
        new_lattice(obstacle_kind="list", blocked_points="1, 1\n2,3\n[4 4]"),
    )

    lattice = Lattice.objects.get(name="Warehouse")
    assert response.status_code == 302
    assert response["Location"] == f"/lattices/{lattice.pk}/"
    assert lattice.tenant == cast.tenant
    assert lattice.created_by == cast.member.user
    assert lattice.obstacles == [[1, 1], [2, 3], [4, 4]]
    assert api_calls_used(cast.tenant) == 1  # counted like the API's POST /api/lattices


def test_random_obstacles_need_density_and_seed(cast, page_client):
    response = page_client(cast.member).post("/lattices/new/", new_lattice(obstacle_kind="density"))

    html = response.content.decode()
    assert 'id="id_density_error"' in html
    assert 'id="id_seed_error"' in html
    assert not Lattice.objects.exists()


def test_create_puts_the_engines_complaint_next_to_the_field(cast, page_client):
    response = page_client(cast.member).post(
        "/lattices/new/", new_lattice(obstacle_kind="list", blocked_points="1, 9")
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(
        r'id="id_blocked_points_error"><li>obstacles\[0\]\[1\]=9 is outside 0..7', html
    )
    assert not Lattice.objects.exists()


def test_create_rejects_text_that_is_not_a_point(cast, page_client):
    response = page_client(cast.member).post(
        "/lattices/new/", new_lattice(obstacle_kind="list", blocked_points="1, 2\nsomewhere")
    )

    assert "Line 2 is not a point" in response.content.decode()


def test_over_the_dimension_limit_the_form_explains_and_links_the_upgrade(cast, page_client):
    response = page_client(cast.admin).post("/lattices/new/", new_lattice(dimensions="4"))

    assert response.status_code == 402  # the API's status for a plan limit
    html = response.content.decode()
    assert 'id="id_dimensions_error"' in html
    assert "The Free plan allows lattices of up to 3 dimensions; this one has 4." in html
    assert 'href="/billing/?plan=starter"' in html
    assert not Lattice.objects.exists()


def test_at_the_lattice_limit_a_member_is_told_to_ask_for_an_upgrade(cast, page_client):
    for n in range(5):
        services.create_lattice(
            caller_for(cast.tenant, cast.owner.user), name=f"L{n}", dimensions=1, size=3
        )

    page = page_client(cast.member).get("/lattices/new/").content.decode()
    assert "All 5 lattices of the Free plan are in use" in page

    response = page_client(cast.member).post("/lattices/new/", new_lattice())
    assert response.status_code == 402
    html = response.content.decode()
    assert "The Free plan allows 5 lattices and they are all in use" in html
    assert "Ask an owner or admin to upgrade to the Starter plan" in html
    assert Lattice.objects.count() == 5


def test_the_create_page_shows_the_plans_limits(cast, page_client):
    html = page_client(cast.member).get("/lattices/new/").content.decode()

    assert "Your Free plan allows" in html
    assert "up to 3" in html and "up to 10" in html


# --- detail -------------------------------------------------------------------------------


def test_detail_draws_the_lattice_with_its_blocked_points(cast, page_client, lattice):
    html = page_client(cast.viewer).get(f"/lattices/{lattice.pk}/").content.decode()

    assert '<svg class="lattice-grid"' in html
    # The wall at x=2, y=0..3 is one run per row (four rects of one cell each).
    assert html.count('<rect x="20" y="') == 4
    assert "The whole lattice: 4 blocked points." in html


def test_a_viewer_sees_no_operation_forms_nor_delete(cast, page_client, lattice):
    html = page_client(cast.viewer).get(f"/lattices/{lattice.pk}/").content.decode()

    assert "Find path" not in html
    assert "Delete lattice" not in html
    assert "Read-only access" in html


def test_a_member_sees_the_operation_forms(cast, page_client, lattice):
    html = page_client(cast.member).get(f"/lattices/{lattice.pk}/").content.decode()

    for text in ("Find path", "Count neighbours", "Run XOR", "Rotate", "Scale", "Delete lattice"):
        assert text in html


def test_another_tenants_lattice_is_not_found(cast, page_client, foreign_lattice):
    client = page_client(cast.owner)

    assert client.get(f"/lattices/{foreign_lattice.pk}/").status_code == 404
    assert (
        client.post(
            f"/lattices/{foreign_lattice.pk}/path/",
            {"path-start": "0,0", "path-end": "1,1"},
            follow=True,
        ).status_code
        == 404
    )
    assert client.post(f"/lattices/{foreign_lattice.pk}/delete/").status_code == 404
    assert Lattice.objects.filter(pk=foreign_lattice.pk).exists()
    assert not LatticeOperation.objects.exists()


def test_find_path_draws_the_path_and_shows_it_as_text_and_json(cast, page_client, lattice):
    response = page_client(cast.member).post(
        f"/lattices/{lattice.pk}/path/", {"path-start": "0, 0", "path-end": "4, 0"}, follow=True
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Shortest path found: <strong>12 steps</strong>" in html
    assert '<polyline class="path-line"' in html
    assert '<circle class="start"' in html and '<circle class="end"' in html
    raw = re.search(r"<pre><code>(.*?)</code></pre>", html, re.S).group(1)
    data = json.loads(raw.replace("&quot;", '"'))
    assert data["length"] == 12 and data["path"][0] == [0, 0] and data["path"][-1] == [4, 0]
    operation = LatticeOperation.objects.get()
    assert operation.kind == "path" and operation.actor == cast.member.user
    assert api_calls_used(cast.tenant) == 1


def test_an_unreachable_end_is_reported_not_drawn(cast, page_client):
    boxed = services.create_lattice(
        caller_for(cast.tenant, cast.owner.user),
        name="Box",
        dimensions=2,
        size=4,
        obstacles=[[2, 3], [3, 2]],
    )

    html = (
        page_client(cast.member)
        .post(f"/lattices/{boxed.pk}/path/", {"path-start": "0,0", "path-end": "3,3"}, follow=True)
        .content.decode()
    )

    assert "No path:" in html
    assert '<polyline class="path-line"' not in html


def test_path_errors_appear_next_to_the_field_they_name(cast, page_client, lattice):
    response = page_client(cast.member).post(
        f"/lattices/{lattice.pk}/path/", {"path-start": "0, 0", "path-end": "2, 1"}, follow=True
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'id="id_path-end_error"><li>end is blocked', html)
    assert LatticeOperation.objects.get().status == "failed"


def test_path_form_requires_both_points(cast, page_client, lattice):
    html = (
        page_client(cast.member)
        .post(f"/lattices/{lattice.pk}/path/", {"path-start": "", "path-end": "x"}, follow=True)
        .content.decode()
    )

    assert 'id="id_path-start_error"' in html
    assert 'id="id_path-end_error"' in html
    assert not LatticeOperation.objects.exists()


def test_neighbours_are_counted(cast, page_client, lattice):
    html = (
        page_client(cast.member)
        .post(
            f"/lattices/{lattice.pk}/neighbors/", {"nb-point": "0,0", "nb-radius": "1"}, follow=True
        )
        .content.decode()
    )

    assert "<strong>3</strong> points within distance 1 of (0, 0)" in html


def test_xor_transform_proves_the_buffer_came_back(cast, page_client, lattice):
    html = (
        page_client(cast.member)
        .post(
            f"/lattices/{lattice.pk}/transform/",
            {"type": "xor", "xor-data": "hello lattice", "xor-key": "k3y"},
            follow=True,
        )
        .content.decode()
    )

    assert "Yes: the buffer is unchanged" in html
    before = re.search(r"SHA-256 before</dt><dd><code>([0-9a-f]{64})", html).group(1)
    after = re.search(r"SHA-256 after</dt><dd><code>([0-9a-f]{64})", html).group(1)
    assert before == after


def test_xor_of_its_own_output_gives_the_data_back(cast, page_client, lattice):
    client = page_client(cast.member)
    first = client.post(
        f"/lattices/{lattice.pk}/transform/",
        {"type": "xor", "xor-data": "round trip", "xor-key": "k"},
        follow=True,
    ).content.decode()
    output = re.search(r"Output \(base64\)</dt><dd><code>([^<]+)</code>", first).group(1)

    second = client.post(
        f"/lattices/{lattice.pk}/transform/",
        {"type": "xor", "xor-data": output, "xor-data_is_base64": "on", "xor-key": "k"},
        follow=True,
    ).content.decode()
    again = re.search(r"Output \(base64\)</dt><dd><code>([^<]+)</code>", second).group(1)
    import base64

    assert base64.b64decode(again) == b"round trip"


def test_rotate_and_scale_transform_points(cast, page_client, lattice):
    client = page_client(cast.member)
    rotated = client.post(
        f"/lattices/{lattice.pk}/transform/",
        {"type": "rotate", "rot-axes": "0, 1", "rot-k": "1", "rot-points": "0, 0\n4, 0"},
        follow=True,
    ).content.decode()
    assert "2 points transformed." in rotated
    assert "[\n      4,\n      0\n    ]" in rotated

    scaled = client.post(
        f"/lattices/{lattice.pk}/transform/",
        {"type": "scale", "scale-size": "9", "scale-points": "4, 4"},
        follow=True,
    ).content.decode()
    assert "[\n      8,\n      8\n    ]" in scaled


def test_transform_errors_are_shown_at_the_field(cast, page_client, lattice):
    html = (
        page_client(cast.member)
        .post(
            f"/lattices/{lattice.pk}/transform/",
            {"type": "rotate", "rot-axes": "0, 0", "rot-k": "1", "rot-points": "0, 0"},
            follow=True,
        )
        .content.decode()
    )

    assert re.search(r'id="id_rot-axes_error"><li>axes must be distinct', html)
    assert "<details open>" in html


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("path/", {"path-start": "0,0", "path-end": "1,1"}),
        ("neighbors/", {"nb-point": "0,0", "nb-radius": "1"}),
        ("transform/", {"type": "xor", "xor-data": "a", "xor-key": "b"}),
        ("delete/", {}),
    ],
)
def test_a_viewer_posting_an_operation_gets_403_and_nothing_runs(
    cast, page_client, lattice, path, data
):
    response = page_client(cast.viewer).post(f"/lattices/{lattice.pk}/{path}", data)

    assert response.status_code == 403
    assert not LatticeOperation.objects.exists()
    assert Lattice.objects.filter(pk=lattice.pk).exists()
    assert api_calls_used(cast.tenant) == 0


def test_a_member_deletes_a_lattice(cast, page_client, lattice):
    response = page_client(cast.member).post(f"/lattices/{lattice.pk}/delete/")

    assert response.status_code == 302
    assert response["Location"] == "/lattices/"
    assert not Lattice.objects.filter(pk=lattice.pk).exists()


def test_operations_stop_when_the_monthly_quota_is_spent(cast, page_client, lattice):
    from billing.usage import current_period

    UsageCounter.objects.create(
        tenant=cast.tenant, period_start=current_period().start, api_calls=1000
    )

    response = page_client(cast.member).post(
        f"/lattices/{lattice.pk}/path/", {"path-start": "0,0", "path-end": "1,1"}, follow=True
    )

    assert response.status_code == 429
    assert "includes 1000 API calls a month and all have been used" in response.content.decode()
    assert not LatticeOperation.objects.exists()


def test_a_suspended_tenant_can_look_but_not_operate(cast, page_client, lattice):
    Tenant.objects.filter(pk=cast.tenant.pk).update(status="suspended", suspended_reason="Unpaid")
    client = page_client(cast.member)

    html = client.get(f"/lattices/{lattice.pk}/").content.decode()
    assert "Operations paused" in html
    assert "Find path" not in html

    response = client.post(
        f"/lattices/{lattice.pk}/path/", {"path-start": "0,0", "path-end": "1,1"}, follow=True
    )
    assert response.status_code == 402
    assert not LatticeOperation.objects.filter(status="succeeded").exists()
    assert api_calls_used(cast.tenant) == 0


def test_a_large_lattice_is_drawn_as_a_window_around_the_path(cast, page_client, plans):
    Subscription.objects.filter(tenant=cast.tenant).update(plan=Plan.objects.get(code="enterprise"))
    big = services.create_lattice(
        caller_for(Tenant.objects.get(pk=cast.tenant.pk), cast.owner.user),
        name="Big",
        dimensions=2,
        size=500,
        obstacles={"density": 0.1, "seed": 3},
    )

    html = (
        page_client(cast.member)
        .post(
            f"/lattices/{big.pk}/path/",
            {"path-start": "300, 300", "path-end": "320, 310"},
            follow=True,
        )
        .content.decode()
    )

    assert 'viewBox="0 0 1000 1000"' in html  # 100 x 100 cells of 10 units
    assert "Axis 0 from " in html and "(across)" in html
    assert '<polyline class="path-line"' in html


def test_a_3d_lattice_is_drawn_as_the_slice_through_the_start(cast, page_client):
    cube = services.create_lattice(
        caller_for(cast.tenant, cast.owner.user), name="Cube", dimensions=3, size=4
    )

    html = (
        page_client(cast.member)
        .post(
            f"/lattices/{cube.pk}/path/",
            {"path-start": "0, 0, 2", "path-end": "3, 3, 2"},
            follow=True,
        )
        .content.decode()
    )

    assert "other axes fixed at axis 2 = 2" in html
    assert "7 of its 7 points drawn here" in html


def test_a_computation_redirects_and_a_refresh_neither_runs_nor_meters_it_again(
    cast, page_client, lattice
):
    client = page_client(cast.member)
    response = client.post(
        f"/lattices/{lattice.pk}/path/", {"path-start": "0, 0", "path-end": "4, 0"}
    )
    operation = LatticeOperation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/lattices/{lattice.pk}/?operation={operation.pk}#result"

    for _ in range(2):  # the redirect, then a refresh
        html = client.get(f"/lattices/{lattice.pk}/?operation={operation.pk}").content.decode()
        assert "Shortest path found: <strong>12 steps</strong>" in html

    assert LatticeOperation.objects.count() == 1
    assert api_calls_used(cast.tenant) == 1
    # Another operation's id shows no result (nor does another person's session).
    other = client.get(f"/lattices/{lattice.pk}/?operation={lattice.pk}").content.decode()
    assert "Shortest path found" not in other
    stranger = page_client(cast.owner).get(f"/lattices/{lattice.pk}/?operation={operation.pk}")
    assert "Shortest path found" not in stranger.content.decode()


def test_a_pages_computation_is_the_persons_and_counted_as_the_websites(cast, page_client, lattice):
    response = page_client(cast.member).post(
        f"/lattices/{lattice.pk}/neighbors/", {"nb-point": "1, 1", "nb-radius": "1"}
    )

    assert response.status_code == 302
    operation = LatticeOperation.objects.get(lattice=lattice, kind="neighbors")
    assert (operation.actor, operation.api_key_id) == (cast.member.user, None)
    history = DailyUsage.objects.get(tenant=cast.tenant)
    assert (history.who, history.user, history.calls) == (
        f"web:{cast.member.user.pk}",
        cast.member.user,
        1,
    )

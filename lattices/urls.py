"""The lattice pages and the dashboard (the API lives in lattices/api/urls.py)."""

from django.urls import path

from lattices import dashboard, views

app_name = "lattices"

urlpatterns = [
    # settings.LOGIN_REDIRECT_URL and the welcome email link here: keep this path.
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("lattices/", views.lattice_list, name="list"),
    path("lattices/new/", views.lattice_create, name="create"),
    path("lattices/<uuid:lattice_id>/", views.lattice_detail, name="detail"),
    path("lattices/<uuid:lattice_id>/path/", views.lattice_path, name="path"),
    path("lattices/<uuid:lattice_id>/neighbors/", views.lattice_neighbors, name="neighbors"),
    path("lattices/<uuid:lattice_id>/transform/", views.lattice_transform, name="transform"),
    path("lattices/<uuid:lattice_id>/delete/", views.lattice_delete, name="delete"),
]

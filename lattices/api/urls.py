from django.urls import path
from rest_framework.routers import SimpleRouter

from lattices.api.views import LatticeViewSet
from lattices.export_views import ExportView

app_name = "lattices_api"

# The seed's paths have no trailing slash: /api/lattices, /api/lattices/{id}/path, ...
router = SimpleRouter(trailing_slash=False)
router.register("lattices", LatticeViewSet, basename="lattice")

urlpatterns = [
    path("tenants/export", ExportView.as_view(), name="tenant-export"),
    *router.urls,
]

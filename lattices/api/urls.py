from rest_framework.routers import SimpleRouter

from lattices.api.views import LatticeViewSet

app_name = "lattices_api"

# The seed's paths have no trailing slash: /api/lattices, /api/lattices/{id}/path, ...
router = SimpleRouter(trailing_slash=False)
router.register("lattices", LatticeViewSet, basename="lattice")

urlpatterns = router.urls

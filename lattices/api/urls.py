from rest_framework.routers import SimpleRouter

from lattices.api.views import LatticeViewSet

app_name = "lattices_api"

# The API's paths have no trailing slash (/api/lattices, /api/lattices/{id}/path, ...),
# like every other /api/ path in tests/security/test_openapi.py's REQUIRED_OPERATIONS.
router = SimpleRouter(trailing_slash=False)
router.register("lattices", LatticeViewSet, basename="lattice")

urlpatterns = router.urls

"""`/api/jobs[/{id}]`: background jobs. Apart from lattices/api/urls.py, whose every
view is a metered `/api/lattices...` call: reading a job is not metered (clients poll)."""

from rest_framework.routers import SimpleRouter

from lattices.api.job_views import JobViewSet

app_name = "jobs_api"

router = SimpleRouter(trailing_slash=False)
router.register("jobs", JobViewSet, basename="job")

urlpatterns = router.urls

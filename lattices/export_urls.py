"""`GET /api/tenants/export`: a workspace's data as one download (not a metered product call)."""

from django.urls import path

from lattices.export_views import ExportView

app_name = "export_api"

urlpatterns = [path("export", ExportView.as_view(), name="tenant-export")]

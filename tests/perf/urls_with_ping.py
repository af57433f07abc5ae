"""The project's URLs with /ping in front, for tests that must not depend on its wiring."""

from django.urls import path

from catalytic import ping
from catalytic.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("ping", ping.ping, name="ping"), *project_urlpatterns]

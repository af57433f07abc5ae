import os

from django.conf import settings
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalytic.settings")
application = get_wsgi_application()

if not settings.DEBUG:
    # Production refuses to start when a "startup" check fails (say, JWT keys that cannot
    # be loaded), rather than the first customer finding out with a 500.
    problems = [
        message
        for message in run_checks(tags=["startup"], include_deployment_checks=True)
        if message.is_serious()
    ]
    if problems:
        raise ImproperlyConfigured("\n".join(str(problem) for problem in problems))

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

from catalytic.health import startup_problems

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalytic.settings")
application = get_wsgi_application()

if not settings.DEBUG:
    # Production refuses to start when a "startup" check fails (say, JWT keys that cannot
    # be loaded), rather than the first customer finding out with a 500.
    problems = startup_problems()
    if problems:
        raise ImproperlyConfigured("\n".join(str(problem) for problem in problems))

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "askme.settings")
application = get_wsgi_application()

from core.middleware import CharsetGuard  # noqa: E402 — needs the settings module set above

# Outside Django: a charset Django cannot decode breaks WSGIRequest itself (see CharsetGuard).
application = CharsetGuard(application)

"""The minimal-Django floor of bench.pages: one view that returns a page's HTML from a file
(FLOOR_HTML), no middleware, no database, served by the same gunicorn config behind the same
nginx config as the site. What Django itself costs a request, and nothing of AskMe."""

import os
from pathlib import Path

import django
from django.conf import settings
from django.http import HttpResponse
from django.urls import re_path

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-floor-only",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": []}],
)
django.setup()

HTML = Path(os.environ["FLOOR_HTML"]).read_bytes()


def page(request, path=""):
    return HttpResponse(HTML, content_type="text/html; charset=utf-8")


urlpatterns = [re_path(r"^(?P<path>.*)$", page)]

from django.core.wsgi import get_wsgi_application  # noqa: E402  (after settings.configure)

application = get_wsgi_application()

from django.conf import settings
from django.http import HttpRequest


def live(request: HttpRequest) -> dict:
    return {"LIVE_ENABLED": settings.LIVE_BACKEND != "off"}

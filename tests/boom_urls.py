"""A test-only URLconf with a view that fails, for the error-logging tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import re_path


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"boom {request.GET.get('id', '')}")


urlpatterns = [re_path(r"^boom/", boom)]

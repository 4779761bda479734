from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from core.views import language

urlpatterns = [
    path("", include("qa.urls")),
    path("", include("accounts.urls")),
    path("", include("live.urls")),
    path("", include("inbox.urls")),
    path("", include("search.urls")),
    path("", include("community.urls")),
    path("admin/", admin.site.urls),
    # The footer's language switcher: a cookie, then back to `next` (core/views.py).
    path("language/<str:code>/", language, name="language"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

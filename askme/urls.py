from django.conf import settings
from django.urls import include, path

urlpatterns = [
    path("", include("qa.urls")),
    path("", include("accounts.urls")),
    path("", include("live.urls")),
    path("", include("search.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("qa.urls")),
    path("", include("accounts.urls")),
    path("", include("live.urls")),
    path("", include("inbox.urls")),
    path("", include("search.urls")),
    path("", include("community.urls")),
    path("admin/", admin.site.urls),
    # The footer's language switcher posts here (Django's set_language: a cookie, then `next`).
    path("i18n/", include("django.conf.urls.i18n")),  # moderation, for staff (community/admin.py)
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

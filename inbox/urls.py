from django.urls import path

from . import views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/live/", views.inbox_live, name="inbox_live"),
]

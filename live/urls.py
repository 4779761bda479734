from django.urls import path

from . import views

urlpatterns = [
    path("question/<int:question_id>/live/", views.question_live, name="question_live"),
    path("question/<int:question_id>/presence/", views.question_presence, name="question_presence"),
    path("question/<int:question_id>/typing/", views.question_typing, name="question_typing"),
    path("questions/live/", views.list_live, name="list_live"),
    # Asked by nginx only (auth_request for private channels); the public /live/ is nginx's.
    path("live/auth/", views.subscribe_auth, name="live_subscribe_auth"),
]

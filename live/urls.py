from django.urls import path

from . import views

urlpatterns = [
    path("question/<int:question_id>/live/", views.question_live, name="question_live"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="index"),
    path("hot/", views.hot, name="hot"),
    path("tag/<str:name>/", views.tag, name="tag"),
    path("question/<int:question_id>/", views.question_detail, name="question"),
    path("question/<int:question_id>/vote/", views.question_vote, name="question_vote"),
    path("answer/<int:answer_id>/", views.answer_link, name="answer"),
    path("answer/<int:answer_id>/vote/", views.answer_vote, name="answer_vote"),
    path("answer/<int:answer_id>/correct/", views.answer_correct, name="answer_correct"),
    path("ask/", views.ask, name="ask"),
]

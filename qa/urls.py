from django.urls import path

from . import post_views, views

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
    # Posts that evolve: edits, revisions, comments, deletion.
    path("question/<int:question_id>/edit/", post_views.question_edit_view, name="question_edit"),
    path("answer/<int:answer_id>/edit/", post_views.answer_edit_view, name="answer_edit"),
    path(
        "question/<int:question_id>/revisions/",
        post_views.question_revisions,
        name="question_revisions",
    ),
    path("answer/<int:answer_id>/revisions/", post_views.answer_revisions, name="answer_revisions"),
    path(
        "question/<int:question_id>/comments/",
        post_views.question_comment,
        name="question_comment",
    ),
    path("answer/<int:answer_id>/comments/", post_views.answer_comment, name="answer_comment"),
    path("comment/<int:comment_id>/delete/", post_views.comment_delete_view, name="comment_delete"),
    path(
        "question/<int:question_id>/delete/",
        post_views.question_delete_view,
        name="question_delete",
    ),
    path("answer/<int:answer_id>/delete/", post_views.answer_delete_view, name="answer_delete"),
    path(
        "question/<int:question_id>/undelete/",
        post_views.question_undelete_view,
        name="question_undelete",
    ),
    path(
        "answer/<int:answer_id>/undelete/",
        post_views.answer_undelete_view,
        name="answer_undelete",
    ),
]

from django.urls import path

from . import moderation_views, views

urlpatterns = [
    path("unanswered/", views.unanswered_list, name="unanswered"),
    path("tags/", views.tag_list, name="tags"),
    path("users/", views.user_list, name="users"),
    path("user/<str:username>/reputation/", views.reputation_history, name="reputation_history"),
    path("question/<int:question_id>/flag/", moderation_views.question_flag, name="question_flag"),
    path("answer/<int:answer_id>/flag/", moderation_views.answer_flag, name="answer_flag"),
    path("moderation/flags/", moderation_views.flag_queue, name="flag_queue"),
    path(
        "moderation/flags/<str:kind>/<int:pk>/",
        moderation_views.flag_handle,
        name="flag_handle",
    ),
]

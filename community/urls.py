from django.urls import path

from . import views

urlpatterns = [
    path("unanswered/", views.unanswered_list, name="unanswered"),
    path("tags/", views.tag_list, name="tags"),
    path("users/", views.user_list, name="users"),
    path("user/<str:username>/reputation/", views.reputation_history, name="reputation_history"),
]

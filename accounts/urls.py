from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("signup/", views.signup, name="signup"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/edit/", views.profile_edit, name="profile_edit"),
    path("user/<str:username>/", views.user_detail, name="user"),
    # Account recovery and closing (Django's auth views under our templates).
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_done, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password-reset/done/", views.password_reset_complete, name="password_reset_complete"),
    path("password-change/", views.password_change, name="password_change"),
    path("account/delete/", views.account_delete_view, name="account_delete"),
    path("account/data/", views.account_data, name="account_data"),
]

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.pagination import paginate
from core.redirects import next_path, redirect_next
from qa.models import QUESTIONS_PER_PAGE, Answer, Question

from .forms import LoginForm, ProfileForm, SignupForm

User = get_user_model()


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.get_user())
        return redirect_next(request)
    return render(
        request,
        "accounts/login.html",
        {"form": form, "continue": next_path(request)},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None, request.FILES or None)
    user = form.save() if request.method == "POST" and form.is_valid() else None
    if user is not None:
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to AskMe, {user.username}!")
        return redirect_next(request)
    return render(
        request,
        "accounts/signup.html",
        {"form": form, "continue": next_path(request)},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        logout(request)
        return redirect_next(request)
    return render(request, "accounts/logout.html", {"continue": next_path(request)})


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    profile = request.user.profile
    initial = {"email": request.user.email, "display_name": profile.display_name}
    form = ProfileForm(
        request.POST or None, request.FILES or None, user=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid() and form.save() is not None:
        messages.success(request, "Profile saved.")
        return redirect("profile_edit")
    return render(
        request,
        "accounts/profile_edit.html",
        {"form": form, "profile": profile, "max_kb": settings.AVATAR_MAX_BYTES // 1024},
        status=400 if form.errors else 200,
    )


@require_GET
def user_detail(request: HttpRequest, username: str) -> HttpResponse:
    person = get_object_or_404(User.objects.select_related("profile"), username=username)
    questions = paginate(
        request,
        Question.objects.new().filter(author=person),
        QUESTIONS_PER_PAGE,
        count_key=f"user:{person.pk}:questions",
    )
    answers = (
        Answer.objects.filter(author=person)
        .select_related("question")
        .only("id", "is_correct", "rating", "question", "question__title")
        .order_by("-created_at", "-id")[:20]
    )
    return render(
        request,
        "accounts/user_detail.html",
        {"person": person, "page": questions, "answers": answers},
    )

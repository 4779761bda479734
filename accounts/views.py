from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core import throttle
from core.pagination import paginate
from core.redirects import next_path, redirect_next
from qa.models import QUESTIONS_PER_PAGE, Answer, Question

from .forms import LoginForm, ProfileForm, SignupForm, signup_attempt_notify

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


def login_locked_out(request: HttpRequest, response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the log-in page again (429), with the username kept.

    The same words whether or not the account exists, and the rest of the site stays usable.
    """
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    response = render(
        request,
        "accounts/login.html",
        {
            "form": LoginForm(request, initial={"username": username}),
            "continue": next_path(request),
            "refused": (
                "Too many failed log-in attempts for this account or from your network. "
                f"Logging in is paused for {minutes} minutes; please try again after that."
            ),
        },
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response


def refused(request: HttpRequest, template: str, context: dict, wait: int) -> HttpResponse:
    """A throttled form: shown again with what was typed (unvalidated) and when to retry."""
    response = render(
        request, template, {**context, "refused": throttle.wait_message(wait)}, status=429
    )
    response["Retry-After"] = str(wait)
    return response


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # Every attempt counts, per address: the e-mail check below answers whether an address
        # has an account, so its rate is what bounds probing (README, "Accounts").
        wait = throttle.hit("signup", throttle.client_ip(request))
        if wait is not None:
            typed = {key: request.POST.get(key, "") for key in ("username", "email")}
            context = {"form": SignupForm(initial=typed), "continue": next_path(request)}
            return refused(request, "accounts/signup.html", context, wait)
    form = SignupForm(request.POST or None, request.FILES or None)
    user = form.save() if request.method == "POST" and form.is_valid() else None
    if user is not None:
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to AskMe, {user.username}!")
        return redirect_next(request)
    if form.has_error("email", "email_taken"):
        signup_attempt_notify(form.data.get("email", ""))
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
    context = {"profile": profile, "max_kb": settings.AVATAR_MAX_BYTES // 1024}
    if request.method == "POST":
        # Every save counts: it bounds avatar uploads (decoding costs memory) and e-mail probing.
        wait = throttle.hit("profile", f"user-{request.user.pk}")
        if wait is not None:
            typed = {key: request.POST.get(key, "") for key in ("email", "display_name")}
            form = ProfileForm(user=request.user, initial=typed)
            return refused(request, "accounts/profile_edit.html", {**context, "form": form}, wait)
    form = ProfileForm(
        request.POST or None, request.FILES or None, user=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid() and form.save() is not None:
        messages.success(request, "Profile saved.")
        return redirect("profile_edit")
    return render(
        request,
        "accounts/profile_edit.html",
        {**context, "form": form},
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

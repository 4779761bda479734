import functools
import hashlib
from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from core import throttle
from core.decorators import public_page
from core.forms import posted, posted_files
from core.pagination import paginate
from core.redirects import next_path, redirect_next
from core.sql import JoinedGet, Prepared
from qa.cards import card_window, question_cards, question_cards_window
from qa.fragments import render_around_parts, shared_parts, shared_parts_get, shared_parts_key
from qa.models import QUESTIONS_PER_PAGE, Answer, Question

from .backends import SESSION_BACKEND
from .forms import (
    AccountDeleteForm,
    LoginForm,
    ProfileForm,
    SignupForm,
    signup_attempt_notify,
)
from .services import account_delete, account_export

User = get_user_model()


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request, data=posted(request))
    if request.method == "POST" and form.is_valid():
        login(request, form.get_user(), backend=SESSION_BACKEND)
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
                ngettext(
                    "Too many failed log-in attempts for this account or from your network. "
                    "Logging in is paused for %(minutes)d minute; please try again after that.",
                    "Too many failed log-in attempts for this account or from your network. "
                    "Logging in is paused for %(minutes)d minutes; please try again after that.",
                    minutes,
                )
                % {"minutes": minutes}
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
    form = SignupForm(posted(request), posted_files(request))
    user = form.save() if request.method == "POST" and form.is_valid() else None
    if user is not None:
        login(request, user, backend=SESSION_BACKEND)
        messages.success(request, _("Welcome to AskMe, %(name)s!") % {"name": user.username})
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
    form = ProfileForm(posted(request), posted_files(request), user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid() and form.save() is not None:
        messages.success(request, _("Profile saved."))
        return redirect("profile_edit")
    return render(
        request,
        "accounts/profile_edit.html",
        {**context, "form": form},
        status=400 if form.errors else 200,
    )


# A member's page: the member with their profile, and their questions' first pages, read by SQL
# written or compiled once per process (core.sql).
_MEMBER_PAGE = JoinedGet(User, "profile", by="username")
AUTHOR_CARDS = card_window(lambda author_id: Question.objects.new().filter(author_id=author_id))
_LATEST_ANSWERS = Prepared(
    lambda author_id: (
        Answer.objects.filter(author_id=author_id)
        .order_by("-created_at", "-id")
        .values_list("pk", "is_correct", "rating", "question__title")[:20]
    )
)


@public_page
@require_GET
def user_detail(request: HttpRequest, username: str) -> HttpResponse:
    key = shared_parts_key(request, "user")  # before any read; the path holds the name
    parts = shared_parts_get(key)  # they hold the page's title too: no member read
    if parts is None:
        person = _MEMBER_PAGE.get(username)
        if person is None:
            raise Http404("No such member")
        parts = shared_parts(key, functools.partial(_user_parts, request, person))
    return render_around_parts(
        request, "accounts/user_detail.html", {"title": parts["title"]}, parts["html"]
    )


def _user_parts(request: HttpRequest, person) -> dict:
    """A member's page below the menu: the same for every viewer (qa.fragments.shared_parts)."""
    listed = Question.objects.new().filter(author=person)
    questions = paginate(
        request,
        listed,
        QUESTIONS_PER_PAGE,
        count_key=f"user:{person.pk}:questions",
        rows=functools.partial(question_cards, listed),
        window=functools.partial(question_cards_window, AUTHOR_CARDS, (person.pk,)),
    )
    answers = [
        SimpleNamespace(pk=pk, is_correct=correct, rating=rating, question_title=title)
        for pk, correct, rating, title in _LATEST_ANSWERS.rows(person.pk)
    ]
    context = {"person": person, "page": questions, "answers": answers, "request": request}
    return {
        "html": [render_to_string("accounts/_user_main.html", context).encode()],
        "title": person.profile.name,
    }


# --- Account recovery and closing (issue 14): Django's own views and tokens. ---


class PasswordResetRequestView(auth_views.PasswordResetView):
    """Django's reset request, throttled per client address and per address asked about.

    Whatever is typed, a valid e-mail gets the same "check your mail" page: the answer never
    tells whether an account uses that address (Django mails only active accounts that have a
    usable password; a deleted account has none).
    """

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    @property
    def extra_email_context(self) -> dict:
        return {"site_url": settings.SITE_URL, "timeout_days": reset_link_days()}

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        email = request.POST.get("email", "").strip().lower()
        wait = throttle.hit("password_reset", throttle.client_ip(request))
        if wait is None and email:
            # Per target too: many addresses must not be able to flood one mailbox.
            digest = hashlib.sha256(email.encode()).hexdigest()[:32]  # memcached-safe key
            wait = throttle.hit("password_reset", f"email-{digest}")
        if wait is not None:
            form = self.form_class(initial={"email": request.POST.get("email", "")})
            context = self.get_context_data(form=form, refused=throttle.wait_message(wait))
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


def reset_link_days() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)


class PasswordResetDone(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"

    def get_context_data(self, **kwargs) -> dict:
        return {**super().get_context_data(**kwargs), "timeout_days": reset_link_days()}


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")
    post_reset_login = True
    post_reset_login_backend = SESSION_BACKEND

    def form_invalid(self, form) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordChange(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("profile_edit")

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)  # keeps this session logged in, ends the others
        messages.success(self.request, _("Your password has been changed."))
        return response

    def form_invalid(self, form) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


password_reset = PasswordResetRequestView.as_view()
password_reset_done = PasswordResetDone.as_view()
password_reset_confirm = PasswordResetConfirm.as_view()
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)
password_change = PasswordChange.as_view()


@login_required
@require_http_methods(["GET", "POST"])
def account_delete_view(request: HttpRequest) -> HttpResponse:
    """Close the account after the password is typed again; posts stay, anonymised."""
    form = AccountDeleteForm(posted(request), user=request.user)
    if request.method == "POST":
        wait = throttle.hit("account", f"user-{request.user.pk}")
        if wait is not None:
            return refused(
                request,
                "accounts/account_delete.html",
                {"form": AccountDeleteForm(user=None)},
                wait,
            )
        if form.is_valid():
            account_delete(user=request.user)
            logout(request)
            messages.success(
                request, _("Your account has been deleted. Your posts stay, unsigned.")
            )
            return redirect("index")
    return render(
        request,
        "accounts/account_delete.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def account_data(request: HttpRequest) -> HttpResponse:
    """Download everything the member wrote and told us, as one JSON file."""
    wait = throttle.hit("account", f"user-{request.user.pk}")
    if wait is not None:
        response = JsonResponse({"error": throttle.wait_message(wait)}, status=429)
        response["Retry-After"] = str(wait)
        return response
    response = JsonResponse(
        account_export(user=request.user), json_dumps_params={"indent": 1, "ensure_ascii": False}
    )
    filename = f"askme-{request.user.username}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

"""Flags: members report a post; staff handle the queue at /moderation/flags/."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import throttle
from core.decorators import wants_json
from core.forms import posted
from core.pagination import paginate
from qa.models import Answer, Question

from .models import Flag
from .services import flag_create, flags_handle

GROUPS_PER_PAGE = 20
HANDLED_PER_PAGE = 50


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        choices=list(Flag.REASONS.items()),
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Pick a reason."),
            "invalid_choice": gettext_lazy("Pick a reason."),
        },
    )


def _post(kind: str, pk: int, user) -> Question | Answer:
    model = Question if kind == "question" else Answer
    post = get_object_or_404(model.all_objects.select_related("author__profile"), pk=pk)
    if not post.can_see(user):
        raise Http404("No such post")
    return post


def _post_url(post: Question | Answer) -> str:
    if isinstance(post, Answer):
        return f"/answer/{post.pk}/" if not post.is_deleted else post.question.get_absolute_url()
    return post.get_absolute_url()


def _flag(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    post = _post(kind, pk, request.user)
    form = FlagForm(posted(request))
    if request.method == "POST":
        if post.author_id == request.user.pk:
            form.add_error(None, _("You cannot flag your own post; edit or delete it instead."))
        elif post.is_deleted:
            form.add_error(None, _("This post was deleted already."))
        if form.is_valid():
            wait = throttle.hit("flag", f"user-{request.user.pk}")
            if wait is not None:
                form.add_error(None, throttle.wait_message(wait))
        if form.is_valid():
            flag = flag_create(post=post, reporter=request.user, reason=form.cleaned_data["reason"])
            text = (
                _("Thanks: the moderators will look at it.")
                if flag
                else _("You flagged this post already; the moderators have it.")
            )
            if wants_json(request):
                return JsonResponse({"flagged": True, "message": text})
            messages.success(request, text)
            return redirect(_post_url(post))
        if wants_json(request):
            errors = [e for field in form.errors.values() for e in field]
            return JsonResponse({"errors": form.errors, "error": " ".join(errors)}, status=400)
    return render(
        request,
        "community/flag.html",
        {"form": form, "post": post, "kind": kind, "back": _post_url(post)},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def question_flag(request: HttpRequest, question_id: int) -> HttpResponse:
    return _flag(request, "question", question_id)


@login_required
@require_http_methods(["GET", "POST"])
def answer_flag(request: HttpRequest, answer_id: int) -> HttpResponse:
    return _flag(request, "answer", answer_id)


def _staff(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied(_("The moderation queue is for moderators (staff) only."))


@login_required
@require_GET
def flag_queue(request: HttpRequest) -> HttpResponse:
    """Posts with open flags, most flagged first, with the flags and one-click actions."""
    _staff(request)
    if request.GET.get("show") == "handled":
        handled = (
            Flag.objects.filter(handled_at__isnull=False)
            .select_related("reporter", "handled_by", "question", "answer")
            .order_by("-handled_at", "-id")
        )
        page = paginate(request, handled, HANDLED_PER_PAGE)
        return render(request, "community/flag_queue.html", {"page": page, "show": "handled"})
    groups = list(
        Flag.objects.filter(handled_at__isnull=True)
        .values("question_id", "answer_id")
        .annotate(
            total=Count("id"),
            first=Min("created_at"),
            **{reason: Count("id", filter=Q(reason=reason)) for reason in Flag.REASONS},
        )
        .order_by("-total", "first", "question_id", "answer_id")
    )
    page = paginate(request, groups, GROUPS_PER_PAGE)
    question_ids = [g["question_id"] for g in page.object_list if g["question_id"]]
    answer_ids = [g["answer_id"] for g in page.object_list if g["answer_id"]]
    questions = Question.all_objects.select_related("author__profile").in_bulk(question_ids)
    answers = Answer.all_objects.select_related("author__profile", "question").in_bulk(answer_ids)
    reporters: dict[tuple, list[Flag]] = {}
    open_flags = Flag.objects.filter(handled_at__isnull=True).filter(
        Q(question_id__in=question_ids) | Q(answer_id__in=answer_ids)
    )
    for flag in open_flags.select_related("reporter").order_by("created_at"):
        reporters.setdefault((flag.question_id, flag.answer_id), []).append(flag)
    for group in page.object_list:
        group["post"] = (
            answers.get(group["answer_id"])
            if group["answer_id"]
            else questions.get(group["question_id"])
        )
        group["kind"] = "answer" if group["answer_id"] else "question"
        group["flags"] = reporters.get((group["question_id"], group["answer_id"]), [])
    return render(request, "community/flag_queue.html", {"page": page, "show": "open"})


@login_required
@require_POST
def flag_handle(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    _staff(request)
    if kind not in ("question", "answer"):
        raise Http404("No such post")
    model = Question if kind == "question" else Answer
    post = get_object_or_404(model.all_objects, pk=pk)
    action = request.POST.get("action")
    if action not in ("delete", "dismiss"):
        messages.error(request, _("Choose delete or dismiss."))
        return redirect("flag_queue")
    outcome = "deleted" if action == "delete" else "dismissed"
    count = flags_handle(post=post, by=request.user, outcome=outcome)
    if outcome == "deleted":
        text = ngettext(
            "Post deleted; %(count)d flag closed.", "Post deleted; %(count)d flags closed.", count
        )
    else:
        text = ngettext(
            "Flags dismissed; %(count)d flag closed.",
            "Flags dismissed; %(count)d flags closed.",
            count,
        )
    messages.success(request, text % {"count": count})
    return redirect("flag_queue")

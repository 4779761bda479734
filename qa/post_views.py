"""Posts that evolve: edit with revisions, comments, delete (and a moderator's undelete)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from community.privileges import privilege_refusal
from core import throttle
from core.decorators import form_or_json_endpoint, wants_json
from core.forms import posted

from .diff import revision_diffs
from .forms import AnswerEditForm, CommentForm, QuestionEditForm
from .models import Answer, Comment, Question, Revision
from .services import (
    answer_delete,
    answer_edit,
    comment_create,
    comment_delete,
    question_delete,
    question_edit,
)


def _visible(model, pk: int, user) -> Question | Answer:
    post = get_object_or_404(model.all_objects.select_related("author__profile"), pk=pk)
    if not post.can_see(user):
        raise Http404("No such post")
    return post


def _answer_url(answer: Answer) -> str:
    return (
        answer.get_absolute_url() if not answer.is_deleted else answer.question.get_absolute_url()
    )


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"error": message}, status=403)
    raise PermissionDenied(message)


@login_required
@require_http_methods(["GET", "POST"])
def question_edit_view(request: HttpRequest, question_id: int) -> HttpResponse:
    question = _visible(Question, question_id, request.user)
    if not question.can_edit(request.user):
        # Others may edit from a reputation threshold (community/privileges.py).
        refusal = privilege_refusal(request.user, "edit", question)
        if refusal:
            raise PermissionDenied(refusal)
    initial = {
        "title": question.title,
        "text": question.text,
        "tags": " ".join(tag.name for tag in question.tags.all()),
    }
    form = QuestionEditForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid() and throttle.allow(request, "edit", form):
        question_edit(question=question, editor=request.user, **form.cleaned_data)
        return redirect(question)
    return render(
        request,
        "qa/edit.html",
        {"form": form, "post": question, "kind": "question"},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def answer_edit_view(request: HttpRequest, answer_id: int) -> HttpResponse:
    answer = _visible(Answer, answer_id, request.user)
    if not answer.can_edit(request.user):
        # Others may edit from a reputation threshold (community/privileges.py).
        refusal = privilege_refusal(request.user, "edit", answer)
        if refusal:
            raise PermissionDenied(refusal)
    form = AnswerEditForm(posted(request), initial={"text": answer.text})
    if (
        request.method == "POST"
        and form.is_valid()
        and throttle.allow(request, "edit", form, "text")
    ):
        answer_edit(answer=answer, editor=request.user, **form.cleaned_data)
        return redirect(_answer_url(answer))
    return render(
        request,
        "qa/edit.html",
        {"form": form, "post": answer, "kind": "answer", "question": answer.question},
        status=400 if form.errors else 200,
    )


def _revisions(request: HttpRequest, post: Question | Answer, kind: str) -> HttpResponse:
    revisions = list(post.revisions.select_related("author__profile"))
    if not revisions:  # never edited: the post itself is revision 1
        state = (
            {"title": post.title, "tags": " ".join(t.name for t in post.tags.all())}
            if kind == "question"
            else {}
        )
        revisions = [
            Revision(
                number=1, author=post.author, text=post.text, created_at=post.created_at, **state
            )
        ]
    return render(
        request,
        "qa/revisions.html",
        {"post": post, "kind": kind, "diffs": revision_diffs(revisions)},
    )


@require_GET
def question_revisions(request: HttpRequest, question_id: int) -> HttpResponse:
    return _revisions(request, _visible(Question, question_id, request.user), "question")


@require_GET
def answer_revisions(request: HttpRequest, answer_id: int) -> HttpResponse:
    answer = _visible(Answer, answer_id, request.user)
    return _revisions(request, answer, "answer")


def _comment_add(request: HttpRequest, post: Question | Answer, back: str) -> HttpResponse:
    form = CommentForm(request.POST)
    if post.is_deleted:
        form.add_error(None, _("This post was deleted."))
    refusal = privilege_refusal(request.user, "comment", post)  # community/privileges.py
    if refusal:
        form.add_error(None, refusal)
    wait = throttle.hit("comment", throttle.user_key(request)) if form.is_valid() else None
    if wait is not None:
        if wants_json(request):
            response = JsonResponse({"error": throttle.wait_message(wait)}, status=429)
            response["Retry-After"] = str(wait)
            return response
        messages.error(request, throttle.wait_message(wait))
        return redirect(back)
    if not form.is_valid():
        errors = [e for field in form.errors.values() for e in field]
        if wants_json(request):
            return JsonResponse({"errors": form.errors, "error": " ".join(errors)}, status=400)
        messages.error(
            request, _("Your comment was not saved: %(errors)s") % {"errors": " ".join(errors)}
        )
        return redirect(back)
    comment = comment_create(post=post, author=request.user, text=form.cleaned_data["text"])
    if wants_json(request):
        html = render_to_string("qa/_comment.html", {"comment": comment}, request=request)
        return JsonResponse({"comment": comment.pk, "html": html}, status=201)
    return redirect(back)


@form_or_json_endpoint
def question_comment(request: HttpRequest, question_id: int) -> HttpResponse:
    question = _visible(Question, question_id, request.user)
    return _comment_add(request, question, question.get_absolute_url())


@form_or_json_endpoint
def answer_comment(request: HttpRequest, answer_id: int) -> HttpResponse:
    answer = _visible(Answer, answer_id, request.user)
    return _comment_add(request, answer, _answer_url(answer))


def _done(request: HttpRequest, payload: dict, back: str) -> HttpResponse:
    return JsonResponse(payload) if wants_json(request) else redirect(back)


@form_or_json_endpoint
def comment_delete_view(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = get_object_or_404(Comment.objects.visible().select_related("question"), pk=comment_id)
    if not comment.can_delete(request.user):
        return _refused(request, _("Only its author can delete a comment."))
    comment_delete(comment=comment)
    return _done(request, {"deleted": True}, comment.question.get_absolute_url())


@form_or_json_endpoint
def question_delete_view(request: HttpRequest, question_id: int) -> HttpResponse:
    question = _visible(Question, question_id, request.user)
    if not question.can_delete(request.user):
        return _refused(
            request,
            _("You can delete your question only while none of its answers has a positive score."),
        )
    question_delete(question=question, by=request.user)
    return _done(request, {"deleted": True}, "/")


@form_or_json_endpoint
def answer_delete_view(request: HttpRequest, answer_id: int) -> HttpResponse:
    answer = _visible(Answer, answer_id, request.user)
    if not answer.can_delete(request.user):
        return _refused(request, _("Only the author can delete this answer."))
    answer_delete(answer=answer, by=request.user)
    return _done(request, {"deleted": True}, answer.question.get_absolute_url())


@form_or_json_endpoint
def question_undelete_view(request: HttpRequest, question_id: int) -> HttpResponse:
    if not request.user.is_staff:
        return _refused(request, _("Only moderators can undelete."))
    question = get_object_or_404(Question.all_objects, pk=question_id)
    question_delete(question=question, by=request.user, deleted=False)
    return _done(request, {"deleted": False}, question.get_absolute_url())


@form_or_json_endpoint
def answer_undelete_view(request: HttpRequest, answer_id: int) -> HttpResponse:
    if not request.user.is_staff:
        return _refused(request, _("Only moderators can undelete."))
    answer = get_object_or_404(Answer.all_objects, pk=answer_id)
    answer_delete(answer=answer, by=request.user, deleted=False)
    return _done(request, {"deleted": False}, answer.question.get_absolute_url())

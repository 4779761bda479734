from django.contrib.auth.decorators import login_required
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from community.privileges import privilege_refusal
from core import throttle
from core.decorators import json_endpoint
from core.pagination import paginate
from live.views import since_ms

from .forms import AnswerForm, AskForm, CommentForm, CorrectForm, VoteForm
from .models import (
    ANSWERS_PER_PAGE,
    QUESTIONS_PER_PAGE,
    Answer,
    AnswerVote,
    Comment,
    Question,
    QuestionVote,
    Tag,
)
from .services import answer_create, answer_mark_correct, question_create, vote_set


def _question_list(
    request: HttpRequest, queryset, count_key: str, template_context: dict
) -> HttpResponse:
    page = paginate(request, queryset, QUESTIONS_PER_PAGE, count_key=count_key)
    return render(request, "qa/question_list.html", {"page": page, **template_context})


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return _question_list(
        request, Question.objects.new(), "questions", {"tab": "new", "heading": "New questions"}
    )


@require_GET
def hot(request: HttpRequest) -> HttpResponse:
    return _question_list(
        request, Question.objects.hot(), "questions", {"tab": "hot", "heading": "Hot questions"}
    )


@require_GET
def tag(request: HttpRequest, name: str) -> HttpResponse:
    # The tag's id in the query (not a join on its name) lets PostgreSQL use the per-tag
    # statistics: a popular tag and a rare one get different plans.
    found = Tag.objects.filter(name=name.lower()).first()
    return _question_list(
        request,
        Question.objects.tagged(found) if found else Question.objects.none(),
        f"tag:{found.pk if found else 0}",
        {"tab": "tag", "heading": f"Tagged “{name}”", "tag_name": name},
    )


@require_http_methods(["GET", "POST"])
def question_detail(request: HttpRequest, question_id: int) -> HttpResponse:
    question = get_object_or_404(
        Question.all_objects.select_related("author__profile").prefetch_related("tags"),
        pk=question_id,
    )
    if not question.can_see(request.user):
        raise Http404("No such question")
    form = AnswerForm()
    if request.method == "POST" and question.is_deleted:
        return redirect(question)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/login/?continue={question.get_absolute_url()}")
        form = AnswerForm(request.POST)
        if form.is_valid() and throttle.allow(request, "answer", form, "text"):
            answer = answer_create(question=question, author=request.user, **form.cleaned_data)
            return redirect(answer.get_absolute_url())

    page = paginate(
        request,
        Answer.objects.for_page(question),
        ANSWERS_PER_PAGE,
        count=question.answers_count,
    )
    answers = list(page.object_list)
    comments_attach(question, answers)
    my_question_vote = 0
    if request.user.is_authenticated:
        my_question_vote = (
            QuestionVote.objects.filter(user=request.user, question=question)
            .values_list("value", flat=True)
            .first()
            or 0
        )
        my_votes = dict(
            AnswerVote.objects.filter(
                user=request.user, answer__in=[a.pk for a in answers]
            ).values_list("answer_id", "value")
        )
        for answer in answers:
            answer.my_vote = my_votes.get(answer.pk, 0)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "qa/question_detail.html",
        {
            "question": question,
            "page": page,
            "answers": answers,
            "form": form,
            "my_question_vote": my_question_vote,
            "is_author": request.user.is_authenticated and request.user.pk == question.author_id,
            "can_delete_question": question.can_delete(request.user),
            "comment_form": CommentForm(),
            # Edits, comments and deletions after this are caught up from here (live.js).
            "live_since": since_ms(),
            # The newest answer of the whole question (not only of this page): live.js resumes
            # from it (/question/<id>/live/?after=…) after a reconnect.
            "last_answer_id": question.answers.aggregate(last=Max("pk"))["last"] or 0,
        },
        status=status,
    )


@require_GET
def answer_link(request: HttpRequest, answer_id: int) -> HttpResponse:
    """A link to an answer that stays right as votes move it between pages (user page, e-mail)."""
    answer = get_object_or_404(
        Answer.objects.only("pk", "question_id", "rating", "created_at"), pk=answer_id
    )
    return redirect(answer.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest) -> HttpResponse:
    form = AskForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and throttle.allow(request, "question", form):
        question = question_create(author=request.user, **form.cleaned_data)
        return redirect(question)
    return render(request, "qa/ask.html", {"form": form}, status=400 if form.errors else 200)


@json_endpoint()
@throttle.throttled("vote")
def question_vote(request: HttpRequest, question_id: int) -> JsonResponse:
    question = get_object_or_404(Question, pk=question_id)
    return _vote(request, question)


@json_endpoint()
@throttle.throttled("vote")
def answer_vote(request: HttpRequest, answer_id: int) -> JsonResponse:
    answer = get_object_or_404(Answer, pk=answer_id)
    return _vote(request, answer)


def _vote(request: HttpRequest, target: Question | Answer) -> JsonResponse:
    form = VoteForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    if target.author_id == request.user.pk:
        return JsonResponse({"error": "You cannot vote for your own post."}, status=403)
    value = form.cleaned_data["value"]
    refusal = value and privilege_refusal(request.user, "vote_down" if value < 0 else "vote_up")
    if refusal:  # reputation thresholds (community/privileges.py)
        return JsonResponse({"error": refusal}, status=403)
    rating = vote_set(user=request.user, target=target, value=value)
    return JsonResponse({"rating": rating, "vote": value})


@json_endpoint()
@throttle.throttled("correct")
def answer_correct(request: HttpRequest, answer_id: int) -> JsonResponse:
    answer = get_object_or_404(Answer.objects.select_related("question"), pk=answer_id)
    if answer.question.author_id != request.user.pk:
        return JsonResponse(
            {"error": "Only the question's author can mark the answer."}, status=403
        )
    form = CorrectForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    correct = answer_mark_correct(answer=answer, correct=form.cleaned_data["correct"])
    return JsonResponse({"correct": correct})


def comments_attach(question: Question, answers: list[Answer]) -> None:
    """Give the question and each answer on the page its comments (`.comment_list`), from one
    query for all of them."""
    question.comment_list = []
    by_answer = {answer.pk: answer for answer in answers}
    for answer in answers:
        answer.comment_list = []
    for comment in Comment.objects.for_question_page(question, list(by_answer)):
        post = by_answer.get(comment.answer_id) if comment.answer_id else question
        if post is not None:
            post.comment_list.append(comment)

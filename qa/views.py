import functools
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import get_template, render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from community.privileges import privilege_refusal
from core import throttle
from core.decorators import json_endpoint, public_page
from core.forms import posted
from core.pagination import paginate
from live.channels import QUESTIONS, question_channel, tag_channel
from live.messages import answer_html
from live.views import since_ms

from .forms import AnswerForm, AskForm, CorrectForm, VoteForm
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


@public_page
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return _question_list(
        request,
        Question.objects.new(),
        "questions",
        {"tab": "new", "heading": _("New questions"), "live_channels": [QUESTIONS]},
    )


@public_page
@require_GET
def hot(request: HttpRequest) -> HttpResponse:
    return _question_list(
        request,
        Question.objects.hot(),
        "questions",
        # New questions are not put in a hot list's order; its cards' numbers stay live.
        {"tab": "hot", "heading": _("Hot questions"), "live_channels": [QUESTIONS]},
    )


@public_page
@require_GET
def tag(request: HttpRequest, name: str) -> HttpResponse:
    # The tag's id in the query (not a join on its name) lets PostgreSQL use the per-tag
    # statistics: a popular tag and a rare one get different plans.
    found = Tag.objects.filter(name=name.lower()).first()
    return _question_list(
        request,
        Question.objects.tagged(found) if found else Question.objects.none(),
        f"tag:{found.pk if found else 0}",
        {
            "tab": "tag",
            "heading": _("Tagged “%(name)s”") % {"name": name},
            "tag_name": name,
            "live_channels": [tag_channel(found.pk)] if found else [],
        },
    )


@public_page
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
    answers_attach_html(answers, question)
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
    else:
        my_votes = {}
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
            # Answers are the same for everybody (cached); votes.js marks this viewer's votes.
            "my_votes_json": json.dumps({str(pk): value for pk, value in my_votes.items()}),
            "is_author": request.user.is_authenticated and request.user.pk == question.author_id,
            "can_delete_question": question.can_delete(request.user),
            "live_channels": [question_channel(question.pk)],
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
    form = AskForm(posted(request))
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
        return JsonResponse({"error": _("You cannot vote for your own post.")}, status=403)
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
            {"error": _("Only the question's author can mark the answer.")}, status=403
        )
    form = CorrectForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    correct = answer_mark_correct(answer=answer, correct=form.cleaned_data["correct"])
    return JsonResponse({"correct": correct})


COMMENTS_SHOWN = 5  # the rest wait behind "show N more"


def _fragments(keys: dict, render: Callable[[list], dict], ttl: int) -> dict:
    """HTML per item: `keys` maps each item to its cache key; what the cache does not hold is
    rendered by `render(missing items)` (one call) and stored. A cache that fails is a miss."""
    try:
        cached = cache.get_many(list(keys.values()))
    except Exception:  # noqa: BLE001 — a cache that cannot answer is a miss
        cached = {}
    html = {item: cached[key] for item, key in keys.items() if key in cached}
    missing = [item for item in keys if item not in html]
    if missing:
        fresh = render(missing)
        try:
            cache.set_many({keys[item]: fresh[item] for item in missing}, ttl)
        except Exception:  # noqa: BLE001 — rendered anyway; cached next time
            pass
        html.update(fresh)
    return html


def _digest(values: list) -> str:
    return hashlib.blake2b(repr(values).encode(), digest_size=12).hexdigest()


# Partials whose output is cached: their own text is part of every fragment key, so a deploy
# that changes one never serves fragments rendered by the old one.
FRAGMENT_TEMPLATES = (
    "qa/_answer.html",
    "qa/_answer_body.html",
    "qa/_vote.html",
    "qa/_comments.html",
    "qa/_comment.html",
)


def fragments_version() -> str:
    """Part of every fragment key: the language the fragment is in (a Russian reader must never
    get an English fragment, nor the other way round), the partials' text and that language's
    catalog (a deploy with new translations renders afresh)."""
    return _fragments_version(translation.get_language() or settings.LANGUAGE_CODE)


@functools.cache
def _fragments_version(language: str) -> str:
    sources = [Path(get_template(name).origin.name).read_bytes() for name in FRAGMENT_TEMPLATES]
    for locale_dir in settings.LOCALE_PATHS:
        catalog = Path(locale_dir) / translation.to_locale(language) / "LC_MESSAGES" / "django.po"
        if catalog.exists():
            sources.append(catalog.read_bytes())
    return f"{language}.{_digest(sources)[:8]}"


COMMENT_FRAGMENT_TTL = 3600  # also how long a renamed author's old name may show under a comment


def comments_attach(question: Question, answers: list[Answer]) -> None:
    """Give the question and each answer on the page its rendered comments (`.comments_html`,
    `.comments_count`).

    Comments never change (they are added or deleted), so each post's list is rendered once
    and cached under the ids it holds: one cheap query for the ids of all the page's comments,
    one cache round trip, and rows and templates only for lists not cached yet.
    """
    posts = {("question", question.pk): question}
    posts.update({("answer", answer.pk): answer for answer in answers})
    ids: dict[tuple, list[int]] = {key: [] for key in posts}
    stamps: dict[tuple, list[tuple]] = {key: [] for key in posts}
    rows = Comment.objects.for_question_page(question, [a.pk for a in answers])
    shown = rows.values_list("pk", "answer_id", "created_at", "author__profile__reputation")
    for pk, answer_id, created, reputation in shown:
        key = ("answer", answer_id) if answer_id else ("question", question.pk)
        if key in ids:
            ids[key].append(pk)
            # ids come back after a fill_db --flush; authors' reputation shows by their names
            stamps[key].append((created.timestamp(), reputation))
    version = fragments_version()
    keys = {
        key: f"comments:{version}:{key[0]}:{key[1]}:{_digest([pks, stamps[key]])}"
        for key, pks in ids.items()
        if pks
    }

    def render(missing: list[tuple]) -> dict[tuple, str]:
        wanted = [pk for key in missing for pk in ids[key]]
        comments = Comment.objects.filter(pk__in=wanted).select_related("author__profile")
        by_pk = {comment.pk: comment for comment in comments}
        return {
            key: "".join(
                render_to_string(
                    "qa/_comment.html", {"comment": by_pk[pk], "hidden": n >= COMMENTS_SHOWN}
                )
                for n, pk in enumerate(ids[key])
                if pk in by_pk
            )
            for key in missing
        }

    html = _fragments(keys, render, COMMENT_FRAGMENT_TTL)
    for key, post in posts.items():
        post.comments_count = len(ids[key])
        post.comments_key = keys.get(key, "none")
        post.comments_html = mark_safe(html.get(key, ""))  # noqa: S308 — our partials


ANSWER_FRAGMENT_TTL = 3600  # also how long a changed author name or avatar may lag on an answer


def answers_attach_html(answers: list[Answer], question: Question) -> None:
    """Give each answer its rendered article (`.html`), the partial live pushes send too.

    It is the same for every viewer, so it is cached under what it shows that can change:
    rating, correct mark, last edit, its author's reputation and its comments (comments_attach
    runs first). One cache round trip for the page; templates only for answers not cached yet.
    """
    version = fragments_version()
    keys = {
        answer.pk: (
            f"answer:{version}:{answer.pk}:{answer.created_at.timestamp()}:{answer.rating}:"
            f"{int(answer.is_correct)}:{answer.edited_at.timestamp() if answer.edited_at else 0}:"
            f"{answer.author.profile.reputation}:{answer.comments_key}"
        )
        for answer in answers
    }
    by_pk = {answer.pk: answer for answer in answers}

    def render(missing: list[int]) -> dict[int, str]:
        for pk in missing:
            by_pk[pk].question = question
        return {pk: answer_html(by_pk[pk]) for pk in missing}

    html = _fragments(keys, render, ANSWER_FRAGMENT_TTL)
    for answer in answers:
        answer.html = mark_safe(html[answer.pk])  # noqa: S308 — our partial

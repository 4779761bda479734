import functools
import json
from collections.abc import Callable
from types import SimpleNamespace

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Profile
from accounts.sessions import ReadAlong, read_along
from community.privileges import privilege_refusal
from core import throttle
from core.decorators import json_endpoint, public_page
from core.forms import posted
from core.pagination import paginate
from core.sql import JoinedGet, Prepared
from live.channels import QUESTIONS, question_channel, tag_channel
from live.messages import answer_html
from live.templatetags.live_tags import live_attrs
from live.views import since_ms

from .cards import card_window, question_cards, question_cards_window
from .forms import AnswerForm, AskForm, CorrectForm, VoteForm
from .fragments import (
    AUTHOR_FIELDS,
    age_stamp,
    author_stamp,
    digest,
    fragments,
    fragments_together,
    fragments_version,
    render_around_parts,
    render_with_slots,
    shared_parts,
    shared_parts_get,
    shared_parts_key,
)
from .models import (
    ANSWERS_PER_PAGE,
    QUESTIONS_PER_PAGE,
    Answer,
    Comment,
    Question,
    Tag,
    tag_question_ids,
    votes_of,
    votes_sql,
)
from .services import answer_create, answer_mark_correct, question_create, vote_set

# The question of a question page with its author and profile (deleted ones too: can_see()
# decides), from one statement written once per process.
_QUESTION_PAGE = JoinedGet(Question, "author__profile")
# What the page shows or decides by, of the question itself, outside its shared parts: a
# Question made of these stands in for the row when the parts are kept.
_QUESTION_PAGE_FIELDS = ("id", "title", "author_id", "deleted_at", "deleted_by_id")

# The lists' first pages, compiled once per process (core.sql.Prepared).
NEW_CARDS = card_window(lambda: Question.objects.new())
HOT_CARDS = card_window(lambda: Question.objects.hot())
TAG_CARDS = card_window(lambda tag_id: Question.objects.tagged(tag_id))


def question_list_page(
    request: HttpRequest,
    key: str | None,
    make_page: Callable[[], Page],
    context: dict,
    kept: dict | None = None,
) -> HttpResponse:
    """A list of question cards (new, hot, a tag's, unanswered). Its content is the same for
    every viewer: kept whole under `key` (qa.fragments.shared_parts_key, taken before the view
    read anything), `make_page()` and the cards only when the site changed since. `kept`:
    what the view read to make the list, kept with it."""

    def build() -> dict:
        main = {"page": make_page(), "request": request, **context}
        html = render_to_string("qa/_question_list_main.html", main).encode()
        return {"html": [html], **(kept or {})}

    parts = shared_parts(key, build)
    return render_around_parts(request, "qa/question_list.html", context, parts["html"])


def _question_list(
    request: HttpRequest,
    key: str | None,
    queryset: Callable[[], QuerySet],
    count_key: str,
    context: dict,
    window: tuple[Prepared, tuple] | None = None,
    kept: dict | None = None,
    ids: Callable[[], QuerySet] | None = None,
) -> HttpResponse:
    """`queryset()`: the list's questions, only built when the list is (a QuerySet's filters,
    joins and ordering cost ~50 µs to put together, for nothing when the list is kept).
    `window`: the list's card_window() and its parameters, for pages near the top; `ids()`:
    its ids in its order from one table, for deep pages (core.pagination)."""

    def make_page() -> Page:
        questions = queryset()
        return paginate(
            request,
            questions,
            QUESTIONS_PER_PAGE,
            count_key=count_key,
            rows=functools.partial(question_cards, questions),
            window=functools.partial(question_cards_window, *window) if window else None,
            ids=ids() if ids else None,
        )

    return question_list_page(request, key, make_page, context, kept)


@public_page
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return _question_list(
        request,
        shared_parts_key(request, "list:new"),
        Question.objects.new,
        "questions",
        {"tab": "new", "heading": _("New questions"), "live_channels": [QUESTIONS]},
        window=(NEW_CARDS, ()),
    )


@public_page
@require_GET
def hot(request: HttpRequest) -> HttpResponse:
    return _question_list(
        request,
        shared_parts_key(request, "list:hot"),
        Question.objects.hot,
        "questions",
        # New questions are not put in a hot list's order; its cards' numbers stay live.
        {"tab": "hot", "heading": _("Hot questions"), "live_channels": [QUESTIONS]},
        window=(HOT_CARDS, ()),
    )


@public_page
@require_GET
def tag(request: HttpRequest, name: str) -> HttpResponse:
    key = shared_parts_key(request, "list:tag")  # the path holds the tag's name
    # The tag's id is kept with the list: a kept page reads no tag row either.
    kept = shared_parts_get(key)
    if kept is not None:
        tag_id = kept["tag_id"]
    else:
        tag_id = Tag.objects.filter(name=name.lower()).values_list("pk", flat=True).first()
    # The tag's id in the query (not a join on its name) lets PostgreSQL use the per-tag
    # statistics: a popular tag and a rare one get different plans.
    return _question_list(
        request,
        key,
        functools.partial(Question.objects.tagged, tag_id) if tag_id else Question.objects.none,
        f"tag:{tag_id or 0}",
        {
            "tab": "tag",
            "heading": _("Tagged “%(name)s”") % {"name": name},
            "tag_name": name,
            "live_channels": [tag_channel(tag_id)] if tag_id else [],
        },
        window=(TAG_CARDS, (tag_id,)) if tag_id else None,
        kept={"tag_id": tag_id},
        ids=functools.partial(tag_question_ids, tag_id) if tag_id else None,
    )


@public_page
@require_http_methods(["GET", "POST"])
def question_detail(request: HttpRequest, question_id: int) -> HttpResponse:
    shared_key = shared_parts_key(request, f"question:{question_id}")  # before any read
    parts = shared_parts_get(shared_key) if request.method == "GET" else None
    # The parts hold what the page needs of the question itself, as fresh as they are (a
    # change to it moves the site generation): then it is not read at all.
    question = Question(**parts["question"]) if parts else _QUESTION_PAGE.get(question_id)
    if question is None or not question.can_see(request.user):
        raise Http404("No such question")
    # A blank form only for the first page of this process to render its field (the template
    # keeps that once per process): building a form deep-copies its fields (~20 µs).
    form = SimpleLazyObject(AnswerForm)
    if request.method == "POST" and question.is_deleted:
        return redirect(question)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/login/?continue={question.get_absolute_url()}")
        form = AnswerForm(request.POST)
        if form.is_valid() and throttle.allow(request, "answer", form, "text"):
            answer = answer_create(question=question, author=request.user, **form.cleaned_data)
            return redirect(answer.get_absolute_url())

    if parts is None:
        parts = shared_parts(shared_key, functools.partial(_question_parts, request, question))
    my_votes = viewer_votes(request, question, parts["answer_ids"])
    my_question_vote = my_votes.pop(0, 0)
    refused = request.method == "POST" and form.is_bound and bool(form.errors)
    return render_around_parts(
        request,
        "qa/question_detail.html",
        {
            "question": question,
            "parts": parts,
            "form": form,
            "form_refused": refused,
            "my_question_vote": my_question_vote,
            # Answers are the same for everybody (cached); votes.js marks this viewer's votes.
            "my_votes_json": json.dumps({str(pk): value for pk, value in my_votes.items()}),
            "is_author": request.user.is_authenticated and request.user.pk == question.author_id,
            "can_delete_question": question.can_delete(request.user, parts["answer_scored"]),
            "live_channels": [question_channel(question.pk)],
        },
        parts["html"],
        status=400 if refused else 200,
    )


def _question_parts(request: HttpRequest, question: Question) -> dict:
    """What the question page shows the same to every viewer: the question, its comments, this
    page of answers and the page links, as HTML cut at the per-viewer slots, and the numbers
    the page's scripts need (kept by qa.fragments.shared_parts)."""
    # Edits, comments and deletions after this are caught up from here (live.js).
    since = since_ms()
    page = paginate(
        request,
        Answer.objects.for_page(question),
        ANSWERS_PER_PAGE,
        count=question.answers_count,
        rows=answer_rows,
        window=functools.partial(answer_rows_window, question),
    )
    answers = list(page.object_list)
    comments_attach(question, answers)
    answers_attach_html(answers, question)
    question_attach_html(question)
    if page.paginator.num_pages == 1:  # every answer is on this page
        last_answer_id = max((a.pk for a in answers), default=0)
    elif answers and getattr(answers[0], "newest", None):  # read with the page's rows
        last_answer_id = answers[0].newest
    else:
        last_answer_id = next(iter(_LAST_ANSWER.rows(question.pk)), (0,))[0]
    context = {"question": question, "page": page, "answers": answers, "request": request}
    data = {
        "question": question,
        "page": page,
        # The newest answer of the whole question (not only of this page): live.js resumes
        # from it (/question/<id>/live/?after=…) after a reconnect.
        "last_answer_id": last_answer_id,
        "since": since,
        "live_attrs": live_attrs(question),  # its live endpoints' URLs
    }
    return {
        "question": {field: getattr(question, field) for field in _QUESTION_PAGE_FIELDS},
        "html": [
            piece.encode()
            for piece in render_with_slots("qa/_question_shared.html", context, slots=2)
        ],
        # #question-page's data attributes that are the same for every viewer.
        "data": render_to_string("qa/_question_page_data.html", data),
        "answer_ids": [answer.pk for answer in answers],
        # The answer form's action: reversed once.
        "url": question.get_absolute_url(),
        # Whether the author may still delete the question (Question.can_delete).
        "answer_scored": question.answer_scored(),
    }


def viewer_votes(request: HttpRequest, question: Question, answer_ids: list[int]) -> dict[int, int]:
    """This viewer's votes on the page: {answer id: value}, and the question's under 0. When
    the member's session is not read yet, read in its statement (no round trip of their own)."""
    build = functools.partial(votes_sql, question_id=question.pk, answer_ids=answer_ids)
    with read_along(ReadAlong(build, width=2)) as along:
        user = request.user
        if not user.is_authenticated:
            return {}
    if along.member_id is not None and along.member_id == user.pk:
        return dict(along.rows)
    return votes_of(user.pk, question.pk, answer_ids)


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


COMMENT_FRAGMENT_TTL = 3600  # also how long a renamed author's old name may show under a comment


def _comment_stamps(question_id: int, answer_ids: list[int]) -> QuerySet:
    # The authors' reputation by one index lookup a comment: joined, PostgreSQL planned for the
    # ~1,700 comments of the crowded question's answers (it cannot see that the question itself
    # has one) and hashed every profile, ~3 ms for six comments.
    reputation = Profile.objects.filter(user_id=OuterRef("author_id")).values("reputation")
    rows = Comment.objects.for_question_page(question_id, answer_ids).select_related(None)
    rows = rows.annotate(reputation=Subquery(reputation))
    return rows.values_list("pk", "answer_id", "created_at", "reputation")


# The question page's reads, compiled once per process (core.sql.Prepared).
_COMMENT_STAMPS = Prepared(_comment_stamps)


def comments_attach(question: Question, answers: list[SimpleNamespace]) -> None:
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
    shown = _COMMENT_STAMPS.rows(question.pk, [a.pk for a in answers])
    for pk, answer_id, created, reputation in shown:
        key = ("answer", answer_id) if answer_id else ("question", question.pk)
        if key in ids:
            ids[key].append(pk)
            # ids come back after a fill_db --flush; authors' reputation shows by their names
            stamps[key].append((created.timestamp(), reputation))
    version = fragments_version()
    keys = {
        key: f"comments:{version}:{key[0]}:{key[1]}:{digest([pks, stamps[key]])}"
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

    html = fragments_together("comments", keys, render, COMMENT_FRAGMENT_TTL)
    for key, post in posts.items():
        post.comments_count = len(ids[key])
        post.comments_key = keys.get(key, "none")
        post.comments_html = mark_safe(html.get(key, ""))  # noqa: S308 — our partials


ANSWER_FRAGMENT_TTL = 3600

# What an answer's article shows that can change, read for the page's answers in one narrow
# query (no models): its key is made of these and of its comments' key.
_ANSWER_KEY_FIELDS = (
    "pk",
    "created_at",
    "rating",
    "is_correct",
    "edited_at",
    *AUTHOR_FIELDS,
)


def answer_rows(ids: list[int]) -> dict[int, SimpleNamespace]:
    """The page's answers as light rows (`pk`, `stamp`): models only for those not cached."""
    rows = Answer.objects.filter(pk__in=ids).values_list(*_ANSWER_KEY_FIELDS)
    return {row[0]: SimpleNamespace(pk=row[0], stamp=row[1:]) for row in rows}


def _newest_answer(question_id: int) -> QuerySet:
    return Answer.objects.filter(question_id=question_id).order_by("-pk").values_list("pk")[:1]


# The window's rows carry the question's newest answer id too (the same on every row: one
# uncorrelated subquery, run once), which saves the page of a question with several pages of
# answers a round trip for it.
_ANSWER_WINDOW = Prepared(
    lambda question_id, bottom, top: (
        Answer.objects.for_page(question_id)
        .select_related(None)
        .annotate(newest=Subquery(_newest_answer(question_id)))
        .values_list(*_ANSWER_KEY_FIELDS, "newest")[bottom:top]
    )
)
_LAST_ANSWER = Prepared(_newest_answer)


def answer_rows_window(question: Question, bottom: int, top: int) -> dict[int, SimpleNamespace]:
    """Rows bottom…top of the question's answers in page order, in one query (a page near the
    top: core.pagination); each also holds the question's newest answer id (`newest`)."""
    rows = _ANSWER_WINDOW.rows(question.pk, shape=(bottom, top))
    return {row[0]: SimpleNamespace(pk=row[0], stamp=row[1:-1], newest=row[-1]) for row in rows}


def answers_attach_html(answers: list[SimpleNamespace], question: Question) -> None:
    """Give each answer row its rendered article (`.html`), the partial live pushes send too.

    It is the same for every viewer, so it is cached under what it shows that can change
    (`stamp`: rating, correct mark, last edit, its author's name, avatar and reputation) and its
    comments (comments_attach runs first). One cache round trip for the page; models and
    templates only for answers not cached yet.
    """
    version = fragments_version()
    keys = {
        answer.pk: f"answer:{version}:{answer.pk}:{digest((answer.stamp, answer.comments_key))}"
        for answer in answers
    }
    by_pk = {answer.pk: answer for answer in answers}

    def render(missing: list[int]) -> dict[int, str]:
        found = Answer.all_objects.filter(pk__in=missing).select_related("author__profile")
        html = {}
        for answer in found:
            row = by_pk[answer.pk]
            answer.question = question
            answer.comments_count, answer.comments_key = row.comments_count, row.comments_key
            answer.comments_html = row.comments_html
            html[answer.pk] = answer_html(answer)
        return html

    html = fragments_together("answers", keys, render, ANSWER_FRAGMENT_TTL)
    for answer in answers:
        answer.html = mark_safe(html.get(answer.pk, ""))  # noqa: S308 — our partial


QUESTION_FRAGMENT_TTL = 3600


def question_attach_html(question: Question) -> None:
    """Give the question its rendered body (`.body_fragment`: title, text, tags, author line),
    the partial live edits push too. Cached under what it shows that can change: the last edit
    (title, text and tags), its author's name, avatar and reputation, and "asked/edited … ago" as
    they read now; its tags are read only when it is rendered."""
    now = timezone.now()
    stamp = (
        question.title,
        question.edited_at,
        age_stamp(question.created_at, now),
        age_stamp(question.edited_at, now) if question.edited_at else "",
        *author_stamp(question.author),
    )
    key = f"question:{fragments_version()}:{question.pk}:{digest(stamp)}"

    def render(missing: list[int]) -> dict[int, str]:
        return {question.pk: render_to_string("qa/_question_body.html", {"question": question})}

    html = fragments({question.pk: key}, render, QUESTION_FRAGMENT_TTL)
    question.body_fragment = mark_safe(html[question.pk])  # noqa: S308 — our partial

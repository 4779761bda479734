import functools
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core.counts import counts_invalidate

from .markdown import render_markdown_or_plain

TAG_RE = re.compile(r"^[a-z0-9][a-z0-9+#.\-]{0,31}$")
MAX_TAGS = 3
QUESTIONS_PER_PAGE = 20
ANSWERS_PER_PAGE = 30


def validate_tag_name(name: str) -> None:
    if not TAG_RE.match(name):
        raise ValidationError(
            _("Tag “%(name)s” is not valid: use 1–32 lower-case letters, digits or + # . -"),
            params={"name": name},
            code="invalid_tag",
        )


class Tag(models.Model):
    name = models.CharField(max_length=32, unique=True, validators=[validate_tag_name])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tag", args=[self.name])


class Post(models.Model):
    """What questions and answers share: Markdown `text` with the sanitised HTML rendered from
    it when it was written, the last edit, and a soft delete (a moderator can undo it).

    Services render with the strict bounds (qa.markdown.render_markdown, a form error when a
    text is too complex) and pass the HTML in; a save without it (tests, shell, admin) renders
    here, degrading to plain text rather than failing. Bulk loads (fill_db) set it themselves.

    `objects` never returns deleted posts (lists, counts, search, sidebar, related managers);
    `all_objects` does, for the author's and moderators' views of a deleted post.
    """

    text = models.TextField(max_length=20000)
    text_html = models.TextField(blank=True, default="", editable=False)
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self.text_html:
            self.text_html = render_markdown_or_plain(self.text)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "text_html"}
        super().save(*args, **kwargs)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def can_edit(self, user) -> bool:
        return user.is_authenticated and (user.pk == self.author_id or user.is_staff)

    def can_see(self, user) -> bool:
        """Deleted posts stay visible to their author and to moderators only."""
        return not self.is_deleted or self.can_edit(user)

    @property
    def body_html(self) -> SafeString:
        return mark_safe(self.text_html)  # noqa: S308 — our renderer's allow-listed output


# Every list and page order reads visible posts only: the indexes they walk hold just those,
# so deep pages stay index-only scans (a deleted_at check per row would read the table).
VISIBLE = Q(deleted_at__isnull=True)


class VisibleManager(models.Manager):
    """The default manager of posts: deleted ones are left out everywhere unless asked for
    through `all_objects`."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class QuestionQuerySet(models.QuerySet):
    def with_cards(self) -> "QuestionQuerySet":
        """Everything a question card shows, in a constant number of queries."""
        return self.select_related("author__profile").prefetch_related("tags")

    def new(self) -> "QuestionQuerySet":
        return self.with_cards().order_by("-created_at", "-id")

    def hot(self) -> "QuestionQuerySet":
        return self.with_cards().order_by("-rating", "-created_at", "-id")

    def tagged(self, tag: "Tag | int | str") -> "QuestionQuerySet":
        """Newest first with this tag; pass the Tag or its id when you have it (one join less).
        Ordered by the question's date as its tag row holds it (the same order): the rows of
        one tag come in that order from one index (QuestionTag), no sort of all of them."""
        condition = (
            {"questiontag__tag__name": tag} if isinstance(tag, str) else {"questiontag__tag": tag}
        )
        return self.with_cards().filter(**condition).order_by("-questiontag__created_at", "-id")


class QuestionTag(models.Model):
    """A question's tag, with the question's date: a tag's list in its order (newest first) is
    a walk of one index of this table (question_tag_new_idx). Ordered by the question's row,
    PostgreSQL joined every question to sort a popular tag's (all 100,000 of them walked for
    page 405 of a tag of 9,000 at ratio 10000: 19 ms). Written only with the question's date
    (`question.tags.set(…, through_defaults=question_tag_defaults(question))`); a question's
    date never changes."""

    question = models.ForeignKey("Question", on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)
    created_at = models.DateTimeField()  # the question's

    class Meta:
        db_table = "qa_question_tags"  # the table Django made for the plain many-to-many
        unique_together = [("question", "tag")]
        indexes = [
            models.Index(fields=["tag", "-created_at", "-question"], name="question_tag_new_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.question_id} · {self.tag_id}"


def tag_question_ids(tag_id: int) -> models.QuerySet:
    """The ids of the questions with this tag in Question.objects.tagged()'s order, from the
    tag's own rows alone (one index walked, from either end: core.pagination); a deleted
    question is left out through the small index of deleted ones (question_deleted_idx)."""
    deleted = Question.all_objects.filter(pk=OuterRef("question_id"), deleted_at__isnull=False)
    return (
        QuestionTag.objects.filter(tag_id=tag_id)
        .filter(~Exists(deleted))
        .order_by("-created_at", "-question_id")
        .values_list("question_id", flat=True)
    )


def question_tag_defaults(question: "Question") -> dict:
    """What a QuestionTag of `question` holds besides the two ids."""
    return {"created_at": question.created_at}


class Question(Post):
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="questions"
    )
    title = models.CharField(max_length=200)
    tags = models.ManyToManyField(Tag, related_name="questions", blank=True, through="QuestionTag")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    rating = models.IntegerField(default=0)
    answers_count = models.PositiveIntegerField(default=0)

    objects = VisibleManager.from_queryset(QuestionQuerySet)()
    all_objects = QuestionQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="question_new_idx", condition=VISIBLE),
            models.Index(
                fields=["-rating", "-created_at", "-id"], name="question_hot_idx", condition=VISIBLE
            ),
            models.Index(
                fields=["author", "-created_at", "-id"],
                name="question_author_idx",
                condition=VISIBLE,
            ),
            # The tag page sorts a tag's question ids by date: this answers each id → date
            # lookup from the index alone, without reading the (wide) question row.
            models.Index(
                fields=["id", "created_at"], name="question_id_created_idx", condition=VISIBLE
            ),
            # Search leaves deleted questions out: a small index of just those.
            models.Index(
                fields=["id"], condition=Q(deleted_at__isnull=False), name="question_deleted_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("question", args=[self.pk])

    def can_delete(self, user, answer_scored: bool | None = None) -> bool:
        """Stack Overflow's rule: the author, while no answer has a positive score (it would
        take the answerers' work with it); moderators always. `answer_scored`: whether one
        has, when the caller knows (the question page's kept parts), else it is read."""
        if not self.can_edit(user):
            return False
        return user.is_staff or not (
            self.answer_scored() if answer_scored is None else answer_scored
        )

    def answer_scored(self) -> bool:
        return self.answers.filter(rating__gt=0).exists()


# Where an answer sits: its question's answers sorted by these fields. The page order and every
# position below (page of a permalink, page and index in a live message) derive from it.
ANSWER_ORDER = ("-rating", "created_at", "id")


def _sorts_before(order: tuple[str, ...], ref) -> Q:
    """Rows that come before `ref` in `order`: (a > ref.a) | (a = ref.a & b < ref.b) | …"""
    condition, equal = Q(), {}
    for field in order:
        name = field.lstrip("-")
        lookup = "gt" if field.startswith("-") else "lt"
        condition |= Q(**equal, **{f"{name}__{lookup}": ref(name)})
        equal[name] = ref(name)
    return condition


class AnswerQuerySet(models.QuerySet):
    def ordered(self) -> "AnswerQuerySet":
        return self.order_by(*ANSWER_ORDER)

    def for_page(self, question: Question) -> "AnswerQuerySet":
        return self.filter(question=question).select_related("author__profile").ordered()

    def with_position(self) -> "AnswerQuerySet":
        """Annotate `position`: how many answers of the same question come before this one.

        One correlated COUNT per row, on answer_page_idx: a constant number of queries however
        many answers are asked about, and no walk over every answer of a big question.
        """
        before = (
            Answer.objects.filter(question_id=OuterRef("question_id"))
            .filter(_sorts_before(ANSWER_ORDER, OuterRef))
            .order_by()
            .values("question_id")
            .annotate(n=Count("*"))
            .values("n")
        )
        return self.annotate(position=Coalesce(Subquery(before), 0))


class Answer(Post):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="answers"
    )
    is_correct = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    rating = models.IntegerField(default=0)

    objects = VisibleManager.from_queryset(AnswerQuerySet)()
    all_objects = AnswerQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["question", "-rating", "created_at", "id"],
                name="answer_page_idx",
                condition=VISIBLE,
            ),
            models.Index(
                fields=["author", "-created_at", "-id"], name="answer_author_idx", condition=VISIBLE
            ),
            # The newest answer of a question (MAX(id)) without reading all of its answers.
            models.Index(
                fields=["question", "id"], name="answer_question_last_idx", condition=VISIBLE
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["question"], condition=Q(is_correct=True), name="one_correct_answer"
            )
        ]

    def __str__(self) -> str:
        return f"Answer {self.pk} to question {self.question_id}"

    def get_absolute_url(self) -> str:
        url = reverse("question", args=[self.question_id])
        page = self.page_number
        if page > 1:
            url += f"?page={page}"
        return f"{url}#answer-{self.pk}"

    def can_delete(self, user) -> bool:
        return self.can_edit(user)

    @property
    def position(self) -> int:
        """0-based place in the question's ANSWER_ORDER (annotated by with_position(), or
        read once)."""
        if "position" not in self.__dict__:
            self.__dict__["position"] = (
                Answer.objects.with_position().values_list("position", flat=True).get(pk=self.pk)
            )
        return self.__dict__["position"]

    @position.setter
    def position(self, value: int) -> None:
        self.__dict__["position"] = value

    @property
    def page_number(self) -> int:
        """The answers page (1-based) that holds this answer."""
        return self.position // ANSWERS_PER_PAGE + 1

    @property
    def index_on_page(self) -> int:
        """Where on its page the answer goes (0-based): live pages insert it there."""
        return self.position % ANSWERS_PER_PAGE


class QuestionVote(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="votes")
    value = models.SmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "user"], name="one_question_vote"),
            models.CheckConstraint(condition=Q(value__in=[1, -1]), name="question_vote_value"),
        ]
        indexes = [models.Index(fields=["user", "question"], name="question_vote_user_idx")]

    def __str__(self) -> str:
        return f"{self.value:+d} by {self.user_id} on question {self.question_id}"


class AnswerVote(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="votes")
    value = models.SmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["answer", "user"], name="one_answer_vote"),
            models.CheckConstraint(condition=Q(value__in=[1, -1]), name="answer_vote_value"),
        ]
        indexes = [models.Index(fields=["user", "answer"], name="answer_vote_user_idx")]

    def __str__(self) -> str:
        return f"{self.value:+d} by {self.user_id} on answer {self.answer_id}"


def votes_of(user_id: int, question_id: int, answer_ids: list[int]) -> dict[int, int]:
    """A member's votes on a page of a question, in one statement: {answer id: value}, and the
    question's under 0 (ids start at 1). Plain SQL, not a union() of two QuerySets: the ORM
    spent ~1.2 ms of CPU building that on every member's question page, ten times its run."""
    sql, params = votes_sql("%s", [user_id], question_id, answer_ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def votes_sql(
    member: str, member_params: list, question_id: int, answer_ids: list[int]
) -> tuple[str, list]:
    """The SELECT of votes_of() (rows of target, value) for the member whose id is the SQL
    expression `member` (with its own parameters): a placeholder, or a subquery when the
    votes are read in the same statement as the member's session (accounts.sessions)."""
    params = [*member_params, question_id]
    if answer_ids:
        params += [*member_params, *answer_ids]
    return _votes_sql_text(member, len(answer_ids)), params


@functools.lru_cache(maxsize=64)
def _votes_sql_text(member: str, answers: int) -> str:
    """votes_sql()'s SQL for `answers` answers: the same text for every page of that many."""
    quote = connection.ops.quote_name
    target, value = quote("target"), quote("value")
    sql = (
        f"SELECT 0 AS {target}, {value} FROM {quote(QuestionVote._meta.db_table)} "
        f"WHERE {quote('user_id')} = {member} AND {quote('question_id')} = %s"
    )
    if answers:
        sql += (
            f" UNION ALL SELECT {quote('answer_id')}, {value} "
            f"FROM {quote(AnswerVote._meta.db_table)} WHERE {quote('user_id')} = {member} "
            f"AND {quote('answer_id')} IN ({', '.join(['%s'] * answers)})"
        )
    return sql


class Revision(models.Model):
    """One state of a question (title, text, tags) or an answer (text), with who made it and
    why. Number 1 is the original post; it is written when the post is first edited (a post
    never edited has no rows here and shows itself as revision 1)."""

    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions"
    )
    answer = models.ForeignKey(
        Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions"
    )
    number = models.PositiveIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200, blank=True)
    text = models.TextField(max_length=20000)
    tags = models.CharField(max_length=200, blank=True)  # names, space-separated
    summary = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(question__isnull=True) ^ Q(answer__isnull=True),
                name="revision_of_one_post",
            ),
            models.UniqueConstraint(fields=["question", "number"], name="one_question_revision"),
            models.UniqueConstraint(fields=["answer", "number"], name="one_answer_revision"),
        ]

    def __str__(self) -> str:
        return f"Revision {self.number} of {self.question or self.answer}"


class CommentQuerySet(models.QuerySet):
    def visible(self) -> "CommentQuerySet":
        return self.filter(deleted_at__isnull=True)

    def for_question_page(self, question: Question, answer_ids: list[int]) -> "CommentQuerySet":
        """The comments a question page shows: the question's and those of the answers on it,
        oldest first, in one query however many answers there are."""
        # Two index lookups, ORed: the question's own comments (comment_on_question_idx) and the
        # page's answers' (the answer foreign key), never all the comments of a question with
        # thousands of answers (~10 ms on the crowded question at ratio 10000).
        return (
            self.visible()
            .filter(Q(question=question, answer__isnull=True) | Q(answer__in=answer_ids))
            .select_related("author__profile")
            .order_by("created_at", "id")
        )


class Comment(models.Model):
    """A short plain-text remark under a question or an answer. `question` is always the
    question whose page shows it (an answer's comments carry their answer's question too)."""

    MAX_LENGTH = 600

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="comments")
    answer = models.ForeignKey(
        Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    text = models.CharField(max_length=MAX_LENGTH)
    text_html = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CommentQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["question", "created_at"], name="comment_question_idx"),
            models.Index(
                fields=["question", "created_at"],
                condition=Q(answer__isnull=True),
                name="comment_on_question_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.answer or self.question}"

    @property
    def body_html(self) -> SafeString:
        return mark_safe(self.text_html)  # noqa: S308 — render_comment's allow-listed output

    @property
    def post(self) -> "Question | Answer":
        return self.answer if self.answer_id else self.question

    def can_delete(self, user) -> bool:
        return user.is_authenticated and (user.pk == self.author_id or user.is_staff)


# The cached list counts (core.counts) go stale when a question comes, goes or is re-tagged;
# edits and votes leave them alone.
@receiver(post_save, sender=Question)
def _question_saved(sender, created: bool, **kwargs) -> None:
    if created:
        counts_invalidate()


@receiver(post_delete, sender=Question)
def _question_deleted(sender, **kwargs) -> None:
    counts_invalidate()


@receiver(m2m_changed, sender=Question.tags.through)
def _question_tags_changed(sender, action: str, **kwargs) -> None:
    if action.startswith("post_"):
        counts_invalidate()

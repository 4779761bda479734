"""fill_db <ratio>: users = ratio, questions ×10, answers ×100, tags = ratio, votes ×200."""

import random
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from faker import Faker
from tqdm import tqdm

from accounts.models import Profile
from qa.models import Answer, AnswerVote, Question, QuestionVote, Tag

User = get_user_model()
BATCH = 5000


class Command(BaseCommand):
    help = "Fill the database with generated users, questions, answers, tags and votes."

    def add_arguments(self, parser) -> None:
        parser.add_argument("ratio", type=int)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--if-empty", action="store_true", help="do nothing when data exists")
        parser.add_argument("--append", action="store_true", help="add to existing data")
        parser.add_argument("--flush", action="store_true", help="delete Q&A data first")

    def handle(
        self, *args, ratio: int, seed: int, if_empty: bool, append: bool, flush: bool, **opts
    ):
        if ratio < 1:
            raise CommandError("ratio must be a positive integer")
        has_data = Question.objects.exists() or User.objects.exists()
        if has_data and if_empty:
            self.stdout.write("fill_db: database not empty, nothing to do")
            return
        if has_data and not (append or flush):
            raise CommandError("database is not empty: pass --append or --flush")
        if flush:
            for model in (AnswerVote, QuestionVote, Answer, Question, Tag, Profile):
                model.objects.all().delete()
            User.objects.filter(is_superuser=False).delete()
        started = time.monotonic()
        self.rng = random.Random(seed)
        self.fake = Faker()
        self.fake.seed_instance(seed)
        self.now = timezone.now()
        self.prefix = f"s{seed}t{int(time.time())}_" if append else ""
        total = 0
        with transaction.atomic():
            users = self.make_users(ratio)
            tags = self.make_tags(ratio)
            questions = self.make_questions(ratio * 10, users, tags)
            answers = self.make_answers(ratio * 100, users, questions)
            votes = self.make_votes(ratio * 200, users, questions, answers)
            self.recount(questions)
        total = len(users) + len(tags) + len(questions) + len(answers) + votes
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"fill_db: {len(users)} users, {len(questions)} questions, {len(answers)} answers, "
            f"{len(tags)} tags, {votes} votes in {elapsed:.1f} s "
            f"({total / max(elapsed, 1e-9):,.0f} rows/s)"
        )

    def date(self) -> timezone.datetime:
        return self.now - timedelta(seconds=self.rng.randint(0, 730 * 86400))

    def bulk(self, model, rows, desc: str) -> list:
        created = []
        for start in tqdm(range(0, len(rows), BATCH), desc=desc, unit="batch", disable=None):
            created.extend(model.objects.bulk_create(rows[start : start + BATCH]))
        return created

    def make_users(self, n: int) -> list[int]:
        password = make_password("password")  # one hash for every generated user
        rows = [
            User(
                username=f"{self.prefix}user{i}",
                email=f"{self.prefix}user{i}@example.com",
                password=password,
                first_name=self.fake.first_name(),
            )
            for i in range(n)
        ]
        users = self.bulk(User, rows, "users")
        ids = (
            [u.pk for u in users]
            if users[0].pk
            else list(
                User.objects.filter(username__startswith=f"{self.prefix}user").values_list(
                    "pk", flat=True
                )
            )
        )
        self.bulk(
            Profile, [Profile(user_id=pk, display_name=self.fake.name()) for pk in ids], "profiles"
        )
        return ids

    def make_tags(self, n: int) -> list[int]:
        words = set()
        while len(words) < n:
            words.add(f"{self.prefix}{self.fake.word()}{len(words)}".lower()[:32])
        self.bulk(Tag, [Tag(name=w) for w in sorted(words)], "tags")
        return list(Tag.objects.filter(name__in=words).values_list("pk", flat=True))

    def make_questions(self, n: int, users: list[int], tags: list[int]) -> list[int]:
        rows = [
            Question(
                author_id=self.rng.choice(users),
                title=self.fake.sentence(nb_words=8).rstrip(".") + "?",
                text="\n\n".join(self.fake.paragraphs(nb=2)),
                created_at=self.date(),
            )
            for _ in range(n)
        ]
        ids = [q.pk for q in self.bulk(Question, rows, "questions")]
        through = Question.tags.through
        links = []
        for qid in ids:
            for tid in self.rng.sample(tags, k=min(len(tags), self.rng.randint(1, 3))):
                links.append(through(question_id=qid, tag_id=tid))
        self.bulk(through, links, "question tags")
        return ids

    def make_answers(self, n: int, users: list[int], questions: list[int]) -> list[int]:
        rows = [
            Answer(
                question_id=self.rng.choice(questions),
                author_id=self.rng.choice(users),
                text=self.fake.paragraph(nb_sentences=4),
                created_at=self.date(),
            )
            for _ in range(n)
        ]
        return [a.pk for a in self.bulk(Answer, rows, "answers")]

    def make_votes(self, n: int, users, questions, answers) -> int:
        q_votes, a_votes = set(), set()
        n_q = n // 5
        while len(q_votes) < min(n_q, len(users) * len(questions)):
            q_votes.add((self.rng.choice(users), self.rng.choice(questions)))
        while len(a_votes) < min(n - n_q, len(users) * len(answers)):
            a_votes.add((self.rng.choice(users), self.rng.choice(answers)))
        pick = lambda: 1 if self.rng.random() < 0.75 else -1  # noqa: E731
        self.bulk(
            QuestionVote,
            [QuestionVote(user_id=u, question_id=q, value=pick()) for u, q in q_votes],
            "question votes",
        )
        self.bulk(
            AnswerVote,
            [AnswerVote(user_id=u, answer_id=a, value=pick()) for u, a in a_votes],
            "answer votes",
        )
        return len(q_votes) + len(a_votes)

    def recount(self, questions: list[int]) -> None:
        """Ratings and answer counts from the rows just made (slow path; see bench/ for COPY)."""
        for qid, total in (
            QuestionVote.objects.values("question")
            .annotate(s=Sum("value"))
            .values_list("question", "s")
        ):
            Question.objects.filter(pk=qid).update(rating=total)
        for aid, total in (
            AnswerVote.objects.values("answer").annotate(s=Sum("value")).values_list("answer", "s")
        ):
            Answer.objects.filter(pk=aid).update(rating=total)
        for qid, count in (
            Answer.objects.values("question").annotate(c=Count("id")).values_list("question", "c")
        ):
            Question.objects.filter(pk=qid).update(answers_count=count)
        # Some correct answers: the best-rated answer of every seventh question.
        for qid in questions[::7]:
            best = Answer.objects.filter(question_id=qid).order_by("-rating", "created_at").first()
            if best:
                Answer.objects.filter(pk=best.pk).update(is_correct=True)

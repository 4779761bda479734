"""fill_db <ratio>: users = ratio, tags = ratio, questions ×10, answers ×100, votes ×200.

Rows are generated as a stream, batch by batch, and written with COPY on PostgreSQL or
executemany on SQLite, all in one transaction. Only a few small per-item arrays are kept
(question dates and authors, answer authors, ratings: ~10 bytes a row); texts and votes are never
held in memory. Ids are assigned here (after the current maximum), so no row is read back.

On an empty table the secondary indexes and constraints are dropped for the load and rebuilt
afterwards (one sorted build beats a million index insertions); on PostgreSQL an empty table is
also truncated in the same transaction so COPY ... FREEZE writes all-visible pages, ready for
index-only scans without a VACUUM.
"""

import random
import resource
import sys
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from faker import Faker
from faker.providers.lorem.en_US import Provider as LoremProvider
from faker.providers.person.en_US import Provider as PersonProvider
from tqdm import tqdm

from accounts.models import Profile
from community.models import Flag, ReputationEvent
from community.reputation import reputation_recompute
from core.counts import counts_invalidate
from core.generation import site_changed
from qa.markdown import render_comment, render_markdown
from qa.models import (
    TAG_RE,
    Answer,
    AnswerVote,
    Comment,
    Question,
    QuestionTag,
    QuestionVote,
    Revision,
    Tag,
)

User = get_user_model()

BATCH = 5000
SPAN = 730 * 86400  # dates over the last two years
QUESTION_VOTE_SHARE = 0.2  # of all votes; the rest go to answers
CORRECT_SHARE = 0.4  # of questions with answers, how many have a correct one
COMMENTS_PER_RATIO = 30  # comments in all: ratio × 30, two thirds on questions
EDITED_SHARE = 0.05  # of questions and of answers, how many were edited once (2 revisions)
DEMO_PASSWORD = "password"

# Tables whose secondary indexes and constraints are rebuilt after loading into them empty.
BIG_MODELS = (Question, QuestionTag, Answer, QuestionVote, AnswerVote, Comment, Revision)
COMMUNITY_MODELS = (ReputationEvent, Flag)

Batch = list[tuple]


def columns(model, *names: str) -> list[str]:
    return [model._meta.get_field(name).column for name in names]


def settle_checks(cursor) -> None:
    """PostgreSQL: run the deferred foreign-key checks now; TRUNCATE and ALTER TABLE refuse a
    table with pending trigger events (after --flush, or earlier writes in the transaction)."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # the load writes children first


def batched(rows: Iterable[tuple]) -> Iterator[Batch]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def spread(
    rng: random.Random, total: int, items: int, cap: int, draw: Callable[[], float]
) -> Iterator[int]:
    """Split `total` into `items` counts of at most `cap`, each drawn around the running mean.

    `draw()` has mean 1 and sets the shape (exponential for votes, Pareto for answers); the
    mean is recomputed from what is left, so the counts add up exactly, streaming.
    """
    remaining = total
    for i in range(items):
        left = items - i
        k = int(remaining / left * draw() + rng.random())
        k = max(remaining - (left - 1) * cap, min(k, cap, remaining))
        remaining -= k
        yield k


class Generator:
    """Deterministic rows for one fill_db run; every method yields batches of tuples."""

    def __init__(self, *, ratio: int, seed: int, now: float, base: dict, append: bool, stamp):
        self.rng = random.Random(seed)
        faker = Faker("en_US")
        faker.seed_instance(seed)
        self.stamp = stamp  # epoch seconds → the value the database driver wants
        self.now = now
        self.base = base  # first free id per model
        self.append = append
        self.n_users = ratio
        self.n_tags = ratio
        self.n_questions = ratio * 10
        self.n_answers = ratio * 100
        self.n_comments = ratio * COMMENTS_PER_RATIO
        cap = max(self.n_users - 1, 0)  # nobody votes on their own post
        votes = ratio * 200
        self.n_question_votes = min(int(votes * QUESTION_VOTE_SHARE), self.n_questions * cap)
        self.n_answer_votes = min(votes - self.n_question_votes, self.n_answers * cap)
        self.n_question_votes = min(votes - self.n_answer_votes, self.n_questions * cap)
        self.vote_cap = cap
        # Text pools: Faker makes them once; rows are put together from them (fast, varied).
        self.sentences = [faker.sentence(nb_words=self.rng.randint(6, 16)) for _ in range(3000)]
        self.words = [w for w in LoremProvider.word_list if TAG_RE.match(w)]
        self.tag_words = self.words[:]
        self.rng.shuffle(self.tag_words)  # the popular tags: random words, not "a", "ability"
        self.first_names = list(PersonProvider.first_names)
        self.last_names = list(PersonProvider.last_names)
        self.prefix = f"a{base[User]}-" if append else ""
        # Per-item facts later tables need (arrays of machine ints, not objects).
        self.q_author = array("i")
        self.q_time = array("d")
        self.q_answers = array("i")
        self.q_rating = array("i", bytes(4 * self.n_questions))
        self.a_author = array("i")
        self.a_question = array("i")
        self.a_rating = array("i", bytes(4 * self.n_answers))
        # Edited posts: index → (text before, text now, tag names); revisions are written last.
        self.q_edits: dict[int, list] = {}
        self.titles: dict[int, str] = {}  # of edited questions, for their revisions
        self.a_edits: dict[int, list] = {}
        self.check_plain_pool()
        self.plan()

    # -- helpers ---------------------------------------------------------------------------
    def skewed(self, n: int, power: float) -> int:
        """An index in [0, n) where low indexes are much more likely (power > 1)."""
        return int(n * self.rng.random() ** power)

    def text(self, low: int, high: int) -> str:
        return " ".join(self.rng.choices(self.sentences, k=self.rng.randint(low, high)))

    def check_plain_pool(self) -> None:
        """Rows carry their stored HTML, put together like their text (see `html`). That is
        only right while every pool sentence is plain text to the renderer: checked here, with
        the renderer itself, once per run (3,000 short renders)."""
        for sentence in self.sentences:
            if render_markdown(sentence) != f"<p>{sentence}</p>\n" or (
                render_comment(sentence) != sentence
            ):
                raise CommandError(f"fill_db: a text pool sentence is not plain: {sentence!r}")

    def edited(self, edits: dict, index: int, text: str) -> str:
        """Some posts were edited once: they read their second version (an extra paragraph)
        and their revisions are written after them."""
        if self.rng.random() >= EDITED_SHARE:
            return text
        new = text + "\n\n" + self.rng.choice(self.sentences)
        edits[index] = [text, new, "", None]
        return new

    @staticmethod
    def html(text: str) -> str:
        """What qa.markdown renders for a text made of plain pool sentences (paragraphs)."""
        return "".join(f"<p>{paragraph}</p>\n" for paragraph in text.split("\n\n"))

    def title(self) -> str:
        words = self.rng.choices(self.words, k=self.rng.randint(4, 9))
        return " ".join(words).capitalize() + "?"

    # -- the plan: who asks what, when, and how many answers each question gets -------------
    def plan(self) -> None:
        rng = self.rng
        start = self.now - SPAN
        step = SPAN / max(self.n_questions, 1)
        for i in range(self.n_questions):
            self.q_author.append(self.skewed(self.n_users, 2.0))
            self.q_time.append(start + (i + rng.random()) * step)  # ids follow time, like a site
        alpha = 1.5  # Pareto: a few questions collect thousands of answers
        scale = (alpha - 1) / alpha
        self.q_answers.extend(
            spread(
                rng,
                self.n_answers,
                self.n_questions,
                self.n_answers,
                lambda: rng.paretovariate(alpha) * scale,
            )
        )
        for _ in range(self.n_answers):
            self.a_author.append(self.skewed(self.n_users, 2.0))
        for q, count in enumerate(self.q_answers):
            self.a_question.extend([q] * count)

    # -- tables ----------------------------------------------------------------------------
    def users(self) -> Iterator[Batch]:
        password = make_password(DEMO_PASSWORD)  # one hash for every generated user
        rng, base = self.rng, self.base[User]
        for i in range(self.n_users):
            name = f"{self.prefix}user{i}"
            joined = self.stamp(self.now - SPAN - 86400 * 30 + rng.random() * SPAN)
            first, last = rng.choice(self.first_names), rng.choice(self.last_names)
            yield (
                base + i,
                password,
                False,
                name,
                first,
                last,
                f"{name}@example.com",
                False,
                True,
                joined,
            )

    user_columns = columns(
        User,
        "id",
        "password",
        "is_superuser",
        "username",
        "first_name",
        "last_name",
        "email",
        "is_staff",
        "is_active",
        "date_joined",
    )

    def profiles(self) -> Iterator[tuple]:
        rng, base, user_base = self.rng, self.base[Profile], self.base[User]
        for i in range(self.n_users):
            name = f"{rng.choice(self.first_names)} {rng.choice(self.last_names)}"
            yield (base + i, user_base + i, name, "")

    profile_columns = columns(Profile, "id", "user", "display_name", "avatar")

    def tags(self) -> Iterator[tuple]:
        base = self.base[Tag]
        for i in range(self.n_tags):
            # Plain words first (the popular ones), then word-<id>: unique by construction.
            yield (base + i, self.tag_name(i))

    tag_columns = columns(Tag, "id", "name")

    def tag_name(self, t: int) -> str:
        """The name tags() gave tag index `t`."""
        word = self.tag_words[t % len(self.tag_words)]
        base = self.base[Tag]
        return (word if t < len(self.words) and not self.append else f"{word}-{base + t}")[:32]

    def votes(
        self, *, items: int, total: int, authors: array, ratings: array, base_item: int, vote_id
    ) -> Iterator[tuple]:
        """`total` votes over `items` posts: distinct voters per post, never the post's author."""
        rng, cap, n_users, user_base = self.rng, self.vote_cap, self.n_users, self.base[User]
        counts = spread(rng, total, items, cap, lambda: rng.expovariate(1.0))
        for item, k in enumerate(counts):
            if not k:
                continue
            author = authors[item]
            up = 0.35 + 0.6 * rng.random()  # each post has its own appeal
            rating = 0
            for u in rng.sample(range(n_users - 1), k):
                value = 1 if rng.random() < up else -1
                rating += value
                yield (vote_id, user_base + u + (u >= author), base_item + item, value)
                vote_id += 1
            ratings[item] = rating

    vote_columns = ["id", "user_id", "question_id", "value"]
    answer_vote_columns = ["id", "user_id", "answer_id", "value"]

    def question_votes(self) -> Iterator[tuple]:
        return self.votes(
            items=self.n_questions,
            total=self.n_question_votes,
            authors=self.q_author,
            ratings=self.q_rating,
            base_item=self.base[Question],
            vote_id=self.base[QuestionVote],
        )

    def answer_votes(self) -> Iterator[tuple]:
        return self.votes(
            items=self.n_answers,
            total=self.n_answer_votes,
            authors=self.a_author,
            ratings=self.a_rating,
            base_item=self.base[Answer],
            vote_id=self.base[AnswerVote],
        )

    def questions(self) -> Iterator[tuple]:
        base, user_base = self.base[Question], self.base[User]
        for i in range(self.n_questions):
            text = self.edited(self.q_edits, i, self.text(2, 5) + "\n\n" + self.text(2, 5))
            title = self.title()
            if i in self.q_edits:
                self.titles[i] = title
            yield (
                base + i,
                user_base + self.q_author[i],
                title,
                text,
                self.html(text),
                self.stamp(self.now) if i in self.q_edits else None,
                self.stamp(self.q_time[i]),
                self.q_rating[i],
                self.q_answers[i],
            )

    question_columns = columns(
        Question,
        "id",
        "author",
        "title",
        "text",
        "text_html",
        "edited_at",
        "created_at",
        "rating",
        "answers_count",
    )

    def question_tags(self) -> Iterator[tuple]:
        rng, q_base, t_base = self.rng, self.base[Question], self.base[Tag]
        link = self.base[QuestionTag]
        for i in range(self.n_questions):
            chosen: set[int] = set()
            want = min(rng.randint(1, 3), self.n_tags)
            while len(chosen) < want:
                chosen.add(self.skewed(self.n_tags, 3.0))  # a few tags are very popular
            created_at = self.stamp(self.q_time[i])  # the question's
            for t in sorted(chosen):
                yield (link, q_base + i, t_base + t, created_at)
                link += 1
            if i in self.q_edits:
                self.q_edits[i][2] = " ".join(sorted(self.tag_name(t) for t in chosen))

    question_tag_columns = columns(QuestionTag, "id", "question", "tag", "created_at")

    def answers(self) -> Iterator[tuple]:
        rng, now = self.rng, self.now
        base, q_base, user_base = self.base[Answer], self.base[Question], self.base[User]
        a = 0
        for q in range(self.n_questions):
            count = self.q_answers[q]
            if not count:
                continue
            asked = self.q_time[q]
            correct = -1
            if rng.random() < CORRECT_SHARE:  # the best-rated answer is marked correct
                group = self.a_rating[a : a + count]
                correct = a + group.index(max(group))
            for j in range(a, a + count):
                created = asked + 60 + (now - asked - 60) * rng.random() ** 3
                text = self.edited(self.a_edits, j, self.text(2, 6))
                if j in self.a_edits:
                    self.a_edits[j][3] = created
                yield (
                    base + j,
                    q_base + q,
                    user_base + self.a_author[j],
                    text,
                    self.html(text),
                    self.stamp(now) if j in self.a_edits else None,
                    j == correct,
                    self.stamp(created),
                    self.a_rating[j],
                )
            a += count

    answer_columns = columns(
        Answer,
        "id",
        "question",
        "author",
        "text",
        "text_html",
        "edited_at",
        "is_correct",
        "created_at",
        "rating",
    )

    def comments(self) -> Iterator[tuple]:
        """A few comments on most questions and on some answers (two thirds on questions),
        each a pool sentence (plain: its HTML is itself), after its question was asked."""
        rng, now, users = self.rng, self.now, self.n_users
        base, q_base, a_base = self.base[Comment], self.base[Question], self.base[Answer]
        for c in range(self.n_comments):
            answer = None
            if self.n_answers and rng.random() < 1 / 3:
                a = rng.randrange(self.n_answers)
                q, answer = self.a_question[a], a_base + a
            else:
                q = rng.randrange(self.n_questions)
            text = rng.choice(self.sentences)[:600]
            created = self.q_time[q] + (now - self.q_time[q]) * rng.random()
            author = self.base[User] + rng.randrange(users)
            yield (base + c, q_base + q, answer, author, text, text, self.stamp(created), None)

    comment_columns = columns(
        Comment, "id", "question", "answer", "author", "text", "text_html", "created_at",
        "deleted_at",
    )  # fmt: skip

    def revisions(self) -> Iterator[tuple]:
        """Revisions 1 (as asked or answered) and 2 (the edit) of every edited post."""
        rid, user_base = self.base[Revision], self.base[User]
        q_base, a_base = self.base[Question], self.base[Answer]
        for kind, edits, authors, base in (
            ("q", self.q_edits, self.q_author, q_base),
            ("a", self.a_edits, self.a_author, a_base),
        ):
            for index, (old, new, tags, created) in sorted(edits.items()):
                question = base + index if kind == "q" else None
                answer = base + index if kind == "a" else None
                author = user_base + authors[index]
                title = self.titles.get(index, "") if kind == "q" else ""
                when = self.q_time[index] if kind == "q" else created
                for number, text, at, summary in (
                    (1, old, when, ""),
                    (2, new, self.now, "added a paragraph"),
                ):
                    yield (
                        rid, question, answer, number, author, title, text, tags, summary,
                        self.stamp(at),
                    )  # fmt: skip
                    rid += 1

    revision_columns = columns(
        Revision, "id", "question", "answer", "number", "author", "title", "text", "tags",
        "summary", "created_at",
    )  # fmt: skip


class Loader:
    """Writes batches into one table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, *, progress: bool | None, stderr):
        self.pg = connection.vendor == "postgresql"
        self.progress = progress
        self.stderr = stderr
        self.frozen: set[str] = set()  # tables truncated in this transaction (COPY FREEZE)
        self.detached: list[str] = []  # DDL to run after the load

    def stamp(self, epoch: float):
        moment = datetime.fromtimestamp(epoch, UTC)
        return moment if self.pg else moment.replace(tzinfo=None).isoformat(" ")

    def load(self, table: str, cols: list[str], rows: Iterable[tuple], total: int, desc: str):
        bar = tqdm(
            total=total,
            desc=f"{desc:>14}",
            unit=" rows",
            unit_scale=True,
            disable=self.progress,
            file=self.stderr,
            mininterval=0.5,
        )
        written = 0
        raw = connection.connection
        col_list = ", ".join(connection.ops.quote_name(c) for c in cols)
        quoted = connection.ops.quote_name(table)
        with bar, closing(raw.cursor()) as cursor:
            batches = batched(rows)
            if self.pg:
                freeze = " (FREEZE)" if table in self.frozen else ""
                with cursor.copy(f"COPY {quoted} ({col_list}) FROM STDIN{freeze}") as copy:
                    for batch in batches:
                        for row in batch:
                            copy.write_row(row)
                        written += len(batch)
                        bar.update(len(batch))
            else:
                marks = ", ".join("?" * len(cols))
                sql = f"INSERT INTO {quoted} ({col_list}) VALUES ({marks})"
                for batch in batches:
                    cursor.executemany(sql, batch)
                    written += len(batch)
                    bar.update(len(batch))
        return written

    # -- indexes and constraints around the load -------------------------------------------
    def detach(self, tables: list[str], outermost: bool) -> None:
        """Drop secondary indexes and constraints of the empty tables; remember how to rebuild."""
        with connection.cursor() as cursor:
            empty = []
            for table in tables:
                cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")
                if cursor.fetchone() is None:
                    empty.append(table)
            if not empty:
                return
            if self.pg:
                self._detach_pg(cursor, empty, outermost)
            else:
                self._detach_sqlite(cursor, empty)

    def _detach_pg(self, cursor, tables: list[str], outermost: bool) -> None:
        settle_checks(cursor)
        if outermost:
            # Empty already; truncating in this transaction lets COPY write frozen rows.
            # CASCADE only reaches tables that reference these, which are empty too.
            names = ", ".join(connection.ops.quote_name(t) for t in tables)
            cursor.execute(f"TRUNCATE {names} CASCADE")
            self.frozen.update(tables)
        constraints, indexes = [], []
        for table in tables:
            cursor.execute(
                """SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint
                   WHERE conrelid = %s::regclass AND contype IN ('f', 'u')
                   ORDER BY contype DESC, conname""",
                [table],
            )
            for name, definition, kind in cursor.fetchall():
                constraints.append((table, name, definition, kind))
            cursor.execute(
                """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                   FROM pg_index i WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                                   AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x'))
                   ORDER BY 1""",
                [table],
            )
            indexes.extend(cursor.fetchall())
        q = connection.ops.quote_name
        for table, name, _definition, _kind in constraints:
            cursor.execute(f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
        # Rebuild: plain indexes, then unique constraints, then foreign keys (validated once).
        self.detached = [definition for _name, definition in indexes]
        for kind in ("u", "f"):
            self.detached += [
                f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition}"
                for table, name, definition, k in constraints
                if k == kind
            ]

    def _detach_sqlite(self, cursor, tables: list[str]) -> None:
        marks = ", ".join("%s" for _ in tables)
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks}) ORDER BY name",
            tables,
        )
        indexes = cursor.fetchall()
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        self.detached = [sql for _name, sql in indexes]

    def reattach(self, tables: list[str]) -> None:
        with connection.cursor() as cursor:
            if self.pg:
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for sql in tqdm(
                self.detached,
                desc=f"{'indexes':>14}",
                unit=" ddl",
                disable=self.progress,
                file=self.stderr,
            ):
                cursor.execute(sql)
            self.detached = []
            cursor.execute("ANALYZE")  # fresh statistics: the planner needs them at once

    def vacuum(self, tables: list[str]) -> None:
        """PostgreSQL, after commit: set the visibility map (index-only scans) where COPY
        FREEZE could not (a row trigger on the table makes COPY insert row by row)."""
        if not self.pg or connection.in_atomic_block:
            return
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"VACUUM {connection.ops.quote_name(table)}")


class Command(BaseCommand):
    help = "Fill the database with generated users, tags, questions, answers and votes."

    def add_arguments(self, parser) -> None:
        parser.add_argument("ratio", type=int, help="users = ratio, questions = ratio × 10, …")
        parser.add_argument("--seed", type=int, default=1, help="same seed, same data")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when data exists")
        parser.add_argument("--append", action="store_true", help="add to existing data")
        parser.add_argument("--flush", action="store_true", help="delete Q&A data and users first")
        parser.add_argument(
            "--progress",
            choices=["auto", "on", "off"],
            default="auto",
            help="progress bars (auto: when stderr is a terminal)",
        )

    def handle(self, *args, ratio: int, seed: int, if_empty: bool, append: bool, flush: bool, **o):
        if ratio < 1:
            raise CommandError("ratio must be a positive integer")
        if append and flush:
            raise CommandError("--append and --flush exclude each other")
        has_data = Question.objects.exists() or User.objects.exists()
        if has_data and if_empty:
            self.stdout.write("fill_db: database not empty, nothing to do")
            return
        if has_data and not (append or flush):
            raise CommandError("database is not empty: pass --append or --flush")

        started = time.monotonic()
        progress = {"auto": None, "on": False, "off": True}[o["progress"]]
        loader = Loader(progress=progress, stderr=sys.stderr)
        outermost = not connection.in_atomic_block
        tables = [m._meta.db_table for m in BIG_MODELS]
        with transaction.atomic():
            if flush:
                self.flush()
            base = self.next_ids()
            now = float(int(time.time()) // 3600 * 3600)  # whole hours: reruns match
            gen = Generator(
                ratio=ratio, seed=seed, now=now, base=base, append=append, stamp=loader.stamp
            )
            loader.detach(tables, outermost)
            written = {}
            for model, desc, rows, cols, total in [
                (User, "users", gen.users(), gen.user_columns, gen.n_users),
                (Profile, "profiles", gen.profiles(), gen.profile_columns, gen.n_users),
                (Tag, "tags", gen.tags(), gen.tag_columns, gen.n_tags),
                (
                    QuestionVote,
                    "question votes",
                    gen.question_votes(),
                    gen.vote_columns,
                    gen.n_question_votes,
                ),
                (
                    AnswerVote,
                    "answer votes",
                    gen.answer_votes(),
                    gen.answer_vote_columns,
                    gen.n_answer_votes,
                ),
                # Questions and answers after their votes: their ratings are known by then.
                (Question, "questions", gen.questions(), gen.question_columns, gen.n_questions),
                (
                    QuestionTag,
                    "question tags",
                    gen.question_tags(),
                    gen.question_tag_columns,
                    gen.n_questions * 2,
                ),
                (Answer, "answers", gen.answers(), gen.answer_columns, gen.n_answers),
                (Comment, "comments", gen.comments(), gen.comment_columns, gen.n_comments),
                # Last: which posts were edited is decided while writing them.
                (Revision, "revisions", gen.revisions(), gen.revision_columns, 0),
            ]:
                written[model] = loader.load(model._meta.db_table, cols, rows, total, desc)
            loader.reattach(tables)
            self.reset_sequences()
        loader.vacuum(tables)
        # the bulk load (COPY on PostgreSQL) sends no model signals and no SQL writes
        transaction.on_commit(counts_invalidate)
        transaction.on_commit(site_changed)
        reputation_recompute()  # from the votes and accepts just written (community/reputation.py)

        elapsed = time.monotonic() - started
        total = sum(written.values())
        votes = written[QuestionVote] + written[AnswerVote]
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(
            f"fill_db: {written[User]} users, {written[Tag]} tags, {written[Question]} questions "
            f"({written[QuestionTag]} tag links), {written[Answer]} answers, {votes} votes, "
            f"{written[Comment]} comments, {written[Revision]} revisions "
            f"on {connection.vendor} in {elapsed:.1f} s ({total / max(elapsed, 1e-9):,.0f} rows/s, "
            f"peak RSS {peak_mb:.0f} MB)"
        )

    def next_ids(self) -> dict:
        models = (User, Profile, Tag, *BIG_MODELS)
        return {
            m: (m.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
            for m in models
        }

    def flush(self) -> None:
        """Delete the Q&A data and every non-superuser (superusers and their profiles stay)."""
        # community's tables point at posts too: children first (reputation history, flags).
        tables = [m._meta.db_table for m in (*COMMUNITY_MODELS, *reversed(BIG_MODELS), Tag)]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                settle_checks(cursor)
                names = ", ".join(connection.ops.quote_name(t) for t in tables)
                cursor.execute(f"TRUNCATE {names} CASCADE")
            else:
                for table in tables:  # children first: foreign keys hold at commit
                    cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
        Profile.objects.filter(user__is_superuser=False).delete()
        User.objects.filter(is_superuser=False).delete()

    def reset_sequences(self) -> None:
        models = [User, Profile, Tag, *BIG_MODELS]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)

"""Background jobs: the new-answer e-mail goes through the task queue and a real worker.

The worker is `manage.py db_worker` in its own process, on the test database (a file on
SQLite, the test database on PostgreSQL), sending with Django's file e-mail backend into a
temporary directory. Jobs are queued by `answer_create`, as the answer view does.
"""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django_tasks_db.models import DBTaskResult

from qa.services import answer_create
from qa.tasks import retry_delay

from .helpers import mails_in, make_question

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(settings.BASE_DIR)
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def database_url() -> str:
    """The test database itself (not a copy): the worker must see jobs queued after it started."""
    connection.ensure_connection()
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = quote(s["USER"] or "", safe="")
        if s["PASSWORD"]:
            auth += ":" + quote(s["PASSWORD"], safe="")
        return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


@pytest.fixture
def queue(settings, tmp_path):
    """The database backend in this process; the worker's environment."""
    settings.TASKS = DATABASE
    var = tmp_path / "var"
    var.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "EMAIL_URL"}}
    env.update(
        DATABASE_URL=database_url(),
        VAR_DIR=str(var),
        TASKS_BACKEND="database",
        TASKS_RETRY_BASE_SECONDS="1",
        DEBUG="0",
    )
    return env, var / "mail"


@contextmanager
def worker(env: dict):
    """A real db_worker process; stopped with SIGTERM (as `make down` does) on exit."""
    log = open(Path(env["VAR_DIR"]) / "worker.log", "a")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-startup-delay"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        log.close()


def mails(mail_dir: Path) -> list[str]:
    return mails_in(mail_dir)


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def answer(question, author, text: str):
    return answer_create(question=question, author=author, text=text)


def test_the_request_only_queues_the_mail(queue, alice, bob):
    env, mail_dir = queue
    question = make_question(alice, title="Queued mail")
    posted = answer(question, bob, "First answer.")
    job = DBTaskResult.objects.get()
    assert job.task_path == "qa.tasks.answer_notify"
    assert job.args_kwargs == {"args": [posted.pk], "kwargs": {}}
    assert job.status == "READY"
    assert mails(mail_dir) == []  # nothing was sent inside the request


def test_a_job_survives_a_worker_restart(queue, alice, bob):
    env, mail_dir = queue
    question = make_question(alice, title="Restart me")
    with worker(env) as first:
        answer(question, bob, "Answer one.")
        wait_for(lambda: len(mails(mail_dir)) == 1)
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0  # a clean stop, not a crash
    answer(question, bob, "Answer two.")  # queued while no worker runs
    answer(question, bob, "Answer three.")
    time.sleep(1)
    assert len(mails(mail_dir)) == 1
    assert DBTaskResult.objects.filter(status="READY").count() == 2
    with worker(env):
        wait_for(lambda: len(mails(mail_dir)) == 3)
        time.sleep(1)  # nothing is sent twice
    sent = mails(mail_dir)
    assert len(sent) == 3
    for text in ["Answer one.", "Answer two.", "Answer three."]:
        assert sum(text in m for m in sent) == 1
    assert all("To: alice@example.com" in m for m in sent)
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 3


def test_a_failing_send_is_retried_with_back_off(queue, alice, bob):
    env, mail_dir = queue
    mail_dir.write_text("not a directory")  # the file backend refuses to send: a real failure
    question = make_question(alice, title="Flaky mail server")
    answer(question, bob, "Try again.")
    with worker(env):
        wait_for(lambda: DBTaskResult.objects.count() >= 3)  # attempts 1, 2 failed; 3 queued
        mail_dir.unlink()  # the mail server is back
        wait_for(lambda: len(mails(mail_dir)) == 1)
        time.sleep(1)
    sent = mails(mail_dir)
    assert len(sent) == 1 and "Try again." in sent[0]
    jobs = list(DBTaskResult.objects.order_by("enqueued_at"))
    attempts = [job.args_kwargs["kwargs"].get("attempt", 1) for job in jobs]
    assert attempts == list(range(1, len(jobs) + 1))
    assert [job.return_value for job in jobs[:2]] == ["retry in 1 s", "retry in 2 s"]
    assert jobs[-1].return_value == "sent"
    # Each retry waits longer than the last: 1 s, then 2 s.
    assert (jobs[1].run_after - jobs[0].finished_at).total_seconds() == pytest.approx(1, abs=0.3)
    assert (jobs[2].run_after - jobs[1].finished_at).total_seconds() == pytest.approx(2, abs=0.3)
    assert jobs[2].started_at >= jobs[2].run_after


def test_it_gives_up_after_the_last_attempt(queue, alice, bob):
    env, mail_dir = queue
    env["TASKS_MAX_ATTEMPTS"] = "2"
    mail_dir.write_text("not a directory")
    question = make_question(alice, title="Dead mail server")
    answer(question, bob, "Never sent.")
    with worker(env):
        wait_for(lambda: DBTaskResult.objects.filter(status="FAILED").exists())
        time.sleep(1.5)
    assert DBTaskResult.objects.count() == 2  # no third attempt
    failed = DBTaskResult.objects.get(status="FAILED")
    assert failed.args_kwargs["kwargs"] == {"attempt": 2}
    assert "ImproperlyConfigured" in failed.exception_class_path


def test_the_back_off_doubles_up_to_an_hour(settings):
    settings.TASKS_RETRY_BASE_SECONDS = 30
    assert [retry_delay(n) for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1920, 3600]


def test_a_queue_failure_does_not_break_answering(settings, alice, bob, caplog):
    settings.TASKS = DATABASE
    with connection.cursor() as cursor:  # the queue's table is gone: enqueue fails
        cursor.execute("ALTER TABLE django_tasks_database_dbtaskresult RENAME TO broken_queue")
    try:
        question = make_question(alice)
        posted = answer(question, bob, "Still saved.")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE broken_queue RENAME TO django_tasks_database_dbtaskresult")
    assert posted.pk and question.answers.count() == 1
    assert f"answer {posted.pk}: could not queue the e-mail" in caplog.text


def test_a_failed_live_publish_is_queued_for_the_worker(queue, settings, alice, bob):
    from deploy.ports import free_port

    settings.LIVE_BACKEND = "nchan"
    settings.LIVE_PUBLISH_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens: it fails
    question = make_question(alice)
    posted = answer(question, bob, "Comet server away.")
    retry = DBTaskResult.objects.get(task_path="qa.tasks.answer_publish_retry")
    assert retry.args_kwargs == {"args": [posted.pk], "kwargs": {}}
    assert retry.run_after > retry.enqueued_at  # after the back-off, not at once


def test_with_live_off_no_publish_is_queued(queue, settings, alice, bob):
    settings.LIVE_BACKEND = "off"
    answer(make_question(alice), bob, "No comet server configured.")
    assert not DBTaskResult.objects.filter(task_path="qa.tasks.answer_publish_retry").exists()

"""Background jobs: work that must not hold up the poster's request (django-tasks).

Jobs wait in the database (django_tasks_db) until `manage.py db_worker` runs them, so a
stopped or restarted worker loses none. django-tasks has no retries of its own: a failed send
queues the next attempt with `run_after` (exponential back-off, settings.TASKS_*).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task

from live import publisher

from .models import Answer

logger = logging.getLogger(__name__)


def retry_delay(attempt: int) -> int:
    """Seconds before attempt `attempt + 1`: BASE, 2×BASE, 4×BASE …, at most an hour."""
    return min(3600, settings.TASKS_RETRY_BASE_SECONDS * 2 ** (attempt - 1))


def answer_notify_author(answer: Answer) -> None:
    """E-mail the question's author. Run by the task queue (qa/tasks.py): a transport error
    raises, so the queue tries again later."""
    question = answer.question
    author = question.author
    if author.pk == answer.author_id or not author.email:
        return
    context = {"answer": answer, "question": question, "site_url": settings.SITE_URL}
    # The same words whether the worker or the request sends it: the site's language (we do
    # not know the reader's; the page they asked from chose it for that request only).
    with translation.override(settings.LANGUAGE_CODE):
        # Titles are one line since qa/forms.py; older ones may still hold CR/LF.
        title = " ".join(question.title.split())[:80]
        send_mail(
            subject=translation.gettext("New answer to “%(title)s”") % {"title": title},
            message=render_to_string("qa/email/new_answer.txt", context),
            from_email=None,
            recipient_list=[author.email],
        )


@task()
def answer_notify(answer_id: int, attempt: int = 1) -> str:
    """E-mail the question's author about a new answer; on a transport error, try again later."""
    answer = Answer.objects.select_related("question__author").filter(pk=answer_id).first()
    if answer is None:  # deleted before the worker got to it
        return "gone"
    try:
        answer_notify_author(answer)
    except Exception:
        backend = answer_notify.get_backend()
        if attempt >= settings.TASKS_MAX_ATTEMPTS or not backend.supports_defer:
            logger.exception("answer %s: e-mail failed, attempt %s, giving up", answer_id, attempt)
            raise  # the queue records it as FAILED
        delay = retry_delay(attempt)
        answer_notify.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
            answer_id, attempt=attempt + 1
        )
        logger.warning(
            "answer %s: e-mail failed (attempt %s), retrying in %s s",
            answer_id,
            attempt,
            delay,
            exc_info=True,
        )
        return f"retry in {delay} s"
    return "sent"


@task()
def answer_publish_retry(answer_id: int, attempt: int = 1) -> str:
    """Publish a new answer to its live channel again after a failed publish; back off and
    try again while the comet server (or its Redis) is away, then give up: pages that
    reconnect catch up from the database anyway."""
    if publisher.publish_answer(answer_id):
        return "published"
    if attempt >= settings.LIVE_RETRY_ATTEMPTS:
        logger.warning("answer %s: live publish failed %s times, giving up", answer_id, attempt)
        return "gave up"
    delay = settings.LIVE_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    answer_publish_retry.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
        answer_id, attempt=attempt + 1
    )
    return f"retry in {delay} s"


def answer_publish(answer_id: int) -> None:
    """Publish a new answer now (after its commit); when that fails, hand it to the worker."""
    if publisher.publish_answer(answer_id) or settings.LIVE_BACKEND == "off":
        return
    if not answer_publish_retry.get_backend().supports_defer:
        return  # jobs run in the request (tests): no point retrying at once
    try:
        answer_publish_retry.using(
            run_after=timezone.now() + timedelta(seconds=settings.LIVE_RETRY_BASE_SECONDS)
        ).enqueue(answer_id)
    except Exception:
        logger.exception("answer %s: could not queue the live publish retry", answer_id)


def answer_notify_enqueue(answer_id: int) -> None:
    """Queue the e-mail (after the answer's commit); a queue failure never breaks answering."""
    try:
        answer_notify.enqueue(answer_id)
    except Exception:
        logger.exception("answer %s: could not queue the e-mail", answer_id)

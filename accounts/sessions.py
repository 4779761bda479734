"""SESSION_ENGINE: Django's database sessions, read by SQL written once per process.

Every page a member opens reads their session first. Django's engine builds that one-row
query with the ORM on every request (~0.6 ms of CPU, four times what running it costs); this
engine runs the same query from a string. Writes, expiry and `clearsessions` are Django's.
Sessions stay in the database, not the cache: a logout must end the session even when the
cache refuses the delete.
"""

import functools
import logging
from types import SimpleNamespace

from django.contrib.sessions.backends import db
from django.core.exceptions import SuspiciousOperation
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        try:
            key = self.session_key
            using = router.db_for_read(self.model, instance=None)
            connection = connections[using]
            with connection.cursor() as cursor:
                cursor.execute(
                    _select_sql(using, self.model._meta.db_table),
                    [key, connection.ops.adapt_datetimefield_value(timezone.now())],
                )
                row = cursor.fetchone()
        except SuspiciousOperation as error:  # as Django's engine: logged, no session
            logger = logging.getLogger(f"django.security.{error.__class__.__name__}")
            logger.warning(str(error))
            row = None
        if row is None:
            self._session_key = None
            return None
        return SimpleNamespace(session_data=row[0])


@functools.cache
def _select_sql(using: str, table: str) -> str:
    quote = connections[using].ops.quote_name
    return (
        f"SELECT {quote('session_data')} FROM {quote(table)} "
        f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s"
    )

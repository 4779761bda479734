"""Log formatting and rate limiting shared by settings.LOGGING and the apps.

Every event is one line; an error's traceback follows it. A message can carry user input (a
request path, a query), so its line breaks are escaped: nobody can forge a log line.
"""

import logging
import threading
import time


class OneLineFormatter(logging.Formatter):
    """One line per event, then its traceback indented: a line at column 0 is always an event.

    The message's CR/LF are escaped; a traceback's lines are indented, so an exception message
    holding user input with line breaks cannot start a line of its own either.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 — logging's API
        record.message = record.message.replace("\r", "\\r").replace("\n", "\\n")
        return super().formatMessage(record)

    def formatException(self, ei) -> str:  # noqa: N802
        return _indent(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return _indent(super().formatStack(stack_info))


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.replace("\r", "\\r").split("\n"))


class RateLimitedLogger:
    """Log one line per `interval` seconds per key, counting what it dropped in between.

    For conditions that repeat on every request while they last (a full disk under the cache):
    the first occurrence is logged at once, the rest are summarised by the next line.
    """

    def __init__(self, logger: logging.Logger, interval: float = 60.0) -> None:
        self.logger = logger
        self.interval = interval
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._dropped: dict[str, int] = {}

    def warning(self, key: str, msg: str, *args) -> bool:
        """Log `msg` unless `key` was logged less than `interval` ago; True when logged."""
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.interval:
                self._dropped[key] = self._dropped.get(key, 0) + 1
                return False
            self._last[key] = now
            dropped = self._dropped.pop(key, 0)
        if dropped:
            msg += " (%d more like this not logged in the last %d s)"
            args = (*args, dropped, int(self.interval))
        self.logger.warning(msg, *args)
        return True


class SecurityEventsOnOneLine(logging.Filter):
    """django.security.* events (a redirect too long, a bad multipart body) without traceback.

    Django logs every SuspiciousOperation at ERROR with its traceback; anyone can cause one per
    request, so their traceback (always the same Django internals) would fill the log.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.security."):
            record.exc_info = None
            record.exc_text = None
        return True

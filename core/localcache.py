"""A small in-process copy of values read from the shared cache, for values whose key already
says when they are stale (a site generation in it): reading them again from the shared cache on
every page (a file or a memcached round trip, unpickling) only returns the same value. Also what
core.generation.KeptUnderGeneration keeps rows read from the database in.

Each entry also keeps the moment it expires, so a value is never held here longer than the
shared cache would have held it. Bounded: the least recently used entries go first.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class LocalCache:
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()  # gthread workers share it

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= time.time():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def set(self, key: Hashable, value: Any, expires_at: float) -> None:
        with self._lock:
            self._entries[key] = (expires_at, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

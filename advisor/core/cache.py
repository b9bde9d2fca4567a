"""The one cache policy for expensive per-process objects (models, retrievers, engines, derived tables).

Each cache is a bounded LRU (cachetools) behind a lock, and a missing entry is built once: concurrent
first requests wait for the one build instead of each loading its own copy of a model.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import LRUCache

T = TypeVar("T")


class OnceCache(Generic[T]):
    """key -> object, built at most once per key while it stays among the `maxsize` most recent."""

    def __init__(self, maxsize: int):
        self._items: LRUCache[Hashable, T] = LRUCache(maxsize=maxsize)
        self._lock = threading.RLock()

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        with self._lock:  # held while building: a second caller waits for the first build
            if key not in self._items:
                self._items[key] = build()
            return self._items[key]

    def peek(self, key: Hashable) -> T | None:
        with self._lock:
            return self._items.get(key)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

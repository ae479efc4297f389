"""Encoded questions, kept by revision: a reply mostly reuses what the worker sent before.

A user's list is mostly finished questions, and a finished question's JSON
changes only when its row does, which moves its revision (schema step 7: a
trigger, so no write can forget; a change to the thread updates the row too).
A worker keeps what it encoded of each finished question by ``(id, revision)``:
its list item (``EncodedItems``) and its whole thread as a GET sends it. A list
then reads only its page's keys (id, revision, status) and the rows of the items
it lacks (Desk.list_page), and a GET only the question's key (Desk.question_key)
when it holds the thread. Open questions are never kept: their
``expected_answer_by`` moves with the queue. Nothing kept can go stale: a
changed question has a new revision, so its old entry is never asked for again
and ages out.

Each worker (each node) keeps its own, bounded in bytes (a list item is a few
hundred bytes to a few KB; a thread is as long as its comments).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from ..desk.models import OPEN_STATUSES
from ..desk.questions import Listed

#: Bytes of JSON one worker keeps of each kind (the least recently used go first).
CAPACITY = 32 * 1024 * 1024

V = TypeVar("V")
Key = tuple[int, int]  # (question id, revision)


class KeptByRevision(Generic[V]):
    """``(id, revision) -> value``, at most ``capacity`` bytes by ``size(value)``, least recently
    used first out; safe across threads."""

    def __init__(self, size: Callable[[V], int], capacity: int = CAPACITY):
        self._size = size
        self._capacity = capacity
        self._bytes = 0
        self._values: OrderedDict[Key, V] = OrderedDict()
        self._lock = threading.Lock()  # desk threads look up, the loop stores

    def __len__(self) -> int:
        return len(self._values)

    def get(self, key: Key) -> V | None:
        return self.get_many([key]).get(key)

    def get_many(self, keys: Iterable[Key]) -> dict[Key, V]:
        """The values kept of ``keys`` (each now the most recently used), under one lock."""
        found = {}
        with self._lock:
            for key in keys:
                value = self._values.get(key)
                if value is not None:
                    self._values.move_to_end(key)
                    found[key] = value
        return found

    def keep(self, pairs: Iterable[tuple[Key, V]]) -> None:
        with self._lock:
            for key, value in pairs:
                previous = self._values.pop(key, None)
                if previous is not None:
                    self._bytes -= self._size(previous)
                self._values[key] = value
                self._bytes += self._size(value)
            while self._bytes > self._capacity:
                _key, oldest = self._values.popitem(last=False)
                self._bytes -= self._size(oldest)


class EncodedItems(KeptByRevision[bytes]):
    """The list items of finished questions, as sent."""

    def __init__(self, encode: Callable[[object], bytes], capacity: int = CAPACITY):
        super().__init__(len, capacity)
        self._encode = encode

    def lookup(self) -> tuple[Callable[[list[Key]], set[int]], dict[int, bytes]]:
        """For one page: ``known`` (Desk.list_page's argument) and the items it found, by id.

        ``known`` takes what it finds as it answers, so an entry evicted before the page is
        joined is still there for that page."""
        found: dict[int, bytes] = {}

        def known(keys: list[Key]) -> set[int]:
            found.update(
                (question_id, item) for (question_id, _revision), item in self.get_many(keys).items()
            )
            return set(found)

        return known, found

    def page(self, listed: list[Listed], next_cursor: str | None, found: dict[int, bytes]) -> bytes:
        """The page's JSON: the items found, the others encoded (and kept when finished)."""
        parts = []
        fresh = []
        for question_id, revision, fields in listed:
            if fields is None:
                parts.append(found[question_id])
                continue
            item = self._encode(fields)
            parts.append(item)
            if fields["status"] not in OPEN_STATUSES:
                fresh.append(((question_id, revision), item))
        if fresh:
            self.keep(fresh)
        return b'{"questions":[' + b",".join(parts) + b'],"next_cursor":' + self._encode(next_cursor) + b"}"

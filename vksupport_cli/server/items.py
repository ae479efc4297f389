"""Encoded list items, kept by question revision: a list page mostly reuses what it sent before.

A user's list is mostly finished questions, and a finished question's item
changes only when its row does, which moves its revision (schema step 7: a
trigger, so no write can forget). A worker keeps each finished item it encoded,
by ``(id, revision)``; a list then reads only its page's keys (id, revision,
status) and the rows of the items it lacks (Desk.list_page), and joins the
bytes it holds. Open questions are never kept: their ``expected_answer_by``
moves with the queue. Nothing here can go stale: a changed question has a new
revision, so its old entry is simply never asked for again and ages out.

Each worker (each node) keeps its own; the bound is on entries, and an entry
is one question's item as sent (a few hundred bytes to a few KB).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from ..desk.models import OPEN_STATUSES
from ..desk.questions import Listed

#: Entries one worker keeps (the least recently used go first): ~20 MB at ~1 KB an item.
CAPACITY = 20_000


class EncodedItems:
    """``(id, revision) -> the item's JSON``, least recently used first out; safe across threads."""

    def __init__(self, encode: Callable[[object], bytes], capacity: int = CAPACITY):
        self._encode = encode
        self._capacity = capacity
        self._items: OrderedDict[tuple[int, int], bytes] = OrderedDict()
        self._lock = threading.Lock()  # known() runs in desk threads, page() on the loop

    def __len__(self) -> int:
        return len(self._items)

    def lookup(self) -> tuple[Callable[[int, int], bool], dict[int, bytes]]:
        """For one page: ``known`` (Desk.list_page's argument) and the items it found, by id.

        ``known`` takes what it finds as it answers, so an entry evicted before the page is
        joined is still there for that page."""
        found: dict[int, bytes] = {}

        def known(question_id: int, revision: int) -> bool:
            with self._lock:
                item = self._items.get((question_id, revision))
                if item is None:
                    return False
                self._items.move_to_end((question_id, revision))
            found[question_id] = item
            return True

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
            with self._lock:
                self._items.update(fresh)
                while len(self._items) > self._capacity:
                    self._items.popitem(last=False)
        return b'{"questions":[' + b",".join(parts) + b'],"next_cursor":' + self._encode(next_cursor) + b"}"

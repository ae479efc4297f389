"""Push for the question GET: long-polls woken when their question changes.

A long-poll registers the version of the question it has just read and awaits
an ``asyncio.Event`` shared by every waiter on that question: no thread, no
timer task, no database work per waiter. One watcher task per worker process
notices changes, in one of two ways (desk/changes.py):

- PostgreSQL tells (``ChangeFeed``): the task listens on one connection and
  wakes the waiters of each question id the database names, whichever node
  committed the change. When it starts listening, first or again after its
  connection dropped, it wakes every waiter, since it cannot know what changed
  while it did not listen. So that a change told between a waiter's read and
  its registering is not missed, a long-poll takes a ``mark`` before it reads
  and ``wait`` returns at once if its question was told of since (the last
  ``RECENT`` ids told are remembered; older marks just look again).
- SQLite is watched (``ChangeProbe``): the task runs only while someone waits,
  every ``interval`` seconds, or at once when this worker has just served a
  write (``poke``), asks the probe whether anything was committed to the file
  (by this worker or any other process), and only then reads the versions of
  the watched questions in one query and wakes the questions whose version
  moved.

A woken waiter reads its question again and answers if the reply differs from
what its client holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from ..desk.changes import ChangeFeed, ChangeProbe

#: Seconds between two looks at the file while someone waits (writes by this worker wake at once).
INTERVAL = 0.25
#: How many told question ids a watch remembers for the waiters still reading (see ``mark``).
RECENT = 10_000


@dataclass
class _Watched:
    """The waiters of one question: the version they hold and the event that wakes them."""

    version: str
    event: asyncio.Event = field(default_factory=asyncio.Event)
    waiters: int = 0

    def wake(self, version: str) -> None:
        self.event.set()
        self.event = asyncio.Event()
        self.version = version


class QuestionWatch:
    """Every long-poll of one worker process, and the one task that wakes them."""

    def __init__(
        self, open_source: Callable[[], ChangeFeed | ChangeProbe | None], *, interval: float = INTERVAL
    ):
        self._open_source = open_source
        self._source: ChangeFeed | ChangeProbe | None = None
        self._opened = False
        self._interval = interval
        self._watched: dict[int, _Watched] = {}
        self._poked: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        # What the feed told: a count of notices, the count at each question's last one (the
        # latest RECENT), and the count below which nothing is known (forgotten, or not heard).
        self._told = 0
        self._recent: OrderedDict[int, int] = OrderedDict()
        # Before the feed first listens, waiters just wait: its first listening wakes them all.
        self._known_since = 0
        #: How many long-polls are pending on this worker.
        self.waiters = 0

    def available(self) -> bool:
        """Whether this desk's changes can be noticed (PostgreSQL, a SQLite file); else long-polls are off."""
        if self._source is None and not self._opened:
            self._opened = True
            self._source = self._open_source()
        return self._source is not None

    def mark(self) -> int:
        """Take before reading a question to wait on; give it to ``wait``."""
        return self._told

    async def wait(self, question_id: int, version: str, timeout: float, since: int | None = None) -> bool:
        """Wait up to ``timeout`` seconds for question ``question_id`` to move from ``version``
        (as read after ``mark()`` gave ``since``).

        True when woken (the question may have changed: read it again), False when the time ran out.
        """
        self._start()
        if (
            isinstance(self._source, ChangeFeed)
            and since is not None
            and self._told_since(question_id, since)
        ):
            return True
        watched = self._watched.get(question_id)
        if watched is None:
            watched = self._watched[question_id] = _Watched(version)
        elif watched.version != version:  # someone holds an older reading: let everyone look again
            watched.wake(version)
        watched.waiters += 1
        self.waiters += 1
        event = watched.event
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
            return True
        except TimeoutError:
            return False
        finally:
            watched.waiters -= 1
            self.waiters -= 1
            if watched.waiters == 0 and self._watched.get(question_id) is watched:
                del self._watched[question_id]

    def poke(self) -> None:
        """This worker has just written: look now rather than at the next interval."""
        if self._poked is not None and self._watched:
            self._poked.set()

    def _start(self) -> None:
        if self._task is None or self._task.done():
            self.available()
            loop = asyncio.get_running_loop()
            if isinstance(self._source, ChangeFeed):
                self._task = loop.create_task(self._source.run(self._listening, self._told_of))
            else:
                self._poked = asyncio.Event()
                self._task = loop.create_task(self._run(self._poked))

    # -- told (PostgreSQL) --------------------------------------------------------

    def _listening(self) -> None:
        """The feed listens (again): whatever happened before is unknown, so every waiter looks again."""
        self._told += 1
        self._known_since = self._told
        self._recent.clear()
        for watched in list(self._watched.values()):
            watched.wake(watched.version)

    def _told_of(self, question_id: int) -> None:
        self._told += 1
        self._recent[question_id] = self._told
        self._recent.move_to_end(question_id)
        if len(self._recent) > RECENT:
            _forgotten, count = self._recent.popitem(last=False)
            self._known_since = count + 1
        watched = self._watched.get(question_id)
        if watched is not None:
            watched.wake(watched.version)

    def _told_since(self, question_id: int, since: int) -> bool:
        """Whether ``question_id`` may have changed after ``mark()`` gave ``since``."""
        return since < self._known_since or self._recent.get(question_id, 0) > since

    # -- watched (SQLite) ---------------------------------------------------------

    async def _run(self, poked: asyncio.Event) -> None:
        probe = self._source if isinstance(self._source, ChangeProbe) else None
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await poked.wait()
            poked.clear()
            if self._watched:
                try:
                    probe = self._look(probe)
                except sqlite3.Error:  # the file is away for a moment: a new probe, and a full look
                    if probe is not None:
                        probe.close()
                    probe = None
                if probe is not None:
                    self._source = probe

    def _look(self, probe: ChangeProbe | None) -> ChangeProbe | None:
        """Wake the watched questions whose version moved; returns the probe to use next time."""
        if probe is None:
            opened = self._open_source()
            if not isinstance(opened, ChangeProbe):
                return None
            probe = opened
            # A first look: whatever was committed before the probe opened counts as news.
        elif not probe.moved():
            return probe
        current = probe.versions(self._watched)
        for question_id, watched in list(self._watched.items()):
            version = current.get(question_id, "")  # "": deleted, which wakes its waiters too
            if version != watched.version:
                watched.wake(version)
        return probe

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if isinstance(self._source, ChangeProbe):
            self._source.close()
        self._source = None

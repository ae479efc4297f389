"""Push for the question GET: long-polls woken when their question changes.

A long-poll registers the version of the question it has just read and awaits
an ``asyncio.Event`` shared by every waiter on that question: no thread, no
timer task, no database work per waiter. One watcher task per worker process
notices changes. It runs only while someone waits: every ``interval`` seconds,
or at once when this worker has just served a write (``poke``), it asks the
``ChangeProbe`` whether anything was committed to the file (by this worker or
any other process), and only then reads the versions of the watched questions
in one query and wakes the questions whose version moved. A woken waiter reads
its question again and answers if the reply differs from what its client holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from ..desk.changes import ChangeProbe

#: Seconds between two looks at the file while someone waits (writes by this worker wake at once).
INTERVAL = 0.25


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

    def __init__(self, open_probe: Callable[[], ChangeProbe | None], *, interval: float = INTERVAL):
        self._open_probe = open_probe
        self._probe: ChangeProbe | None = None
        self._opened = False
        self._interval = interval
        self._watched: dict[int, _Watched] = {}
        self._poked: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        #: How many long-polls are pending on this worker.
        self.waiters = 0

    def available(self) -> bool:
        """Whether this desk's changes can be noticed (a SQLite file: yes); else long-polls are off."""
        if self._probe is None and not self._opened:
            self._opened = True
            self._probe = self._open_probe()
        return self._probe is not None

    async def wait(self, question_id: int, version: str, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for question ``question_id`` to move from ``version``.

        True when woken (the question may have changed: read it again), False when the time ran out.
        """
        self._start()
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
            self._poked = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(self._poked))

    async def _run(self, poked: asyncio.Event) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await poked.wait()
            poked.clear()
            if self._watched:
                try:
                    self._look()
                except sqlite3.Error:  # the file is away for a moment: a new probe, and a full look
                    if self._probe is not None:
                        self._probe.close()
                    self._probe = None

    def _look(self) -> None:
        if self._probe is None:
            self._probe = self._open_probe()
            if self._probe is None:
                return
            # A first look: whatever was committed before the probe opened counts as news.
        elif not self._probe.moved():
            return
        current = self._probe.versions(self._watched)
        for question_id, watched in list(self._watched.items()):
            version = current.get(question_id, "")  # "": deleted, which wakes its waiters too
            if version != watched.version:
                watched.wake(version)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._probe is not None:
            self._probe.close()
            self._probe = None

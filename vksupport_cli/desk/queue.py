"""The agent queue: agents take waiting questions (advertisers first, else at random) and see
what waits in order of urgency.

Every waiting question holds a random key (``pick``, drawn when it enters the
queue). A take draws a random point and takes the waiting question with the
first key at or after it, wrapping to the smallest key: one probe of the
``questions_queue`` index (kind, pick) per try, never a sort of the whole
queue, and every probe is in one statement. Advertisers' questions are tried first. Where the database locks rows,
the probe skips rows another agent holds (``FOR UPDATE SKIP LOCKED``), so ten
agents taking at once never wait on each other and never get the same question.
"""

from __future__ import annotations

from ..errors import BadInput
from ..i18n import _
from .accounts import require_agent
from .inputs import LIST_LIMIT_MAX
from .models import Question, User
from .records import LIST_SELECT, PICKS, DeskPart, page_loaded
from .store import Store

#: The order kinds are served in.
_KINDS_FIRST = ("ads", "standard")
#: At or after the point, then (wrapping) before it.
BOUNDS = ("pick >= ?", "pick < ?")


class AgentQueue(DeskPart):
    def take(self, agent: User) -> Question | None:
        """Give the agent a waiting question (advertisers first, else at random), or None."""
        require_agent(agent)
        now = self._now()
        point = self.rng.randrange(PICKS)
        with self.store.write():
            question_id = self._next_waiting(point)
            if question_id is None:
                return None
            self.store.execute(
                "UPDATE questions SET status = 'in_progress', agent_id = ?,"
                " taken_at = COALESCE(taken_at, ?), updated_at = ? WHERE id = ?",
                (agent.id, now, now, question_id),
            )
        return self._question(agent, question_id)

    def _next_waiting(self, point: int) -> int | None:
        """The waiting question whose key is first at or after ``point`` (wrapping), ads first."""
        args = [value for kind in _KINDS_FIRST for _bound in BOUNDS for value in (kind, point)]
        row = self.store.execute(probes(self.store), args).fetchone()
        return None if row is None else int(row[0])

    def queue(self, agent: User, *, limit: int = 100) -> list[Question]:
        """Waiting questions in the order of urgency: advertisers first, then oldest."""
        require_agent(agent)
        if not 1 <= limit <= LIST_LIMIT_MAX:
            raise BadInput(_("Limit must be between 1 and {limit}.").format(limit=LIST_LIMIT_MAX))
        rows = self.store.execute(
            f"{LIST_SELECT} WHERE q.status = 'waiting'"
            " ORDER BY CASE q.kind WHEN 'ads' THEN 0 ELSE 1 END, q.queued_at, q.id LIMIT ?",
            (limit,),
        ).fetchall()
        loaded = page_loaded(rows)
        return [self._build(row, [], [], loaded) for row in rows]


def probes(store: Store) -> str:
    """The take's one statement: every probe, in order (bind kind and point for each of them)."""
    return _PROBES[store.skip_locked]


def _probe(bound: str, skip_locked: str) -> str:
    """One probe: the first waiting question of a kind within ``bound`` of the point."""
    return (
        f"SELECT id FROM questions WHERE status = 'waiting' AND kind = ? AND {bound}"  # noqa: S608
        f" ORDER BY pick, id LIMIT 1{skip_locked}"
    )


def _probes(skip_locked: str) -> str:
    """Every probe in order, in one statement: the first that finds a row ends it (``LIMIT 1`` over
    ``UNION ALL`` runs its parts one after another and stops), so only that row is locked."""
    parts = [
        f"SELECT id FROM ({_probe(bound, skip_locked)}) AS p{n}"  # noqa: S608 - constants only
        for n, bound in enumerate(bound for _kind in _KINDS_FIRST for bound in BOUNDS)
    ]
    return " UNION ALL ".join(parts) + " LIMIT 1"


#: The probes' statement for each dialect's row locking (``Store.skip_locked``).
_PROBES = {skip: _probes(skip) for skip in ("", " FOR UPDATE SKIP LOCKED")}

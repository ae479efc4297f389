"""The agent queue: agents take waiting questions (advertisers first, else at random) and see
what waits in order of urgency."""

from __future__ import annotations

from ..errors import BadInput
from ..i18n import _
from .accounts import require_agent
from .inputs import LIST_LIMIT_MAX
from .models import Question, User
from .records import QUESTION_SELECT, DeskPart

#: How a question is picked from the queue: advertisers first, then at random.
_QUEUE_ORDER = "CASE kind WHEN 'ads' THEN 0 ELSE 1 END, random()"


class AgentQueue(DeskPart):
    def take(self, agent: User) -> Question | None:
        """Give the agent a waiting question (advertisers first, else at random), or None."""
        require_agent(agent)
        now = self._now()
        with self.store.write():
            row = self.store.execute(
                f"SELECT id FROM questions WHERE status = 'waiting' ORDER BY {_QUEUE_ORDER} LIMIT 1"  # noqa: S608 - a constant
            ).fetchone()
            if row is None:
                return None
            self.store.execute(
                "UPDATE questions SET status = 'in_progress', agent_id = ?,"
                " taken_at = COALESCE(taken_at, ?), updated_at = ? WHERE id = ?",
                (agent.id, now, now, row["id"]),
            )
        return self._question(agent, row["id"])

    def queue(self, agent: User, *, limit: int = 100) -> list[Question]:
        """Waiting questions in the order of urgency: advertisers first, then oldest."""
        require_agent(agent)
        if not 1 <= limit <= LIST_LIMIT_MAX:
            raise BadInput(_("Limit must be between 1 and {limit}.").format(limit=LIST_LIMIT_MAX))
        rows = self.store.execute(
            f"{QUESTION_SELECT} WHERE q.status = 'waiting'"
            " ORDER BY CASE q.kind WHEN 'ads' THEN 0 ELSE 1 END, q.queued_at, q.id LIMIT ?",
            (limit,),
        ).fetchall()
        loaded = self._loaded()
        return [self._build(row, [], [], loaded) for row in rows]

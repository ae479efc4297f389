"""Scale benchmark of the desk's database: PostgreSQL with a million questions, and the take on SQLite.

Run from the project root:

    .venv/bin/python bench/scale_desk.py                      # a throw-away cluster, full scale
    .venv/bin/python bench/scale_desk.py --scale 0.1          # a tenth of everything
    .venv/bin/python bench/scale_desk.py --postgres URL       # an empty database of yours
    .venv/bin/python bench/scale_desk.py --skip-postgres      # the SQLite part only

PostgreSQL part: loads (with COPY) 1,000,000 questions from 100,000 users, of
which 100,000 are waiting (one per user: the one-open rule) and one user has
1,000 questions; then, on 100 threads each holding its own pooled connection
(100 connections), measures p50/p99 of

- floor: ``SELECT 1`` through the same store, pool and threads (what no
  operation can beat here);
- list: the first page (20) of the user with 1,000 questions;
- get: a random question, read by its author (with its comments and attachments);
- ask: a new question by a user with none open;
- take: an agent takes a waiting question (random key, SKIP LOCKED).

Each operation runs ``--ops`` times (default 2,000), all threads at once. The
goal is p99 under 50 ms each. The latencies include the Python client: 100
threads share one interpreter (the GIL), so they are an upper bound on what
the database costs; the machine's cores are shared with whatever else runs.
In a closed loop the mean latency is connections / throughput, so the same
operations are first timed on one connection, one at a time: the cost of one,
with the statements each sends and the pooled connections it takes.

``--rate R[,R...]`` adds open-loop passes: operations arrive at R a second
(evenly spaced), served by up to 100 connections, and each latency runs from
the moment the operation was due, so time spent waiting for a free thread
counts (no coordinated omission). This is the latency a desk offered R
operations a second shows, rather than the closed loop's 100 always waiting.
Last, the take in a closed loop with the change trigger (schema step 6, the
NOTIFY that wakes long-polls on every node) off, then on: what push costs writes.

SQLite part: a desk with 100,000 waiting questions; the cost of one take the
old way (``ORDER BY random()`` over the whole queue inside the write lock) and
the new way (a probe of the queue index at a random key), ``--sqlite-takes``
takes each (default 300).

Everything runs on 127.0.0.1 and in temporary folders removed at the end.
``--scale`` multiplies every count (questions, users, waiting, the heavy
user's 1,000, and the SQLite queue).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "tests"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from vksupport_cli.desk.service import Desk  # noqa: E402

NOW = "2026-11-26T12:00:00.000Z"
PICKS = 2**31


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def line(name: str, values: list[float]) -> str:
    return (
        f"  {name:<6} n={len(values):<6} p50 {pct(values, 0.5):7.2f} ms   p99 {pct(values, 0.99):7.2f} ms"
        f"   max {max(values) * 1000:7.1f} ms"
    )


# -- PostgreSQL ----------------------------------------------------------------------------


def load_postgres(url: str, scale: float, out, asks: int) -> dict:
    """Fill an empty desk database; returns the ids the measurements need."""
    import psycopg

    questions, users = int(1_000_000 * scale), int(100_000 * scale)
    waiting, heavy = int(100_000 * scale), max(20, int(1_000 * scale))
    askers = asks  # users with no question: one per ask measured
    Desk.open(url).close()  # the schema and the help centre
    rng = random.Random(1)
    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        with cur.copy("COPY users (id, name, role, created_at) FROM STDIN") as copy:
            for uid in range(1, users + askers + 1):
                copy.write_row((uid, f"user{uid}", "user", NOW))
            for n in range(10):
                copy.write_row((users + askers + 1 + n, f"agent{n}", "agent", NOW))
        cur.execute("SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))")
        columns = "user_id, kind, topic, title, body, status, created_at, updated_at, queued_at, pick"
        with cur.copy(f"COPY questions ({columns}) FROM STDIN") as copy:
            # the heavy user: 1,000 questions, the last one waiting
            for n in range(heavy):
                status = "waiting" if n == heavy - 1 else "closed"
                copy.write_row(
                    (
                        1,
                        "standard",
                        "account",
                        f"Вопрос {n}",
                        "Текст.",
                        status,
                        NOW,
                        NOW,
                        NOW,
                        rng.randrange(PICKS),
                    )
                )
            made, open_users = heavy, {1}
            # one waiting question for each of the next users, until ``waiting`` are open
            for uid in range(2, waiting + 1):
                kind = "ads" if uid % 50 == 0 else "standard"
                copy.write_row(
                    (
                        uid,
                        kind,
                        "account",
                        f"Вопрос {uid}",
                        "Текст.",
                        "waiting",
                        NOW,
                        NOW,
                        NOW,
                        rng.randrange(PICKS),
                    )
                )
                open_users.add(uid)
                made += 1
            # the rest closed, spread over every user
            while made < questions:
                uid = rng.randint(2, users)
                copy.write_row(
                    (uid, "standard", "account", f"Старый {made}", "Текст.", "closed", NOW, NOW, NOW, 0)
                )
                made += 1
        cur.execute("ANALYZE")
        total = cur.execute("SELECT count(*) FROM questions").fetchone()[0]
        open_now = cur.execute("SELECT count(*) FROM questions WHERE status = 'waiting'").fetchone()[0]
    print(
        f"loaded {total:,} questions from {users:,} users ({open_now:,} waiting; user 1 has {heavy:,})"
        f" in {time.monotonic() - started:.0f} s",
        file=out,
        flush=True,
    )
    return {"users": users, "askers": range(users + 1, users + askers + 1), "agents": users + askers + 1}


def measure_postgres(
    url: str, ids: dict, ops: int, threads: int, out, rate: float | None = None, only: tuple[str, ...] = ()
) -> dict[str, list[float]]:
    """p50/p99 of each operation on ``threads`` connections: a closed loop, or open at ``rate`` a second."""
    from vksupport_cli.desk.models import User
    from vksupport_cli.desk.postgres import PostgresStore

    class CountingStore(PostgresStore):
        """The store, counting the statements sent (what a round trip to the server is)."""

        statements = 0

        def execute(self, sql, args=()):  # type: ignore[no-untyped-def]
            self.statements += 1  # racy across threads: read only on one connection
            return super().execute(sql, args)

    store = CountingStore(url, max_size=threads)
    desk = Desk(store)
    for _ in range(threads):  # open all the connections before measuring
        store.pool.wait(timeout=60)
    heavy = User(1, "user1", "user")
    agents = [User(ids["agents"] + n, f"agent{n}", "agent") for n in range(10)]
    question_ids = [row[0] for row in store.execute("SELECT id FROM questions ORDER BY random() LIMIT 5000")]
    owners = {
        row[0]: row[1]
        for row in store.execute("SELECT id, user_id FROM questions WHERE id = ANY(?)", (question_ids,))
    }
    askers = ids["askers"]
    asker_lock = threading.Lock()

    def next_asker() -> User:
        with asker_lock:
            uid = next(askers)
        return User(uid, f"user{uid}", "user")

    operations = {
        # the floor: one trivial statement on a pooled connection, through the same client and threads
        "floor": lambda n: store.execute("SELECT 1"),
        "list": lambda n: desk.list_questions(heavy, limit=20),
        "get": lambda n: desk.get_question(
            User(owners[question_ids[n % len(question_ids)]], "", "user"), question_ids[n % len(question_ids)]
        ),
        "ask": lambda n: desk.ask(next_asker(), topic="account", title=f"Новый {n}", body=f"Текст {n}."),
        "take": lambda n: taken.append(desk.take(agents[n % len(agents)]).id),
    }
    taken: list[int] = []  # list.append is atomic: the threads share it
    results: dict[str, list[float]] = {}
    for name, operation in operations.items():
        if only and name not in only:
            continue
        count = ops
        timings: list[float] = []
        lock = threading.Lock()
        counter = iter(range(count))
        barrier = threading.Barrier(threads + 1)  # the threads, and this one setting the start

        statements, connections = store.statements, store.pool.get_stats().get("requests_num", 0)
        start = [0.0]

        def worker(
            operation=operation, lock=lock, counter=counter, barrier=barrier, timings=timings, start=start
        ) -> None:
            barrier.wait()
            mine = []
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    break
                if rate is None:
                    started = time.perf_counter()
                else:  # open loop: the n-th operation is due at n / rate, whether or not a thread is free
                    started = start[0] + n / rate
                    time.sleep(max(0.0, started - time.perf_counter()))
                operation(n)
                mine.append(time.perf_counter() - started)
            with lock:
                timings.extend(mine)

        pool = [threading.Thread(target=worker) for _ in range(threads)]
        for thread in pool:
            thread.start()
        wall = start[0] = time.perf_counter()
        barrier.wait()
        for thread in pool:
            thread.join()
        wall = time.perf_counter() - wall
        results[name] = timings
        cost = ""
        if threads == 1:
            sent = (store.statements - statements) / count
            checkouts = (store.pool.get_stats().get("requests_num", 0) - connections) / count
            cost = f"   {sent:.1f} statements, {checkouts:.1f} connections each"
        print(line(name, timings) + f"   ({len(timings) / wall:,.0f}/s){cost}", file=out, flush=True)
    print(f"  {len(taken)} takes got {len(set(taken))} different questions", file=out)
    store.close()
    return results


# -- SQLite ------------------------------------------------------------------------------------


def sqlite_takes(scale: float, takes: int, out) -> None:
    waiting = int(100_000 * scale)
    with tempfile.TemporaryDirectory(prefix="vksupport-scale-") as folder:
        path = Path(folder) / "desk.sqlite3"
        desk = Desk.open(path)
        rng = random.Random(2)
        with desk.store.write():
            desk.conn.executemany(
                "INSERT INTO users (id, name, role, created_at) VALUES (?, ?, 'user', ?)",
                ((uid, f"user{uid}", NOW) for uid in range(1, waiting + 1)),
            )
            desk.conn.executemany(
                "INSERT INTO questions (user_id, kind, topic, title, body, status, created_at, updated_at,"
                " queued_at, pick) VALUES (?, ?, 'account', 'Вопрос', 'Текст.', 'waiting', ?, ?, ?, ?)",
                (
                    (uid, "ads" if uid % 50 == 0 else "standard", NOW, NOW, NOW, rng.randrange(PICKS))
                    for uid in range(1, waiting + 1)
                ),
            )
        # The old schema's queue index, for the old way's query
        desk.conn.execute("CREATE INDEX old_questions_queue ON questions (status, kind)")
        desk.conn.execute("ANALYZE")
        agent = desk.ensure_user("agent", "agent")

        def old_take() -> None:
            with desk.store.write():
                row = desk.conn.execute(
                    "SELECT id FROM questions WHERE status = 'waiting'"
                    " ORDER BY CASE kind WHEN 'ads' THEN 0 ELSE 1 END, random() LIMIT 1"
                ).fetchone()
                desk.conn.execute(
                    "UPDATE questions SET status = 'in_progress', agent_id = ?, taken_at = ?, updated_at = ?"
                    " WHERE id = ?",
                    (agent.id, NOW, NOW, row[0]),
                )

        def new_take() -> None:
            with desk.store.write():
                question_id = desk._next_waiting(desk.rng.randrange(PICKS))
                desk.conn.execute(
                    "UPDATE questions SET status = 'in_progress', agent_id = ?, taken_at = ?, updated_at = ?"
                    " WHERE id = ?",
                    (agent.id, NOW, NOW, question_id),
                )

        print(
            f"SQLite, {waiting:,} waiting questions, {takes} takes each (the pick and its UPDATE):", file=out
        )
        for name, take in (("before", old_take), ("after", new_take)):
            timings = []
            for _ in range(takes):
                started = time.perf_counter()
                take()
                timings.append(time.perf_counter() - started)
            print(
                f"  {name:<6} ({'ORDER BY random()' if name == 'before' else 'random key probe'}):"
                f" mean {statistics.mean(timings) * 1000:6.2f} ms, p50 {pct(timings, 0.5):6.2f} ms,"
                f" p99 {pct(timings, 0.99):6.2f} ms",
                file=out,
                flush=True,
            )
        timings = []
        for _ in range(takes):
            started = time.perf_counter()
            desk.take(agent)
            timings.append(time.perf_counter() - started)
        print(
            f"  Desk.take as a whole (the pick, and the question read back): p50 {pct(timings, 0.5):6.2f} ms,"
            f" p99 {pct(timings, 0.99):6.2f} ms",
            file=out,
        )
        desk.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every count (default 1)")
    parser.add_argument(
        "--postgres", metavar="URL", help="an empty PostgreSQL database (default: a throw-away one)"
    )
    parser.add_argument("--ops", type=int, default=2000, help="operations measured per kind (default 2000)")
    parser.add_argument("--threads", type=int, default=100, help="concurrent connections (default 100)")
    parser.add_argument("--sqlite-takes", type=int, default=300, help="takes measured each way (default 300)")
    parser.add_argument(
        "--rate",
        default="",
        metavar="R[,R...]",
        help="also measure in an open loop at these offered rates (operations a second)",
    )
    parser.add_argument("--skip-postgres", action="store_true", help="only the SQLite part")
    args = parser.parse_args(argv)
    out = sys.stdout
    sqlite_takes(args.scale, args.sqlite_takes, out)
    if args.skip_postgres:
        return 0
    cluster = None
    try:
        url = args.postgres
        if url is None:
            from pg_support import PostgresCluster

            cluster = PostgresCluster().start()
            url = cluster.new_database()
        rates = [float(r) for r in args.rate.split(",") if r.strip()]
        sequential = min(args.ops, 300)
        ids = load_postgres(url, args.scale, out, asks=sequential + args.ops * (1 + len(rates)))
        ids["askers"] = iter(ids["askers"])  # shared by both passes: each ask needs a user with none open
        print(
            f"PostgreSQL, 1 connection, {sequential} operations each (the cost of one):", file=out, flush=True
        )
        measure_postgres(url, ids, sequential, 1, out)
        print(
            f"PostgreSQL, closed loop: {args.threads} connections always busy, {args.ops} operations each:",
            file=out,
            flush=True,
        )
        measure_postgres(url, ids, args.ops, args.threads, out)
        for rate in rates:
            print(
                f"PostgreSQL, open loop: {rate:,.0f} operations/s offered, up to {args.threads} connections,"
                f" {args.ops} operations each (latency from when each was due):",
                file=out,
                flush=True,
            )
            measure_postgres(url, ids, args.ops, args.threads, out, rate=rate)
        # What telling every node of a change costs the writes: NOTIFY serialises commits.
        print(
            f"PostgreSQL, closed loop, {args.threads} connections: take with the change trigger off, then on:",
            file=out,
            flush=True,
        )
        import psycopg

        for state in ("DISABLE", "ENABLE"):
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f"ALTER TABLE questions {state} TRIGGER questions_changed")
            measure_postgres(url, ids, args.ops, args.threads, out, only=("take",))
    finally:
        if cluster is not None:
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

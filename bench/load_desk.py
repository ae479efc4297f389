"""Load and fault test of the desk server: users and agents over real HTTP, then an audit of the database.

Run from the project root:

    .venv/bin/python bench/load_desk.py                         # 100 users, 5 agents, 60 s
    .venv/bin/python bench/load_desk.py --kill                  # the same, SIGKILLing a worker mid-load
    .venv/bin/python bench/load_desk.py --duration 10 --users 20
    .venv/bin/python bench/load_desk.py --postgres URL --nodes 2 --agents 10 --kill
                                                                # two nodes on PostgreSQL, one kill -9'ed and restarted

Options: ``--duration`` seconds of load (default 60), ``--users`` (100),
``--agents`` (5), ``--kill`` (SIGKILL one uvicorn worker at 40% of the run;
``--kills N``: N workers, one after another, over 20%..80% of the run),
``--max-requests`` (a bound on HTTP attempts, default 200,000), ``--grace``
(seconds the operations under way get to finish once the load stops, default
30), ``--seed``, ``--keep`` (keep the temporary directory with the database
and the server's log).

What it does: starts ``vksupport desk serve --workers 2 --rate-limit 0`` on a
free port of 127.0.0.1 over a fresh temporary database, creates the accounts
with the desk API (``Desk.add_user``), then runs the simulated people with
asyncio and one ``httpx.AsyncClient``:

- a user asks a question (``POST /questions`` with an ``Idempotency-Key``),
  polls it (``GET`` with ``If-None-Match``), comments on it (with a key), now
  and then follows up on the answer (which reopens it), rates the answer and
  asks again. Now and then a user double-submits an ask (two at once, two
  keys: one 201 and one 409 naming it; or two 201s when the first question
  was answered before the second request arrived, which is checked), or asks
  again while the question is open (409 ``open_question_exists`` naming the
  open one): the intended conflicts;
- an agent takes a question (``POST /agent/take``) and answers it.

Every request that fails in transport, or gets 502/503/504, is retried with
the same headers (so the same idempotency key). A take whose reply was lost is
recovered by the agent from the questions in progress; an answer or a rating
whose retry gets 409 is checked against the question's thread.

With ``--kill``, one worker process (a ``spawn_main`` child of the server
process, found in ``/proc``) gets SIGKILL at 40% of the run, caught while it
runs (state R, so most likely in the middle of a request); the load goes on,
uvicorn's supervisor starts a new worker, and the broken requests are retried.

It prints the requests served (HTTP responses) and their statuses, p50/p90/p99
latency per endpoint, errors by kind (intended conflicts, retries, and
unexpected errors, which must be 0), and then an AUDIT of the database, opened
with ``sqlite3`` after the server has stopped:

- every question a client saw created exists exactly once (its title is
  unique to the user and the attempt), is the user's, and its idempotency key
  maps to it; no question exists that no client asked for;
- every comment a client saw accepted exists exactly once, on its question; no
  comment exists that no client sent; every answer and rating a client saw
  accepted is there;
- no user has two open questions; integrity and foreign-key checks pass;
- the live checks held (a poll showed every comment the user saw accepted, a
  409 named the open question, a double submit created one open question);
- no unexpected error, and no retry at all without ``--kill``;
- with ``--kill``: each killed worker was replaced by the supervisor.

Reading the latency: the load generator is one Python process and uses
about a core of the two; the report prints its CPU time next to the
workers'. With ``--workers 2`` uvicorn leaves Nagle's algorithm on for
accepted connections (Kludex/uvicorn#3149), so on a reused connection every
reply with a body waits for the client's delayed ACK, about 40 ms; a 304 (no
body) does not, which is why polls show a lower p50 than everything else.

Exit status: 0 if the audit passes, 1 if it fails, 2 if the server does not
start. Bounded: the load stops after ``--duration`` seconds or
``--max-requests`` attempts, whichever comes first; operations under way then
get ``--grace`` seconds (retries included) before they are cancelled; the
server is stopped (SIGTERM, then SIGKILL of it and of its workers) in every
case. Linux only (``/proc``). Everything listens on 127.0.0.1.

With ``--postgres URL`` (an empty PostgreSQL database, or ``temp`` for a
throw-away cluster started from Debian's binaries as in the tests) and
``--nodes N``: N ``desk serve`` nodes (one worker each) share that database,
and every request goes to the next node in turn, as behind a round-robin load
balancer; a retried request goes to the next node. ``--kill`` then SIGKILLs a
whole node (``kill -9``) at 40% of the run and starts it again on its port a
second later. The audit reads PostgreSQL (the integrity checks are the
server's constraints) and also checks that no question was handed to two
agents in one stay in the queue (each take is logged with the question's
``queued_at``).

The functions ``run(Options(...), out=...)`` and ``main(argv)`` are what the
smoke test (tests/test_load_smoke.py) imports.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from vksupport_cli.desk.service import Desk  # noqa: E402

API = "/api/v1"
RETRY_STATUSES = {502, 503, 504}
MAX_ATTEMPTS = 10  # per request: the first try and nine retries, about 6 s of backoff in all
OPEN = ("waiting", "in_progress")
BODIES = [
    "Не могу войти в аккаунт: код подтверждения не приходит уже второй день.",
    "Страницу взломали, сменили пароль и пишут друзьям от моего имени.",
    "Заблокировали страницу без объяснения причин, прошу проверить.",
    "Не проходит оплата голосов, деньги списались, а голосов нет.",
    "Сообщество заблокировали по чужой жалобе, хотим оспорить.",
]


@dataclass
class Options:
    duration: float = 60.0
    users: int = 100
    agents: int = 5
    kill: bool = False
    kills: int = 1  # with kill: how many workers to kill, one after another (the first at 40% of the run)
    max_requests: int = 200_000
    grace: float = 30.0
    seed: int | None = None
    workers: int = 2
    think: tuple[float, float] = (0.1, 0.6)  # a user's pause between actions, seconds
    template_db: Path | None = None  # copy this desk database instead of creating one (the tests' template)
    keep: bool = False
    postgres: str | None = None  # a PostgreSQL URL: the nodes share that database instead of a SQLite file
    nodes: int = 1  # server processes behind the round-robin "balancer"


# -- the server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``vksupport desk serve`` in a subprocess on a free loopback port."""

    def __init__(self, db: Path | str, workdir: Path, workers: int, name: str = "server"):
        self.db, self.workers = db, workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"{name}.log"
        self.home = workdir / "home"
        self.process: subprocess.Popen | None = None
        self.seen_workers: dict[
            int, str
        ] = {}  # pid -> its start time, so a reused pid is never taken for ours

    def start(self, timeout: float = 60) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("VKSUPPORT_SERVER", "VKSUPPORT_TOKEN")}
        env["VKSUPPORT_HOME"] = str(self.home)
        args = [
            sys.executable,
            "-m",
            "vksupport_cli",
            "desk",
            "serve",
            "--db",
            str(self.db),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--rate-limit",
            "0",
            "--questions-per-day",
            "0",
            "--attachment-quota",
            "0",
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                args, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=str(ROOT)
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"desk serve exited with {self.process.returncode}: {self.log()[-2000:]}")
            try:
                if httpx.get(f"{self.url}{API}/health", timeout=1).status_code == 200 and (
                    self.workers == 1 or len(self.worker_pids()) == self.workers
                ):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"desk serve did not come up within {timeout:.0f} s: {self.log()[-2000:]}")

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes: children of the server process started by multiprocessing's spawn."""
        if self.process is None or self.process.poll() is not None:
            return []
        pids = []
        for pid in _children(self.process.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
            except OSError:
                continue
            if b"spawn_main" in cmdline and state != "Z":
                pids.append(pid)
        for pid in pids:
            self.seen_workers.setdefault(pid, _start_time(pid))
        return sorted(pids)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is None:
            return
        self.worker_pids()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid, started in self.seen_workers.items():  # a worker the supervisor did not take down with it
            if started and _start_time(pid) == started:
                os.kill(pid, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(p) for p in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _start_time(pid: int) -> str:
    """When the process started (clock ticks since boot), or '' if it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[19]
    except (OSError, IndexError):
        return ""


# -- what the clients saw -------------------------------------------------------------


@dataclass
class Account:
    id: int
    name: str
    role: str
    token: str
    seq: int = 0


@dataclass
class Ledger:
    """Everything the clients saw the desk accept, and writes whose outcome they never saw."""

    questions: dict[int, tuple[int, str, str]] = field(default_factory=dict)  # id -> (user id, title, key)
    pending_asks: dict[tuple[int, str], str] = field(default_factory=dict)  # (user id, key) -> title
    comments: dict[int, tuple[int, str]] = field(default_factory=dict)  # comment id -> (question id, body)
    comments_by_question: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    pending_comments: dict[tuple[int, str], tuple[int, str]] = field(
        default_factory=dict
    )  # (user id, key) -> (qid, body)
    answers: dict[str, int] = field(default_factory=dict)  # body -> question id
    ratings: dict[int, str] = field(default_factory=dict)  # question id -> rating
    takes: list[tuple[int, str, str]] = field(default_factory=list)  # (question id, its queued_at, agent)
    live_failures: list[str] = field(default_factory=list)


class Stats:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter[int] = Counter()
        self.intended: Counter[str] = Counter()
        self.retried: Counter[str] = Counter()
        self.resolved: Counter[str] = Counter()
        self.unexpected: Counter[str] = Counter()
        self.attempts = 0
        self.served = 0
        self.operations: Counter[str] = Counter()


# -- the simulation ---------------------------------------------------------------


class Load:
    def __init__(
        self,
        options: Options,
        url: str | list[str],
        users: list[Account],
        agents: list[Account],
        topics: list[str],
    ):
        self.options = options
        self.urls = [url] if isinstance(url, str) else list(url)
        self.url = self.urls[0]
        self.turn = 0  # the round-robin "balancer": each request goes to the next node
        self.users, self.agents, self.topics = users, agents, topics
        self.rng = random.Random(options.seed)
        self.stats = Stats()
        self.ledger = Ledger()
        self.stop = asyncio.Event()
        self.client: httpx.AsyncClient | None = None
        self.kills: list[dict] = []

    # -- transport ------------------------------------------------------------

    async def request(
        self,
        label: str,
        method: str,
        path: str,
        who: Account,
        *,
        json=None,
        headers=None,
        params=None,
        retry: bool = True,
    ) -> tuple[httpx.Response | None, bool]:
        """Send; retry transport failures and 502/503/504 with the same headers. (response or None, retried?)"""
        sent_headers = {"Authorization": f"Bearer {who.token}", **(headers or {})}
        retried = False
        for attempt in range(MAX_ATTEMPTS):
            self.stats.attempts += 1
            if self.stats.attempts >= self.options.max_requests:
                self.stop.set()
            started = time.perf_counter()
            node = self.urls[self.turn % len(self.urls)]
            self.turn += 1
            try:
                response = await self.client.request(
                    method, node + API + path, json=json, headers=sent_headers, params=params
                )
            except httpx.TransportError as exc:
                self.stats.retried[f"{label}: {type(exc).__name__}"] += 1
                if not retry:
                    return None, True
                retried = True
                await asyncio.sleep(_backoff(attempt, self.rng))
                continue
            self.stats.latency[label].append(time.perf_counter() - started)
            self.stats.statuses[response.status_code] += 1
            self.stats.served += 1
            if response.status_code in RETRY_STATUSES and retry:
                self.stats.retried[f"{label}: HTTP {response.status_code}"] += 1
                retried = True
                await asyncio.sleep(_backoff(attempt, self.rng))
                continue
            return response, retried
        self.stats.unexpected[f"{label}: gave up after {MAX_ATTEMPTS} attempts"] += 1
        return None, retried

    def unexpected(self, label: str, response: httpx.Response | None, note: str = "") -> None:
        if response is None:
            return  # already counted by request()
        code = ""
        with contextlib.suppress(Exception):  # any body at all
            code = response.json()["error"]["code"]
        self.stats.unexpected[
            f"{label}: HTTP {response.status_code} {code}{' ' + note if note else ''}".rstrip()
        ] += 1

    async def think(self, low: float | None = None, high: float | None = None) -> None:
        low = self.options.think[0] if low is None else low
        high = self.options.think[1] if high is None else high
        await asyncio.sleep(self.rng.uniform(low, high))

    # -- users ------------------------------------------------------------------

    async def user_life(self, user: Account) -> None:
        await self.think(0, self.options.think[1])  # do not all start in the same millisecond
        question = None
        while not self.stop.is_set():
            if question is None:
                question = await self.ask(user)
                if question is None:
                    return  # stopped, or the ask failed (counted)
            question = await self.follow(user, question)

    def _new_ask(self, user: Account) -> dict:
        user.seq += 1
        ads = self.rng.random() < 0.1
        return {
            "topic": "ads-business" if ads else self.rng.choice(self.topics),  # ads: advertising only
            "title": f"{user.name} q{user.seq}",
            "body": f"{self.rng.choice(BODIES)} [{user.name} q{user.seq}]",
            "link": None,
            "kind": "ads" if ads else "standard",
            "attachments": [],
        }

    async def _post_ask(self, user: Account, payload: dict, key: str) -> httpx.Response | None:
        self.ledger.pending_asks[(user.id, key)] = payload["title"]
        response, _ = await self.request(
            "POST /questions", "POST", "/questions", user, json=payload, headers={"Idempotency-Key": key}
        )
        if response is not None and response.status_code == 201:
            question = response.json()["question"]
            self.ledger.questions[question["id"]] = (user.id, payload["title"], key)
            del self.ledger.pending_asks[(user.id, key)]
            if question["title"] != payload["title"] or question["status"] != "waiting":
                self.ledger.live_failures.append(
                    f"ask by {user.name} returned {question['title']!r} {question['status']}"
                )
        elif response is not None:
            del self.ledger.pending_asks[(user.id, key)]  # refused: nothing was created under this key
        return response

    async def ask(self, user: Account) -> dict | None:
        """A new question; None when stopped or failed."""
        if self.stop.is_set():
            return None
        payload = self._new_ask(user)
        self.stats.operations["ask"] += 1
        if self.rng.random() < 0.05:  # a double click: the same question twice at once, two keys
            self.stats.operations["ask (double submit)"] += 1
            twins = [
                {**payload, "title": f"{payload['title']} {half}"} for half in "ab"
            ]  # titles stay unique
            replies = await asyncio.gather(*(self._post_ask(user, twin, str(uuid.uuid4())) for twin in twins))
            if any(r is None for r in replies):
                return None
            created = sorted(
                (r.json()["question"] for r in replies if r.status_code == 201), key=lambda q: q["id"]
            )
            refused = [r for r in replies if r.status_code == 409]
            if len(created) == 1 and len(refused) == 1:
                named = refused[0].json()["error"]["details"].get("question_id")
                if named != created[0]["id"]:
                    self.ledger.live_failures.append(
                        f"double submit by {user.name}: the 409 named {named}, not {created[0]['id']}"
                    )
                self.stats.intended["409 open_question_exists (double submit)"] += 1
                return created[0]
            if (
                len(created) == 2
            ):  # right only if the first was answered before the second arrived (a late retry)
                first, second = created
                check, _ = await self.request("GET /questions/{id}", "GET", f"/questions/{first['id']}", user)
                earlier = check.json() if check is not None and check.status_code == 200 else None
                if (
                    earlier is None
                    or earlier["status"] in OPEN
                    or not earlier["answered_at"]
                    or earlier["answered_at"] > second["created_at"]
                ):
                    self.ledger.live_failures.append(
                        f"double submit by {user.name} created q{first['id']} and q{second['id']} while q{first['id']} was open"
                    )
                else:
                    self.stats.resolved[
                        "double submit: both created, the first answered before the late one arrived"
                    ] += 1
                    if earlier["status"] == "answered":
                        await self.rate(user, first["id"])
                return second
            self.ledger.live_failures.append(
                f"double submit by {user.name}: statuses {[r.status_code for r in replies]}, expected one 201 and one 409"
            )
            return created[0] if created else None
        response = await self._post_ask(user, payload, str(uuid.uuid4()))
        if response is None:
            return None
        if response.status_code == 201:
            return response.json()["question"]
        self.unexpected("POST /questions", response)
        return None

    async def follow(self, user: Account, question: dict) -> dict | None:
        """Poll, comment, follow up, rate; returns the user's next question (or None to ask a new one)."""
        qid, etag, current, followed_up = question["id"], None, question, False
        while not self.stop.is_set():
            await self.think()
            roll = self.rng.random()
            if roll < 0.12:
                if not await self.comment(user, qid, current["status"] == "answered"):
                    return None
                current = {**current, "status": "unknown"}
                continue
            if roll < 0.14 and current["status"] in OPEN:
                newer = await self.impatient_ask(user, qid)
                if newer is not None:
                    return newer
                continue
            if roll < 0.17:
                await self.list_open(user)
                continue
            response, _ = await self.request(
                "GET /questions/{id}",
                "GET",
                f"/questions/{qid}",
                user,
                headers={"If-None-Match": etag} if etag else None,
            )
            self.stats.operations["poll"] += 1
            if response is None:
                return None
            if response.status_code == 200:
                current, etag = response.json(), response.headers.get("etag")
            elif response.status_code != 304:
                self.unexpected("GET /questions/{id}", response)
                return None
            missing = self.ledger.comments_by_question[qid] - {c["id"] for c in current.get("comments", [])}
            if missing:
                self.ledger.live_failures.append(
                    f"{user.name} polled q{qid} ({response.status_code}) without comments it saw accepted: {sorted(missing)}"
                )
            if current["status"] == "answered":
                if not followed_up and self.rng.random() < 0.15:
                    followed_up = True
                    if not await self.comment(user, qid, True):
                        return None
                    current = {**current, "status": "unknown"}
                    continue
                await self.rate(user, qid)
                return None
            if current["status"] == "closed":
                self.ledger.live_failures.append(f"q{qid} of {user.name} closed behind its back")
                return None
        return None

    async def comment(self, user: Account, qid: int, follow_up: bool) -> bool:
        key = str(uuid.uuid4())
        body = f"{'follow-up' if follow_up else 'comment'} {user.name} q{qid} {key[:8]}"
        self.stats.operations["follow-up" if follow_up else "comment"] += 1
        self.ledger.pending_comments[(user.id, key)] = (qid, body)
        response, _ = await self.request(
            "POST /questions/{id}/comments",
            "POST",
            f"/questions/{qid}/comments",
            user,
            json={"body": body},
            headers={"Idempotency-Key": key},
        )
        if response is None:
            return False
        del self.ledger.pending_comments[(user.id, key)]
        if response.status_code != 201:
            self.unexpected("POST /questions/{id}/comments", response)
            return False
        comment = response.json()
        if comment["question_id"] != qid or comment["body"] != body:
            self.ledger.live_failures.append(f"comment of {user.name} came back as {comment}")
        self.ledger.comments[comment["id"]] = (qid, body)
        self.ledger.comments_by_question[qid].add(comment["id"])
        return True

    async def impatient_ask(self, user: Account, open_id: int) -> dict | None:
        """Ask again while a question is open: 409 naming it, unless an agent answered it a moment ago."""
        self.stats.operations["ask while open"] += 1
        payload = self._new_ask(user)
        response = await self._post_ask(user, payload, str(uuid.uuid4()))
        if response is None:
            return None
        if response.status_code == 409:
            named = response.json()["error"]["details"].get("question_id")
            if response.json()["error"]["code"] != "open_question_exists" or named != open_id:
                self.ledger.live_failures.append(
                    f"{user.name} asked while q{open_id} was open; the 409 named {named}"
                )
            self.stats.intended["409 open_question_exists (asked while open)"] += 1
            return None
        if response.status_code == 201:  # legitimate only if the old one was answered meanwhile
            old, _ = await self.request("GET /questions/{id}", "GET", f"/questions/{open_id}", user)
            if old is not None and old.status_code == 200 and old.json()["status"] in OPEN:
                self.ledger.live_failures.append(
                    f"{user.name} got a second question while q{open_id} was open"
                )
            elif old is not None and old.status_code == 200 and old.json()["status"] == "answered":
                await self.rate(user, open_id)
            return response.json()["question"]
        self.unexpected("POST /questions", response)
        return None

    async def list_open(self, user: Account) -> None:
        self.stats.operations["list"] += 1
        response, _ = await self.request(
            "GET /questions", "GET", "/questions", user, params={"status": "open"}
        )
        if response is None:
            return
        if response.status_code != 200:
            self.unexpected("GET /questions", response)
        elif len(response.json()["questions"]) > 1:
            self.ledger.live_failures.append(
                f"{user.name} lists {len(response.json()['questions'])} open questions"
            )

    async def rate(self, user: Account, qid: int) -> None:
        rating = "good" if self.rng.random() < 0.8 else "bad"
        self.stats.operations["rate"] += 1
        response, retried = await self.request(
            "POST /questions/{id}/rating",
            "POST",
            f"/questions/{qid}/rating",
            user,
            json={"rating": rating, "comment": f"{rating} {user.name} q{qid}"},
        )
        if response is None:
            return
        if response.status_code == 200:
            self.ledger.ratings[qid] = rating
        elif response.status_code == 409 and retried:  # the first attempt may have been applied
            check, _ = await self.request("GET /questions/{id}", "GET", f"/questions/{qid}", user)
            if check is not None and check.status_code == 200 and check.json()["rating"] == rating:
                self.ledger.ratings[qid] = rating
                self.stats.resolved["rating retried after a lost reply: 409, found applied"] += 1
            else:
                self.unexpected("POST /questions/{id}/rating", response, "(retried, not applied)")
        else:
            self.unexpected("POST /questions/{id}/rating", response)

    # -- agents ---------------------------------------------------------------------

    async def agent_life(self, agent: Account) -> None:
        while not self.stop.is_set():
            self.stats.operations["take"] += 1
            response, _ = await self.request("POST /agent/take", "POST", "/agent/take", agent, retry=False)
            if response is None:  # the take may have happened: pick up what we hold
                await self.recover(agent)
                continue
            if response.status_code == 204:
                await self.think(0.05, 0.2)
                continue
            if response.status_code != 200:
                self.unexpected("POST /agent/take", response)
                await self.think(0.05, 0.2)
                continue
            question = response.json()
            self.ledger.takes.append((question["id"], question["queued_at"], agent.name))
            if question["status"] != "in_progress" or question["agent"] != agent.name:
                self.ledger.live_failures.append(
                    f"{agent.name} took q{question['id']}: {question['status']} by {question['agent']}"
                )
            await self.think(0.01, 0.1)
            await self.answer(agent, question["id"])

    async def recover(self, agent: Account) -> None:
        self.stats.operations["agent recovery"] += 1
        response, _ = await self.request(
            "GET /questions", "GET", "/questions", agent, params={"status": "in_progress", "limit": 1000}
        )
        if response is None:
            return
        if response.status_code != 200:
            self.unexpected("GET /questions", response)
            return
        for question in response.json()["questions"]:
            if question["agent"] == agent.name:
                self.stats.resolved["take whose reply was lost: found in progress and answered"] += 1
                await self.answer(agent, question["id"])

    async def answer(self, agent: Account, qid: int) -> None:
        body = f"answer {agent.name} q{qid} {uuid.uuid4().hex[:8]}"
        self.stats.operations["answer"] += 1
        response, retried = await self.request(
            "POST /agent/questions/{id}/answer",
            "POST",
            f"/agent/questions/{qid}/answer",
            agent,
            json={"body": body},
        )
        if response is None:
            return
        if response.status_code == 200:
            self.ledger.answers[body] = qid
        elif response.status_code == 409 and retried:  # applied by the attempt whose reply was lost?
            check, _ = await self.request("GET /questions/{id}", "GET", f"/questions/{qid}", agent)
            if (
                check is not None
                and check.status_code == 200
                and any(c["body"] == body for c in check.json()["comments"])
            ):
                self.ledger.answers[body] = qid
                self.stats.resolved["answer retried after a lost reply: 409, found in the thread"] += 1
            else:
                self.unexpected("POST /agent/questions/{id}/answer", response, "(retried, not applied)")
        else:
            self.unexpected("POST /agent/questions/{id}/answer", response)

    # -- the run ----------------------------------------------------------------------

    async def killer(self, server: Server) -> None:
        """SIGKILL a worker at 40% of the run (more kills: spread over 20%..80%), and watch the supervisor replace it."""
        count = self.options.kills
        for number in range(count):
            at = self.options.duration * (0.4 if count == 1 else 0.2 + 0.6 * number / (count - 1))
            await asyncio.sleep(max(0.0, at - (time.monotonic() - self.started)))
            if self.stop.is_set():
                self.kills.append({"error": "the load stopped before this kill"})
                return
            before = server.worker_pids()
            if not before:
                self.kills.append({"error": "no worker process found"})
                return
            victim, busy = await self._busy_worker(before)
            os.kill(victim, signal.SIGKILL)
            killed_at = time.monotonic()
            report = {"victim": victim, "at": killed_at - self.started, "busy": busy}
            self.kills.append(report)
            while time.monotonic() - killed_at < 20:
                now = server.worker_pids()
                if victim not in now and len(now) == len(before):
                    report.update(
                        replacement=sorted(set(now) - set(before)), after=time.monotonic() - killed_at
                    )
                    break
                await asyncio.sleep(0.05)

    async def _busy_worker(self, pids: list[int], patience: float = 3.0) -> tuple[int, bool]:
        """A worker caught running (state R: most likely serving a request), else any; (pid, caught running?)."""
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            for pid in self.rng.sample(pids, len(pids)):
                try:
                    state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
                except (OSError, IndexError):
                    continue
                if state == "R":
                    return pid, True
            await asyncio.sleep(0.001)
        return self.rng.choice(pids), False

    async def node_killer(self, nodes: list[Server]) -> None:
        """kill -9 a whole node at 40% of the run and start it again on its port a second later."""
        await asyncio.sleep(max(0.0, 0.4 * self.options.duration - (time.monotonic() - self.started)))
        if self.stop.is_set():
            self.kills.append({"error": "the load stopped before the kill"})
            return
        node = nodes[self.rng.randrange(len(nodes))]
        if node.process is None or node.process.poll() is not None:
            self.kills.append({"error": "the node was not running"})
            return
        victim = node.process.pid
        os.kill(victim, signal.SIGKILL)
        node.process.wait()
        killed_at = time.monotonic()
        report: dict = {"victim": victim, "at": killed_at - self.started, "busy": False, "node": node.url}
        self.kills.append(report)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(node.start)
        report.update(replacement=[node.process.pid], after=time.monotonic() - killed_at)

    async def run(self, server: Server, nodes: list[Server] | None = None) -> None:
        limits = httpx.Limits(
            max_connections=2 * (len(self.users) + len(self.agents)) + 8, max_keepalive_connections=None
        )
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0), limits=limits)
        self.started = time.monotonic()
        cpu_client = time.process_time()
        cpu_server = {pid: _cpu_seconds(pid) for pid in server.worker_pids()}
        tasks = [asyncio.create_task(self.user_life(u)) for u in self.users]
        tasks += [asyncio.create_task(self.agent_life(a)) for a in self.agents]
        killer = None
        if self.options.kill:
            killer = asyncio.create_task(
                self.node_killer(nodes) if nodes and len(nodes) > 1 else self.killer(server)
            )
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), timeout=self.options.duration)
            self.stop.set()
            self.load_seconds = time.monotonic() - self.started
            self.cpu = (
                time.process_time() - cpu_client,
                sum(_cpu_seconds(pid) - cpu_server.get(pid, 0.0) for pid in server.worker_pids()),
            )
            done, pending = await asyncio.wait(tasks, timeout=self.options.grace)
            self.cancelled = len(pending)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            for task in done:
                if task.exception() is not None:
                    exc = task.exception()
                    self.stats.unexpected[f"client crash: {type(exc).__name__}: {exc}"] += 1
            if killer is not None:
                await asyncio.wait_for(killer, timeout=25 * self.options.kills)
        finally:
            if killer is not None and not killer.done():
                killer.cancel()
            self.wall_seconds = time.monotonic() - self.started
            await self.client.aclose()


def _backoff(attempt: int, rng: random.Random) -> float:
    return min(1.0, 0.05 * 2**attempt) * rng.uniform(0.5, 1.5)


# -- the audit ------------------------------------------------------------------------


def audit(db: Path | str, load: Load) -> list[tuple[bool, str]]:
    ledger, results = load.ledger, []

    def check(ok: bool, message: str) -> None:
        results.append((bool(ok), message))

    conn: Any
    if str(db).startswith(("postgresql://", "postgres://")):
        conn = Desk.open(str(db)).store  # ? placeholders and rows by name, as with sqlite3
        check(
            True,
            "database integrity: PostgreSQL's constraints (keys, checks, the one-open index) held every write",
        )
    else:
        conn = sqlite3.connect(db)
        conn.row_factory = sqlite3.Row
    try:
        if isinstance(conn, sqlite3.Connection):
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
            foreign = conn.execute("PRAGMA foreign_key_check").fetchall()
            check(
                integrity == "ok" and not foreign,
                f"database integrity_check: {integrity}; foreign_key_check: {len(foreign)} problems",
            )

        users = {u.id for u in load.users}
        questions = {
            row["id"]: row for row in conn.execute("SELECT id, user_id, title, status, rating FROM questions")
        }
        keys = {
            (row["user_id"], row["key"]): (row["resource"], row["resource_id"])
            for row in conn.execute("SELECT user_id, key, resource, resource_id FROM idempotency_keys")
        }

        # questions
        wrong = [
            qid
            for qid, (uid, title, key) in ledger.questions.items()
            if qid not in questions
            or questions[qid]["user_id"] != uid
            or questions[qid]["title"] != title
            or keys.get((uid, key)) != ("question", qid)
        ]
        check(
            not wrong,
            f"{len(ledger.questions)} questions clients saw created exist, are theirs, under their key"
            + (f"; wrong: {wrong[:10]}" if wrong else ""),
        )
        doubles = conn.execute(
            "SELECT user_id, title, count(*) AS n FROM questions GROUP BY user_id, title HAVING count(*) > 1"
        ).fetchall()
        check(
            not doubles,
            "no question was created twice (titles are unique per user and attempt)"
            + (f"; twice: {[(r['user_id'], r['title'], r['n']) for r in doubles[:10]]}" if doubles else ""),
        )
        unseen_applied = {keys[k][1] for k in ledger.pending_asks if k in keys}
        strangers = set(questions) - set(ledger.questions) - unseen_applied
        check(
            not strangers and all(questions[q]["user_id"] in users for q in questions),
            "no question exists that no client asked for"
            + (
                f" ({len(unseen_applied)} created by an ask whose reply never came: it was cut off)"
                if unseen_applied
                else ""
            )
            + (f"; unknown: {sorted(strangers)[:10]}" if strangers else ""),
        )

        # comments
        rows = {
            row["id"]: row
            for row in conn.execute("SELECT id, question_id, author_id, kind, body FROM comments")
        }
        user_comments = {cid: row for cid, row in rows.items() if row["kind"] == "comment"}
        wrong = [
            cid
            for cid, (qid, body) in ledger.comments.items()
            if cid not in user_comments
            or user_comments[cid]["question_id"] != qid
            or user_comments[cid]["body"] != body
        ]
        check(
            not wrong,
            f"{len(ledger.comments)} comments clients saw accepted exist on their questions"
            + (f"; wrong: {wrong[:10]}" if wrong else ""),
        )
        doubles = conn.execute(
            "SELECT body, count(*) AS n FROM comments GROUP BY body HAVING count(*) > 1"
        ).fetchall()
        check(
            not doubles,
            "no comment or answer was stored twice"
            + (f"; twice: {[r['body'] for r in doubles[:5]]}" if doubles else ""),
        )
        unseen_applied = {keys[k][1] for k in ledger.pending_comments if k in keys}
        strangers = set(user_comments) - set(ledger.comments) - unseen_applied
        check(
            not strangers,
            "no comment exists that no client sent"
            + (
                f" ({len(unseen_applied)} sent by a request cut off before its reply)"
                if unseen_applied
                else ""
            )
            + (f"; unknown: {sorted(strangers)[:10]}" if strangers else ""),
        )

        # answers and ratings
        answers = {row["body"]: row["question_id"] for row in rows.values() if row["kind"] == "answer"}
        wrong = [body for body, qid in ledger.answers.items() if answers.get(body) != qid]
        check(
            not wrong,
            f"{len(ledger.answers)} answers agents saw accepted exist"
            + (f"; missing: {wrong[:5]}" if wrong else ""),
        )
        wrong = [
            qid
            for qid, rating in ledger.ratings.items()
            if qid not in questions
            or questions[qid]["rating"] != rating
            or questions[qid]["status"] != "closed"
        ]
        check(
            not wrong,
            f"{len(ledger.ratings)} ratings users saw accepted are stored, their questions closed"
            + (f"; wrong: {wrong[:10]}" if wrong else ""),
        )

        # the one-open-question rule
        two_open = conn.execute(
            "SELECT user_id, count(*) AS n FROM questions WHERE status IN ('waiting', 'in_progress')"
            " GROUP BY user_id HAVING count(*) > 1"
        ).fetchall()
        open_now = conn.execute(
            "SELECT count(*) FROM questions WHERE status IN ('waiting', 'in_progress')"
        ).fetchone()[0]
        check(
            not two_open,
            f"no user has two open questions ({open_now} open at the end)"
            + (f"; users: {[r['user_id'] for r in two_open]}" if two_open else ""),
        )
    finally:
        conn.close()

    twice = [visit for visit, n in Counter((qid, queued) for qid, queued, _ in ledger.takes).items() if n > 1]
    check(
        not twice,
        f"no question was taken twice: {len(ledger.takes)} takes, each a different stay in the queue"
        + (f"; twice: {twice[:10]}" if twice else ""),
    )
    check(
        not ledger.live_failures,
        "live checks held: polls showed every accepted comment, 409s named the open question,"
        " double submits created one open question"
        + (f"; failures: {ledger.live_failures[:5]}" if ledger.live_failures else ""),
    )
    unexpected = sum(load.stats.unexpected.values())
    check(unexpected == 0, f"{unexpected} unexpected errors")
    if not load.options.kill:
        retried = sum(load.stats.retried.values())
        check(retried == 0, f"{retried} retries (none expected without --kill)")
    else:
        for report in load.kills or [{"error": "no kill happened"}]:
            if "node" in report:
                check(
                    bool(report.get("replacement")),
                    f"node {report['node']} (pid {report['victim']}) killed with SIGKILL at {report['at']:.1f} s;"
                    f" started again as pid {report.get('replacement')} after {report.get('after', float('nan')):.2f} s",
                )
                continue
            check(
                "victim" in report and report.get("replacement"),
                f"worker {report.get('victim')} killed{' while running' if report.get('busy') else ''} at {report.get('at', 0):.1f} s; "
                f"the supervisor replaced it with "
                f"{report.get('replacement')} after {report.get('after', float('nan')):.2f} s"
                if "victim" in report
                else f"no worker killed: {report.get('error')}",
            )
    return results


# -- the report -------------------------------------------------------------------


@dataclass
class Report:
    passed: bool
    served: int
    unexpected: int
    checks: list[tuple[bool, str]]
    load: Load
    db: Path  # gone after the run unless it was kept (--keep, or a failed audit)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def print_report(load: Load, checks: list[tuple[bool, str]], server: Server, out: IO[str]) -> None:
    stats = load.stats
    say = lambda text="": print(text, file=out)  # noqa: E731
    say(
        f"load: {load.load_seconds:.1f} s, then {load.wall_seconds - load.load_seconds:.1f} s for operations under way "
        f"({load.cancelled} cancelled)"
    )
    say(
        f"requests served: {stats.served} HTTP responses ({stats.served / max(load.load_seconds, 1e-9):.0f}/s), "
        f"{stats.attempts} attempts"
    )
    say(
        f"CPU during the load ({os.cpu_count()} cores): load generator {load.cpu[0]:.1f} s, "
        f"server workers {load.cpu[1]:.1f} s (the live ones at the end), over {load.load_seconds:.1f} s"
    )
    say("responses by status: " + ", ".join(f"{code}: {n}" for code, n in sorted(stats.statuses.items())))
    say("operations: " + ", ".join(f"{name}: {n}" for name, n in sorted(stats.operations.items())))
    say()
    say(f"{'latency, ms':40} {'count':>7} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7}")
    every = [v for values in stats.latency.values() for v in values]
    for label, values in [*sorted(stats.latency.items()), ("all", every)]:
        say(
            f"  {label:38} {len(values):7} "
            + " ".join(f"{1000 * _percentile(values, q):7.1f}" for q in (0.5, 0.9, 0.99, 1.0))
        )
    say()
    say("errors by kind:")
    for title, counter in (
        ("intended conflicts", stats.intended),
        ("transport failures and 502/503/504 (retried; a take is recovered instead)", stats.retried),
        ("resolved after a retry", stats.resolved),
        ("UNEXPECTED", stats.unexpected),
    ):
        say(f"  {title}: {sum(counter.values())}")
        for kind, n in counter.most_common():
            say(f"    {n:6}  {kind}")
    log = [line for line in server.log().splitlines() if line.strip()]
    say(f"server log: {len(log)} lines" + (":" if log else ""))
    for line in log[:15]:
        say(f"    {line[:160]}")
    if len(log) > 15:
        say(f"    ... {len(log) - 15} more")
    say()
    say("AUDIT")
    for ok, message in checks:
        say(f"  [{'ok' if ok else 'FAIL'}] {message}")
    say("AUDIT PASSED" if all(ok for ok, _ in checks) else "AUDIT FAILED")


# -- entry points -------------------------------------------------------------------


def _prepare(options: Options, workdir: Path) -> tuple[Path | str, list[Account], list[Account], list[str]]:
    db: Path | str = workdir / "desk.sqlite3"
    if options.postgres:
        db = options.postgres
    elif options.template_db is not None:
        source, target = sqlite3.connect(options.template_db), sqlite3.connect(db)
        source.backup(target)
        source.close(), target.close()
    desk = Desk.open(db)
    try:
        users = [
            Account(u.id, u.name, u.role, t)
            for u, t in (desk.add_user(f"user{i:03d}") for i in range(options.users))
        ]
        agents = [
            Account(u.id, u.name, u.role, t)
            for u, t in (desk.add_user(f"agent{i:02d}", "agent") for i in range(options.agents))
        ]
        topics = [topic.slug for topic in desk.topics()]
    finally:
        desk.close()
    return db, users, agents, topics


def run(options: Options, out: IO[str] | None = None) -> Report:
    """Start the server, run the load, stop the server, audit; prints the report on ``out``."""
    out = out or sys.stdout
    workdir = Path(tempfile.mkdtemp(prefix="vksupport-load-"))
    server, passed = None, False
    nodes: list[Server] = []
    try:
        db, users, agents, topics = _prepare(options, workdir)
        if options.nodes > 1:
            nodes = [Server(db, workdir, 1, f"node{n}") for n in range(options.nodes)]
            report = _run_nodes(options, db, nodes, users, agents, topics, out)
            passed = report.passed
            return report
        server = Server(db, workdir, options.workers)
        print(
            f"vksupport desk load test: {options.users} users, {options.agents} agents, {options.duration:g} s, "
            f"at most {options.max_requests} requests, kill={options.kills if options.kill else 'no'}, seed={options.seed}",
            file=out,
        )
        started = time.monotonic()
        server.start()
        print(
            f"server: {server.url}, {options.workers} workers {server.worker_pids()}, up in {time.monotonic() - started:.1f} s; "
            f"db {db}",
            file=out,
            flush=True,
        )
        load = Load(options, server.url, users, agents, topics)
        asyncio.run(load.run(server))
        server.stop()
        checks = audit(db, load)
        print_report(load, checks, server, out)
        passed = all(ok for ok, _ in checks)
        return Report(passed, load.stats.served, sum(load.stats.unexpected.values()), checks, load, db)
    finally:
        for node in [server, *nodes]:
            if node is not None:
                node.stop()
        if options.keep or not passed:
            print(f"kept {workdir} (desk.sqlite3, server.log)", file=out)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _run_nodes(
    options: Options,
    db: Path | str,
    nodes: list[Server],
    users: list[Account],
    agents: list[Account],
    topics: list[str],
    out: IO[str],
) -> Report:
    """The load over several nodes on one database, requests round-robin between them."""
    print(
        f"vksupport desk load test: {options.users} users, {options.agents} agents, {options.duration:g} s, "
        f"{len(nodes)} nodes on {'PostgreSQL' if options.postgres else 'SQLite'}, "
        f"kill -9 of a node: {'yes' if options.kill else 'no'}, seed={options.seed}",
        file=out,
    )
    started = time.monotonic()
    for node in nodes:
        node.start()
    print(
        f"nodes: {[node.url for node in nodes]}, up in {time.monotonic() - started:.1f} s",
        file=out,
        flush=True,
    )
    load = Load(options, [node.url for node in nodes], users, agents, topics)
    asyncio.run(load.run(nodes[0], nodes))
    for node in nodes:
        node.stop()
    checks = audit(db, load)
    print_report(load, checks, nodes[0], out)
    passed = all(ok for ok, _ in checks)
    return Report(passed, load.stats.served, sum(load.stats.unexpected.values()), checks, load, Path(str(db)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--users", type=int, default=100, help="simulated users (default 100)")
    parser.add_argument("--agents", type=int, default=5, help="simulated support agents (default 5)")
    parser.add_argument("--kill", action="store_true", help="SIGKILL one uvicorn worker at 40%% of the run")
    parser.add_argument(
        "--kills",
        type=int,
        default=1,
        help="with --kill: how many workers to kill, one after another (default 1)",
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        default=200_000,
        help="stop after this many HTTP attempts (default 200000)",
    )
    parser.add_argument(
        "--grace", type=float, default=30.0, help="seconds for operations under way to finish (default 30)"
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed for the simulated people")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory (database, server log)"
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="run the nodes on this (empty) PostgreSQL database; 'temp' starts a throw-away cluster",
    )
    parser.add_argument("--nodes", type=int, default=1, help="server nodes sharing the database (default 1)")
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.users < 1 or args.agents < 1 or args.max_requests < 1:
        parser.error("--duration, --users, --agents and --max-requests must be positive")
    options = Options(
        duration=args.duration,
        users=args.users,
        agents=args.agents,
        kill=args.kill,
        kills=max(1, args.kills),
        max_requests=args.max_requests,
        grace=args.grace,
        seed=args.seed,
        keep=args.keep,
        nodes=max(1, args.nodes),
    )
    cluster = None
    try:
        if args.postgres == "temp":
            sys.path.insert(0, str(ROOT / "tests"))
            from pg_support import PostgresCluster

            cluster = PostgresCluster().start()
            args.postgres = cluster.new_database()
        options.postgres = args.postgres
        report = run(options)
    except RuntimeError as error:  # the server (or the cluster) did not start
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        if cluster is not None:
            cluster.stop()
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())

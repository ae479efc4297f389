"""Push at scale: a thousand scripts waiting for answers on one server node.

Run from the project root:

    .venv/bin/python bench/wait_push.py                 # 1,000 waiters, 30 s idle per phase: ~2 min
    .venv/bin/python bench/wait_push.py --waiters 200 --idle 10
    .venv/bin/python bench/wait_push.py --postgres      # two nodes on one throw-away PostgreSQL

It builds a desk of ``--waiters`` users, each with one question an agent has
taken (through the desk API, in a temporary ``VKSUPPORT_HOME``), serves it with
``vksupport desk serve --rate-limit 0`` (one worker) on a free port of
127.0.0.1, and runs from this process, on hand-spoken HTTP/1.1 connections (one
per waiter, asyncio streams: a thousand httpx clients would make the client the
bottleneck):

1. **poll** (the floor: `wait` before push): every waiter sends a conditional
   GET every ``--interval`` seconds (304s), their turns spread over the
   interval, for ``--idle`` seconds (at least three intervals);
2. **push, idle**: every waiter holds a long-poll (``?wait=50`` with
   If-None-Match, as `vksupport wait` does); once the server reports all of
   them pending, ``--idle`` seconds during which nothing changes;
3. **push, answers**: an agent answers ``--answers`` of the questions, one at a
   time, ``--gap`` seconds apart; each waiter notes when its long-poll returns
   the answer. The agent is a separate process; latency is measured from the
   moment it sends the answer request.

For phases 1 and 2 it prints the server's CPU time (user + system, /proc) as a
share of one core and the requests the waiters made per minute; for phase 3,
answer→return p50, p99 and max. Client and server share the machine's cores.
Everything is bounded: each phase stops after its time, the server is stopped
and the temporary directory deleted at the end.

``--postgres`` puts the desk on a throw-away PostgreSQL cluster (as the tests
start one) and serves it with two nodes: the waiters wait on the first, the
agent answers through the second, so every answer reaches its waiter through
PostgreSQL's LISTEN/NOTIFY.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # pg_support

from vksupport_cli.desk.service import Desk

from startup import child_env, start_server

PUSH_WAIT = 50  # seconds asked per long-poll, as `vksupport wait` does


def build(db_path: Path | str, waiters: int) -> tuple[list[tuple[int, str]], str]:
    """``waiters`` users, one taken question each; returns [(question id, user token)] and the agent's token."""
    desk = Desk.open(db_path)
    try:
        agent, agent_token = desk.add_user("bench-agent", "agent")
        pairs = []
        for n in range(waiters):
            user, token = desk.add_user(f"bench-user-{n}", "user")
            question = desk.ask(user, topic="hacked-page", title=f"Вопрос {n}", body="Взломали страницу.")
            pairs.append((question.question.id, token))
        while desk.take(agent) is not None:
            pass
        return pairs, agent_token
    finally:
        desk.close()


class Connection:
    """One keep-alive HTTP/1.1 connection, spoken by hand: a thousand of them must cost the client little."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str):
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, url: str) -> Connection:
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        return cls(reader, writer, parts.netloc)

    async def get(self, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        lines = [
            f"GET /api/v1{target} HTTP/1.1",
            f"Host: {self.host}",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await self.writer.drain()
        status = int((await self.reader.readline()).split()[1])
        reply: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _colon, value = line.decode("latin-1").partition(":")
            reply[name.strip().lower()] = value.strip()
        length = int(reply.get("content-length", "0"))
        return status, reply, await self.reader.readexactly(length) if length else b""

    def close(self) -> None:
        self.writer.close()


async def poll_phase(
    url: str, pairs: list[tuple[int, str]], interval: float, idle: float, server_cpu: Callable[[], float]
) -> tuple[int, float]:
    """Each waiter polls with If-None-Match every ``interval`` s for ``idle`` s: (requests, server CPU s)."""
    made = 0
    cpu = [0.0]
    ready = asyncio.Event()
    started = 0

    async def one(offset: float, qid: int, token: str) -> None:
        nonlocal made, started
        connection = await Connection.open(url)
        headers = {"Authorization": f"Bearer {token}"}
        _status, reply, _body = await connection.get(f"/questions/{qid}", headers)
        connection.close()
        headers["If-None-Match"] = reply["etag"]
        started += 1
        if started == len(pairs):
            cpu[0] = server_cpu()
            ready.set()
        await ready.wait()
        stop = time.monotonic() + idle
        await asyncio.sleep(offset)
        while time.monotonic() < stop:
            # a connection each time, as `wait` had: the server closes one idle for 5 s (uvicorn's keep-alive)
            connection = await Connection.open(url)
            await connection.get(f"/questions/{qid}", headers)
            connection.close()
            made += 1
            await asyncio.sleep(interval)

    spread = [interval * n / len(pairs) for n in range(len(pairs))]  # as independent scripts would be
    tasks = [one(offset, qid, token) for offset, (qid, token) in zip(spread, pairs, strict=True)]
    await asyncio.gather(ready.wait(), *tasks)
    return made, server_cpu() - cpu[0]


async def push_waiter(url: str, qid: int, token: str, returned: dict[int, float], counter: list[int]) -> None:
    connection = await Connection.open(url)
    headers = {"Authorization": f"Bearer {token}"}
    _status, reply, _body = await connection.get(f"/questions/{qid}", headers)
    counter[0] += 1
    headers["If-None-Match"] = reply["etag"]
    try:
        while True:
            status, reply, _body = await connection.get(f"/questions/{qid}?wait={PUSH_WAIT}", headers)
            counter[0] += 1
            if status == 200:
                returned[qid] = time.monotonic()
                return
    finally:
        connection.close()


#: The agent, in a process of its own: answers one question at a time and prints when it sent each
#: (time.monotonic is the system's CLOCK_MONOTONIC on Linux: the same clock in every process).
ANSWERER = """
import json, sys, time, httpx
url, token, gap, qids = sys.argv[1], sys.argv[2], float(sys.argv[3]), [int(q) for q in sys.argv[4:]]
sent = {}
with httpx.Client(base_url=url + "/api/v1", timeout=30, headers={"Authorization": "Bearer " + token}) as agent:
    for qid in qids:
        sent[qid] = time.monotonic()
        agent.post(f"/agent/questions/{qid}/answer", json={"body": "Ответ."}).raise_for_status()
        time.sleep(gap)
print(json.dumps(sent))
"""


async def pending(url: str) -> int:
    connection = await Connection.open(url)
    try:
        _status, _reply, body = await connection.get("/health", {})
        return int(json.loads(body)["long_poll"]["waiting"])
    finally:
        connection.close()


async def run(
    args: argparse.Namespace,
    url: str,
    server_cpu: Callable[[], float],
    pairs: list[tuple[int, str]],
    agent_token: str,
    answer_url: str | None = None,
) -> dict[str, float]:
    figures: dict[str, float] = {}
    # 1. the floor: polling (at least three intervals, so that every poller's turn comes round)
    elapsed = max(args.idle, 3 * args.interval)
    made, cpu = await poll_phase(url, pairs, args.interval, elapsed, server_cpu)
    figures["poll_cpu"] = cpu / elapsed
    figures["poll_rpm"] = made / elapsed * 60 / len(pairs)

    # 2. push, nothing changes
    returned: dict[int, float] = {}
    counter = [0]
    tasks = [asyncio.create_task(push_waiter(url, qid, token, returned, counter)) for qid, token in pairs]
    deadline = time.monotonic() + 300
    while await pending(url) < len(pairs):
        if time.monotonic() > deadline:
            raise SystemExit("the long-polls did not all reach the server within 300 s")
        await asyncio.sleep(0.2)
    requests0, cpu0, t0 = counter[0], server_cpu(), time.monotonic()
    await asyncio.sleep(args.idle)
    elapsed = time.monotonic() - t0
    figures["push_cpu"] = (server_cpu() - cpu0) / elapsed
    figures["push_rpm"] = (counter[0] - requests0) / elapsed * 60 / len(pairs)

    # 3. answers, by another process
    answered = [qid for qid, _token in pairs[: args.answers]]
    agent = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        ANSWERER,
        answer_url or url,
        agent_token,
        str(args.gap),
        *map(str, answered),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _err = await agent.communicate()
    sent = {int(qid): moment for qid, moment in json.loads(out).items()}
    end = time.monotonic() + 10
    while any(qid not in returned for qid in answered) and time.monotonic() < end:
        await asyncio.sleep(0.05)
    latencies = sorted((returned[qid] - sent[qid]) * 1000 for qid in answered if qid in returned)
    figures["missed"] = len(answered) - len(latencies)
    figures["p50_ms"] = statistics.median(latencies)
    figures["p99_ms"] = latencies[max(0, int(len(latencies) * 0.99) - 1)]
    figures["max_ms"] = latencies[-1]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--waiters", type=int, default=1000)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds observed while nothing changes")
    parser.add_argument("--interval", type=float, default=10.0, help="the polling floor's interval")
    parser.add_argument("--answers", type=int, default=200, help="questions answered in phase 3")
    parser.add_argument("--gap", type=float, default=0.05, help="seconds between two answers")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="two nodes on a throw-away PostgreSQL; answers through the second",
    )
    args = parser.parse_args()
    args.answers = min(args.answers, args.waiters)
    with tempfile.TemporaryDirectory(prefix="wait-push-") as tmp:
        home = Path(tmp)
        env = child_env(home)
        cluster = None
        if args.postgres:
            from pg_support import PostgresCluster

            cluster = PostgresCluster().start()
        try:
            db: Path | str = cluster.new_database() if cluster else home / "desk.sqlite3"
            started = time.monotonic()
            pairs, agent_token = build(db, args.waiters)
            print(
                f"desk: {args.waiters:,} users with a taken question each ({time.monotonic() - started:.0f} s)"
            )
            server = start_server(db, env, log_dir=home)
            other = start_server(db, env, log_dir=home) if cluster else None
            try:
                figures = asyncio.run(
                    run(
                        args, server.url, server.cpu_seconds, pairs, agent_token, other.url if other else None
                    )
                )
            finally:
                server.stop()
                if other is not None:
                    other.stop()
        finally:
            if cluster is not None:
                cluster.stop()
    where = "one worker of node 1, answers through node 2, on PostgreSQL" if args.postgres else "one worker"
    print(f"{args.waiters:,} waiters on {where}, {args.idle:.0f} s with nothing changing:")
    print(
        f"  poll every {args.interval:g} s (before push): server CPU {figures['poll_cpu']:6.1%} of a core, "
        f"{figures['poll_rpm']:.2f} requests/min per waiter"
    )
    print(
        f"  long-poll ?wait={PUSH_WAIT}:            server CPU {figures['push_cpu']:6.1%} of a core, "
        f"{figures['push_rpm']:.2f} requests/min per waiter"
    )
    print(f"answer→return over {args.answers} answers ({args.gap:g} s apart), from the answer's request:")
    print(
        f"  p50 {figures['p50_ms']:.0f} ms, p99 {figures['p99_ms']:.0f} ms, max {figures['max_ms']:.0f} ms"
        + (f", {figures['missed']:.0f} not returned within 10 s" if figures["missed"] else "")
    )
    ok = figures["p99_ms"] < 1000 and not figures["missed"]
    print(f"goal p99 < 1 s: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

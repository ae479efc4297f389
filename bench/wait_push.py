"""Push at scale: a thousand scripts waiting for answers on one server node.

Run from the project root:

    .venv/bin/python bench/wait_push.py                 # 1,000 waiters, 30 s idle per phase: ~2 min
    .venv/bin/python bench/wait_push.py --waiters 200 --idle 10

It builds a desk of ``--waiters`` users, each with one question an agent has
taken (through the desk API, in a temporary ``VKSUPPORT_HOME``), serves it with
``vksupport desk serve --rate-limit 0`` (one worker) on a free port of
127.0.0.1, and runs from this process, with one asyncio httpx client:

1. **poll** (the floor: `wait` before push): every waiter sends a conditional
   GET every ``--interval`` seconds (304s), their turns spread over the
   interval, for ``--idle`` seconds (at least three intervals);
2. **push, idle**: every waiter holds a long-poll (``?wait=50`` with
   If-None-Match, as `vksupport wait` does); once the server reports all of
   them pending, ``--idle`` seconds during which nothing changes;
3. **push, answers**: an agent answers ``--answers`` of the questions, one at a
   time, ``--gap`` seconds apart; each waiter notes when its long-poll returns
   the answer. Latency is measured from the moment the answer request is sent.

For phases 1 and 2 it prints the server's CPU time (user + system, /proc) as a
share of one core and the requests the waiters made per minute; for phase 3,
answer→return p50, p99 and max. Client and server share the machine's cores.
Everything is bounded: each phase stops after its time, the server is stopped
and the temporary directory deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from vksupport_cli.desk.service import Desk

from startup import child_env, start_server

PUSH_WAIT = 50  # seconds asked per long-poll, as `vksupport wait` does


def build(db_path: Path, waiters: int) -> tuple[list[tuple[int, str]], str]:
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


async def poll_phase(
    client: httpx.AsyncClient, pairs: list[tuple[int, str]], interval: float, idle: float
) -> int:
    """Each waiter polls with If-None-Match every ``interval`` s for ``idle`` s; returns the requests made."""
    made = 0
    stop = time.monotonic() + idle

    async def one(offset: float, qid: int, token: str) -> None:
        nonlocal made
        headers = {"Authorization": f"Bearer {token}"}
        first = await client.get(f"/questions/{qid}", headers=headers)
        headers["If-None-Match"] = first.headers["etag"]
        await asyncio.sleep(offset)
        while time.monotonic() < stop:
            await client.get(f"/questions/{qid}", headers=headers)
            made += 1
            await asyncio.sleep(interval)

    spread = [interval * n / len(pairs) for n in range(len(pairs))]  # as independent scripts would be
    await asyncio.gather(
        *(one(offset, qid, token) for offset, (qid, token) in zip(spread, pairs, strict=True))
    )
    return made


async def push_waiter(
    client: httpx.AsyncClient, qid: int, token: str, returned: dict[int, float], counter: list[int]
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    first = await client.get(f"/questions/{qid}", headers=headers)
    counter[0] += 1
    headers["If-None-Match"] = first.headers["etag"]
    while True:
        reply = await client.get(f"/questions/{qid}", params={"wait": PUSH_WAIT}, headers=headers)
        counter[0] += 1
        if reply.status_code == 200:
            returned[qid] = time.monotonic()
            return


def answer_all(url: str, agent_token: str, qids: list[int], gap: float, sent: dict[int, float]) -> None:
    with httpx.Client(base_url=url + "/api/v1", timeout=30) as agent:
        for qid in qids:
            sent[qid] = time.monotonic()
            reply = agent.post(
                f"/agent/questions/{qid}/answer",
                json={"body": "Ответ."},
                headers={"Authorization": f"Bearer {agent_token}"},
            )
            reply.raise_for_status()
            time.sleep(gap)


async def pending(client: httpx.AsyncClient) -> int:
    reply = await client.get("/health")
    return int(reply.json()["long_poll"]["waiting"])


async def run(args: argparse.Namespace, url: str, server_cpu, pairs, agent_token: str) -> dict[str, float]:
    figures: dict[str, float] = {}
    limits = httpx.Limits(max_connections=len(pairs) + 10, max_keepalive_connections=len(pairs) + 10)
    timeout = httpx.Timeout(PUSH_WAIT + 30, connect=30)
    async with httpx.AsyncClient(base_url=url + "/api/v1", limits=limits, timeout=timeout) as client:
        # 1. the floor: polling
        cpu0, t0 = server_cpu(), time.monotonic()
        # at least three intervals, so that every poller's spread-out turn comes round
        made = await poll_phase(client, pairs, args.interval, max(args.idle, 3 * args.interval))
        elapsed = time.monotonic() - t0
        figures["poll_cpu"] = (server_cpu() - cpu0) / elapsed
        figures["poll_rpm"] = made / elapsed * 60 / len(pairs)

        # 2. push, nothing changes
        returned: dict[int, float] = {}
        counter = [0]
        tasks = [
            asyncio.create_task(push_waiter(client, qid, token, returned, counter)) for qid, token in pairs
        ]
        deadline = time.monotonic() + 120
        while await pending(client) < len(pairs):
            if time.monotonic() > deadline:
                raise SystemExit("the long-polls did not all reach the server within 120 s")
            await asyncio.sleep(0.2)
        requests0, cpu0, t0 = counter[0], server_cpu(), time.monotonic()
        await asyncio.sleep(args.idle)
        elapsed = time.monotonic() - t0
        figures["push_cpu"] = (server_cpu() - cpu0) / elapsed
        figures["push_rpm"] = (counter[0] - requests0) / elapsed * 60 / len(pairs)

        # 3. answers
        answered = [qid for qid, _token in pairs[: args.answers]]
        sent: dict[int, float] = {}
        answering = threading.Thread(target=answer_all, args=(url, agent_token, answered, args.gap, sent))
        answering.start()
        while answering.is_alive():
            await asyncio.sleep(0.05)
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
    args = parser.parse_args()
    args.answers = min(args.answers, args.waiters)
    with tempfile.TemporaryDirectory(prefix="wait-push-") as tmp:
        home = Path(tmp)
        env = child_env(home)
        db_path = home / "desk.sqlite3"
        started = time.monotonic()
        pairs, agent_token = build(db_path, args.waiters)
        print(f"desk: {args.waiters:,} users with a taken question each ({time.monotonic() - started:.0f} s)")
        server = start_server(db_path, env, log_dir=home)
        try:
            figures = asyncio.run(run(args, server.url, server.cpu_seconds, pairs, agent_token))
        finally:
            server.stop()
    print(f"{args.waiters:,} waiters on one worker, {args.idle:.0f} s with nothing changing:")
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

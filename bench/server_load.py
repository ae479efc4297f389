"""Load on the reference server: the trivial endpoint, a question GET and the list, side by side.

Run from the project root:

    .venv/bin/python bench/server_load.py                     # 20 s per run, 100 connections: ~8 min
    .venv/bin/python bench/server_load.py --duration 5 --waiters 200 --wait-idle 5    # a quicker look

It builds a desk of 1,000 questions of one user's history through the desk API
(the same builder as bench/startup.py; the user is made by ``vksupport desk
add-user``, whose token is the load's) and puts three endpoints under load with
a fixed number of keep-alive connections: ``GET /api/v1/health`` (the floor: no
desk work), ``GET /api/v1/questions/{id}`` (a long thread) and ``GET
/api/v1/questions`` (the list, first page), served by ``vksupport desk serve
--rate-limit 0`` on 127.0.0.1 in each of these setups: SQLite with one worker
and with two; the same history on PostgreSQL (a throw-away cluster, as the
tests start one; ``--postgres URL`` for an empty database of yours, ``none`` to
skip) behind one node and behind two single-worker nodes, the connections split
between the nodes, one generator each. Each worker and each node is pinned to
a CPU of its own (``desk serve --cpus``; ``--no-pin`` lets them float). Each run stops by itself after
``--duration`` seconds or ``--max-requests`` requests, after a one-second
warm-up that is not counted. Last, bench/wait_push.py's phases with
``--waiters`` concurrent waits (its own desk, SQLite, one worker): the server's
CPU while nothing changes (polling floor, then long-polls) and answer→return
p50/p99.

The load generator is ``wrk`` when it is installed (Debian: ``apt-get install
wrk``), else a small asyncio HTTP/1.1 client in a separate process
(``--generator python`` forces it; it is slower and can become the bottleneck).
Client, server and database share the machine's cores: the output says how
much CPU each used, the server's CPU per request, and how busy the whole
machine was. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from startup import HISTORY, VKSUPPORT, Server, add_user, build_history, child_env, start_server

P99_TARGET_MS = 50
THROUGHPUT_TARGET = 0.5  # question GET and list throughput / health throughput
SCALE_TARGET = 1.7  # two workers (two nodes) / one, on the question GET
TOKEN_ENV = "BENCH_TOKEN"  # the token reaches the generator by its environment, never its argv

WRK_SCRIPT = r"""
-- Authorization from the environment; stop this thread after its share of --max-requests.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
local limit = tonumber(os.getenv("BENCH_MAX_PER_THREAD"))
local count = 0
function response(status, headers, body)
  count = count + 1
  if count >= limit then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors, timeouts and non-2xx/3xx replies
    client_cpu_s: float
    server_cpu_s: float = 0.0
    database_cpu_s: float = 0.0
    machine_busy_s: float = 0.0
    machine_total_s: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# -- generators --------------------------------------------------------------------


def run_child(argv: list[str], env: dict[str, str], limit: float) -> tuple[int, bytes, bytes, float]:
    """Run a generator to its end (killed after ``limit`` s): exit code, stdout, stderr, CPU seconds."""
    proc = subprocess.Popen(
        argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    timer = threading.Timer(limit, proc.kill)
    timer.start()
    try:
        err_chunks: list[bytes] = []
        reader = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()))
        reader.start()
        out = proc.stdout.read()
        reader.join()
        _, status, usage = os.wait4(proc.pid, 0)  # reaped here, with its rusage
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        timer.cancel()
        proc.stdout.close()
        proc.stderr.close()
    return proc.returncode, out, b"".join(err_chunks), usage.ru_utime + usage.ru_stime


def run_wrk(
    url: str, token: str, *, connections: int, duration: float, max_requests: int, threads: int, work: Path
) -> Result:
    script = work / "load.lua"
    script.write_text(WRK_SCRIPT)
    env = {**os.environ, TOKEN_ENV: token, "BENCH_MAX_PER_THREAD": str(max(1, max_requests // threads))}
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        url,
    ]
    code, out, err, cpu = run_child(argv, env, duration + 60)
    line = next((ln for ln in out.decode().splitlines() if ln.startswith("BENCH ")), None)
    if code != 0 or line is None:
        raise SystemExit(f"wrk failed ({code}): {err.decode()[-1000:]} {out.decode()[-1000:]}")
    data = json.loads(line[6:])
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Result(
        data["requests"], data["duration_us"] / 1e6, data["p50_us"] / 1000, data["p99_us"] / 1000, errors, cpu
    )


def run_python(
    url: str, token: str, *, connections: int, duration: float, max_requests: int, threads: int, work: Path
) -> Result:
    env = {**os.environ, TOKEN_ENV: token}
    argv = [sys.executable, __file__, "--_generate", url, str(connections), str(duration), str(max_requests)]
    code, out, err, cpu = run_child(argv, env, duration + 60)
    if code != 0:
        raise SystemExit(f"the python load generator failed ({code}): {err.decode()[-1500:]}")
    data = json.loads(out)
    return Result(data["requests"], data["seconds"], data["p50_ms"], data["p99_ms"], data["errors"], cpu)


def generate(url: str, connections: int, duration: float, max_requests: int) -> None:
    """The python generator's own process: keep-alive HTTP/1.1 over asyncio streams; prints JSON."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    request = (
        f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: Bearer {os.environ[TOKEN_ENV]}\r\nAccept: application/json\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    errors = 0
    sent = 0

    async def connection(deadline: float) -> None:
        nonlocal errors, sent
        reader = writer = None
        while time.perf_counter() < deadline and sent < max_requests:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
                sent += 1
                began = time.perf_counter()
                writer.write(request)
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
                status = int(head.split(b" ", 2)[1])
                length = 0
                close = False
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"connection" and value.strip().lower() == b"close":
                        close = True
                if length:
                    await asyncio.wait_for(reader.readexactly(length), 5)
                latencies.append(time.perf_counter() - began)
                if not 200 <= status < 400:
                    errors += 1
                if close:
                    writer.close()
                    writer = None
            except (
                TimeoutError,
                OSError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
                ValueError,
            ):
                errors += 1
                if writer is not None:
                    writer.close()
                writer = None
        if writer is not None:
            writer.close()

    async def main() -> float:
        began = time.perf_counter()
        await asyncio.gather(*(connection(began + duration) for _ in range(connections)))
        return time.perf_counter() - began

    seconds = asyncio.run(main())
    latencies.sort()
    pick = (
        (lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000)
        if latencies
        else (lambda q: float("nan"))
    )
    print(
        json.dumps(
            {
                "requests": len(latencies),
                "seconds": seconds,
                "p50_ms": pick(0.50),
                "p99_ms": pick(0.99),
                "errors": errors,
            }
        )
    )


GENERATORS = {"wrk": run_wrk, "python": run_python}


# -- the run -------------------------------------------------------------------------


def check(url: str, token: str) -> None:
    """One request, to fail clearly before a load run of a wrong endpoint."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            reply.read()
    except OSError as error:
        raise SystemExit(f"GET {url} failed before the load: {error}") from None


def idle_latency_ms(url: str, requests: int = 21) -> float:
    """Median latency of sequential requests on one keep-alive connection to an idle server.

    About 40 ms instead of well under one means a reply written in two parts waits for the
    client's delayed ACK: the server's sockets lack TCP_NODELAY (Nagle's algorithm is on).
    """
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    times = []
    try:
        for _ in range(requests):
            began = time.perf_counter()
            connection.request("GET", parts.path)
            connection.getresponse().read()
            times.append(time.perf_counter() - began)
    finally:
        connection.close()
    return statistics.median(times[1:]) * 1000


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, every core (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / tick, sum(fields) / tick


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of process ``root`` and its descendants (the database's, here)."""
    from types import SimpleNamespace

    return Server(SimpleNamespace(pid=root), "", Path()).cpu_seconds()  # type: ignore[arg-type]


@dataclass
class Setup:
    """What serves the load: one server with N workers, or N single-worker nodes on one database."""

    label: str  # "SQLite, 1 worker", ...
    servers: list  # startup.Server, each a `vksupport desk serve`
    database_pid: int | None = None  # PostgreSQL's postmaster, for its CPU

    def cpu_seconds(self) -> float:
        return sum(server.cpu_seconds() for server in self.servers)

    def database_cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.database_pid) if self.database_pid else 0.0


def load(setup: Setup, path: str, token: str, run, opts, work: Path, *, warm_up: bool = True) -> Result:
    """Put ``path`` under load on every server of ``setup`` at once, the connections split between them."""
    urls = [server.url + path for server in setup.servers]
    share = max(1, opts.connections // len(urls))

    def one(url: str, duration: float, out: list) -> None:
        folder = work / f"generator-{urls.index(url)}"
        folder.mkdir(exist_ok=True)
        out.append(
            run(
                url,
                token,
                connections=share,
                duration=duration,
                max_requests=opts.max_requests // len(urls),
                threads=opts.threads,
                work=folder,
            )
        )

    def all_at_once(duration: float) -> list[Result]:
        results: list[Result] = []
        threads = [threading.Thread(target=one, args=(url, duration, results)) for url in urls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if len(results) != len(urls):
            raise SystemExit("a load generator failed (see above)")
        return results

    for url in urls:
        check(url, token)
    if warm_up:
        all_at_once(1)  # not counted
    cpu_before, db_before, busy_before = (
        setup.cpu_seconds(),
        setup.database_cpu_seconds(),
        machine_busy_seconds(),
    )
    results = all_at_once(opts.duration)
    busy_after = machine_busy_seconds()
    combined = Result(
        requests=sum(r.requests for r in results),
        seconds=max(r.seconds for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),  # of the generators' medians
        p99_ms=max(r.p99_ms for r in results),  # the worst generator's: a bound from above
        errors=sum(r.errors for r in results),
        client_cpu_s=sum(r.client_cpu_s for r in results),
    )
    combined.server_cpu_s = setup.cpu_seconds() - cpu_before
    combined.database_cpu_s = setup.database_cpu_seconds() - db_before
    combined.machine_busy_s = busy_after[0] - busy_before[0]
    combined.machine_total_s = busy_after[1] - busy_before[1]
    return combined


def listening_sockets(port: int) -> int:
    """How many sockets listen on ``port`` (/proc/net/tcp*): one per worker when each binds its own."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                count += state == "0A" and int(local.rsplit(":", 1)[1], 16) == port
    return count


def pinning(pin: bool, first: int = 0) -> tuple[str, ...]:
    """``desk serve``'s options that pin its workers to CPUs from ``first`` on, in turn (or none)."""
    if not pin:
        return ()
    cpus = sorted(os.sched_getaffinity(0))
    return ("--cpus", ",".join(str(cpus[(first + i) % len(cpus)]) for i in range(len(cpus))))


def start_workers(db_path: Path, env: dict[str, str], workers: int, work: Path, pin: bool) -> Server:
    """startup.start_server, then until every worker listens (each binds the port with SO_REUSEPORT)."""
    server = start_server(db_path, env, workers=workers, log_dir=work, options=pinning(pin))
    port = int(server.url.rsplit(":", 1)[1])
    deadline = time.monotonic() + 60
    while workers > 1 and listening_sockets(port) < workers and time.monotonic() < deadline:
        time.sleep(0.1)
    return server


def waits(db_path: Path, env: dict[str, str], opts, work: Path) -> dict[str, float]:
    """bench/wait_push.py's phases (poll floor, idle long-polls, answers) on a desk of its own."""
    import wait_push

    pairs, agent_token = wait_push.build(db_path, opts.waiters)
    # Room for every waiter's connection and then some (1,000 a worker by default: 1,000 waiters fill it).
    server = start_server(
        db_path,
        env,
        log_dir=work,
        options=("--max-connections", str(2 * opts.waiters + 100), *pinning(opts.pin)),
    )
    args = argparse.Namespace(
        idle=opts.wait_idle, interval=10.0, answers=min(200, opts.waiters), gap=0.05, waiters=opts.waiters
    )
    try:
        return asyncio.run(wait_push.run(args, server.url, server.cpu_seconds, pairs, agent_token))
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20, help="seconds of load per run (default 20)")
    parser.add_argument(
        "--connections", type=int, default=100, help="concurrent keep-alive connections (default 100)"
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        default=1_000_000,
        help="stop a run after this many requests (default 1,000,000)",
    )
    parser.add_argument(
        "--workers",
        default="1,2",
        help="server worker processes to try on SQLite, comma-separated (default 1,2)",
    )
    parser.add_argument(
        "--postgres",
        default="temp",
        help="1 and 2 nodes on PostgreSQL: 'temp' (a throw-away cluster, as the tests start), "
        "an empty database's URL, or 'none' to skip (default temp)",
    )
    parser.add_argument(
        "--waiters", type=int, default=1000, help="concurrent `wait`s (bench/wait_push.py); 0 skips them"
    )
    parser.add_argument(
        "--wait-idle", type=float, default=20, help="seconds the waiters are watched while nothing changes"
    )
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator (default: wrk if installed)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="wrk threads per generator (default 1: a core is left to the server)",
    )
    parser.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="pin each worker (and each node) to a CPU of its own, with `desk serve --cpus` (default); "
        "--no-pin lets them move between cores",
    )
    opts = parser.parse_args()
    if not Path(VKSUPPORT).exists():
        raise SystemExit(
            f"No {VKSUPPORT}: run this with the virtualenv's python (.venv/bin/python bench/server_load.py)."
        )
    generator = opts.generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "python"
    elif generator == "wrk" and not shutil.which("wrk"):
        raise SystemExit(
            "wrk is not installed: apt-get install wrk (Debian/Ubuntu), or use --generator python."
        )
    run = GENERATORS[generator]
    workers_list = [int(w) for w in opts.workers.split(",") if w.strip()]

    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="vksupport-load-"))
    cluster = None
    try:
        env = child_env(work / "home")
        db_path = work / "desk.sqlite3"
        token = add_user(db_path, "bench-user", env)
        built = build_history(db_path, "bench-user", "bench-agent")
        question = f"question {built['show_id']}"
        endpoints = [
            ("health", "/api/v1/health"),
            (question, f"/api/v1/questions/{built['show_id']}"),
            ("list", "/api/v1/questions"),
        ]
        setups: list[tuple[str, Callable[[], Setup]]] = []
        for workers in workers_list:
            label = f"SQLite, {workers} worker{'s' if workers > 1 else ''}"
            setups.append(
                (
                    label,
                    lambda w=workers, name=label: Setup(
                        name, [start_workers(db_path, env, w, work, opts.pin)]
                    ),
                )
            )
        pg_note = ""
        if opts.postgres != "none":
            try:
                pg_url, cluster, postmaster = postgres_database(opts.postgres)
            except RuntimeError as error:
                pg_note = f"PostgreSQL skipped: {error}"
            else:
                pg_token = add_user(pg_url, "bench-user", env)  # type: ignore[arg-type]
                pg_built = build_history(pg_url, "bench-user", "bench-agent")  # type: ignore[arg-type]
                if pg_token and pg_built["show_id"] != built["show_id"]:
                    raise SystemExit("the PostgreSQL desk's long thread has another id than SQLite's")
                for nodes in (1, 2):
                    label = f"PostgreSQL, {nodes} node{'s' if nodes > 1 else ''}"
                    setups.append(
                        (
                            label,
                            lambda n=nodes, name=label: Setup(
                                name,
                                [
                                    start_server(pg_url, env, log_dir=work, options=pinning(opts.pin, node))
                                    for node in range(n)
                                ],
                                postmaster,  # type: ignore[arg-type]
                            ),
                        )
                    )
        tokens = {label: (pg_token if label.startswith("PostgreSQL") else token) for label, _ in setups}

        cores = os.cpu_count()
        if generator == "wrk":
            desc = f"wrk ({opts.threads} thread{'s' if opts.threads > 1 else ''} per generator, Lua script for the token and the request cap)"
        else:
            desc = (
                "asyncio HTTP/1.1 client in one separate process (slower than wrk, it may be the bottleneck: "
                "apt-get install wrk for a stronger client)"
            )
            if opts.generator == "auto":
                desc += "; wrk was not found on PATH"
        print(
            f"vksupport desk serve under load: {opts.connections} keep-alive connections, {opts.duration:g} s per run "
            f"(or {opts.max_requests:,} requests), after a 1 s warm-up; --rate-limit 0; 127.0.0.1"
        )
        print(f"generator: {desc}; with 2 nodes, one generator per node, the connections split between them")
        print(
            "server: each worker and each node pinned to a CPU of its own (desk serve --cpus; the first on CPU "
            f"{sorted(os.sched_getaffinity(0))[0]})"
            if opts.pin
            else "server: workers not pinned (--no-pin): they move between cores"
        )
        print(
            f"desk: {HISTORY:,} questions of the token's user; {question} is a long thread "
            f"(comments, two answers, a rating); the list is the first page (20); the same history on PostgreSQL"
        )
        print(
            f"machine: {cores} cores, shared by the client, the server, the database (and anything else running): "
            "CPU % columns are of one core; 'machine' is every core's busy time, of one core\n"
        )

        results: dict[tuple[str, str], Result] = {}
        idle: dict[str, float] = {}
        for label, make in setups:
            setup = make()
            try:
                idle[label] = idle_latency_ms(setup.servers[0].url + endpoints[0][1])
                for name, path in endpoints:
                    result = load(setup, path, tokens[label], run, opts, work)
                    results[(label, name)] = result
                    print(f"  done: {label}, {name}: {result.rps:,.0f} req/s", file=sys.stderr, flush=True)
            finally:
                for server in setup.servers:
                    server.stop()
        verdicts = report(opts, endpoints, results, idle, pg_note)
        sys.stdout.flush()
        if opts.waiters > 0:
            verdicts.append(report_waits(opts, waits(work / "waits.sqlite3", env, opts, work)))
        misses = [name for name, verdict in verdicts if verdict == "MISS"]
        print(
            f"\n{len(verdicts) - len(misses)} of {len(verdicts)} targets met"
            + (f"; missed: {'; '.join(misses)}" if misses else "")
        )
        print(f"total {time.perf_counter() - started:.0f} s")
        return 0
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


def postgres_database(where: str):
    """(URL of an empty database, the throw-away cluster or None, the postmaster's pid or None)."""
    if where != "temp":
        return where, None, None
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from pg_support import PostgresCluster

    cluster = PostgresCluster()
    try:
        cluster.start()
    except Exception as error:  # noqa: BLE001 - any reason it cannot start is said the same way
        cluster.stop()
        raise RuntimeError(f"the throw-away cluster did not start ({error})") from None
    postmaster = int((cluster.data / "postmaster.pid").read_text().split("\n", 1)[0])
    return cluster.new_database(), cluster, postmaster


def report(opts, endpoints, results, idle, pg_note: str) -> list[tuple[str, str]]:
    """Print the load runs side by side; returns (target, "pass" | "MISS") for each target judged."""
    print(
        "idle latency, GET /api/v1/health on one keep-alive connection, sequential (median): "
        + ", ".join(f"{label} {ms:.1f} ms" for label, ms in idle.items())
    )
    stalled = [label for label, ms in idle.items() if ms >= 30]
    if stalled:
        print(
            f"  {', '.join(stalled)}: every reply waits ~40 ms for the client's delayed ACK: the server's sockets "
            "lack TCP_NODELAY (see Kludex/uvicorn#3149)"
        )
    if pg_note:
        print(pg_note)
    print()
    header = (
        f"{'setup':<19} {'endpoint':<13} {'requests':>9}  {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6} {'server':>7} {'µs/req':>6} {'db':>5} {'client':>7} {'machine':>8}  p99 < {P99_TARGET_MS} ms"
    )
    print(header)
    print("-" * len(header))
    verdicts = []
    for (label, name), r in results.items():
        judged = name != "health"
        verdict = ("pass" if r.p99_ms < P99_TARGET_MS and r.errors == 0 else "MISS") if judged else "(floor)"
        if judged:
            verdicts.append((f"p99 {name}, {label}", verdict))
        capped = "*" if r.requests >= opts.max_requests else " "
        db = f"{r.database_cpu_s / r.seconds * 100:>4.0f}%" if label.startswith("PostgreSQL") else "    -"
        print(
            f"{label:<19} {name:<13} {r.requests:>9,}{capped}{r.rps:>8,.0f} {r.p50_ms:>7.1f} {r.p99_ms:>7.1f} "
            f"{r.errors:>6} {r.server_cpu_s / r.seconds * 100:>6.0f}% {r.server_cpu_s / max(1, r.requests) * 1e6:>6.0f} "
            f"{db} {r.client_cpu_s / r.seconds * 100:>6.0f}% "
            f"{r.machine_busy_s / r.seconds * 100:>7.0f}%  {verdict}"
        )
    labels = list(dict.fromkeys(label for label, _ in results))
    print(
        f"\nthroughput against the health endpoint of the same setup (targets: question GET and list "
        f"≥ {THROUGHPUT_TARGET:.0%})"
    )
    for label in labels:
        health = results[(label, "health")].rps
        parts = []
        for name, _ in endpoints[1:]:
            ratio = results[(label, name)].rps / health if health else 0.0
            verdict = "pass" if ratio >= THROUGHPUT_TARGET else "MISS"
            verdicts.append((f"throughput {name}, {label}", verdict))
            parts.append(f"{name} {ratio:.1%} ({verdict})")
        print(f"  {label}: " + ", ".join(parts))
    print(f"\nscaling (target on the question GET: ≥ {SCALE_TARGET:.1f}×)")
    question = endpoints[1][0]
    for base, more in (
        ("SQLite, 1 worker", "SQLite, 2 workers"),
        ("PostgreSQL, 1 node", "PostgreSQL, 2 nodes"),
    ):
        if base not in labels or more not in labels:
            continue
        parts = []
        for name, _ in endpoints:
            scale = (
                results[(more, name)].rps / results[(base, name)].rps if results[(base, name)].rps else 0.0
            )
            if name == question:
                verdict = "pass" if scale >= SCALE_TARGET else "MISS"
                verdicts.append((f"scaling {name}, {more} against {base}", verdict))
                parts.append(f"{name} {scale:.2f}× ({verdict})")
            else:
                parts.append(f"{name} {scale:.2f}×")
        b, m = results[(base, question)], results[(more, question)]
        room = (
            f"; on the question GET the machine was busy {b.machine_busy_s / b.seconds * 100:.0f}% → "
            f"{m.machine_busy_s / m.seconds * 100:.0f}% of one core (of {os.cpu_count() * 100}%), "
            f"the generator(s) {b.client_cpu_s / b.seconds * 100:.0f}% → {m.client_cpu_s / m.seconds * 100:.0f}%"
        )
        print(f"  {more} against {base}: " + ", ".join(parts) + room)
    if any(r.requests >= opts.max_requests for r in results.values()):
        print(
            "\n* stopped by --max-requests before --duration: its req/s is understated (wrk divides by the full duration)"
        )
    print(
        f"\nerrors: socket errors, timeouts (5 s) and non-2xx/3xx replies. CPU: seconds used during the run "
        f"over its duration: server (every process of every node, /proc; µs/req: its CPU per request served, "
        f"the figure least moved by other programs on the machine), db (PostgreSQL's processes), client "
        f"(the generators' rusage), machine (every core's busy time, /proc/stat: other programs included). In a "
        f"closed loop of {opts.connections} connections the mean latency is {opts.connections} / throughput, so a "
        f"p99 under {P99_TARGET_MS} ms needs more than {opts.connections * 1000 / P99_TARGET_MS:,.0f} req/s."
    )
    return verdicts


def report_waits(opts, waited: dict[str, float]) -> tuple[str, str]:
    """Print the waits' figures; returns the answer→return target's verdict."""
    print(
        f"\n{opts.waiters:,} concurrent `wait`s (bench/wait_push.py's phases; SQLite, 1 worker), "
        f"{max(opts.wait_idle, 30):g} s / {opts.wait_idle:g} s with nothing changing:"
    )
    print(
        f"  poll every 10 s (the floor, before push): server CPU {waited['poll_cpu']:6.1%} of a core, "
        f"{waited['poll_rpm']:.2f} requests/min per waiter"
    )
    print(
        f"  long-poll (push):                        server CPU {waited['push_cpu']:6.1%} of a core, "
        f"{waited['push_rpm']:.2f} requests/min per waiter"
    )
    ok = waited["p99_ms"] < 1000 and not waited["missed"]
    print(
        f"  answer→return: p50 {waited['p50_ms']:.0f} ms, p99 {waited['p99_ms']:.0f} ms, max {waited['max_ms']:.0f} ms"
        + (f", {waited['missed']:.0f} not returned within 10 s" if waited["missed"] else "")
        + f" (goal p99 < 1 s: {'pass' if ok else 'MISS'})"
    )
    return ("answer→return p99 of the waits", "pass" if ok else "MISS")


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--_generate":
        generate(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
        sys.exit(0)
    sys.exit(main())

"""Load on the reference server: question reads against its trivial endpoint.

Run from the project root:

    .venv/bin/python bench/server_load.py                     # 30 s per run, 100 connections: ~3.5 min
    .venv/bin/python bench/server_load.py --duration 10       # a quicker look (~1.5 min)

It builds a desk of 1,000 questions of one user's history through the desk API
(the same builder as bench/startup.py; the user is made by ``vksupport desk
add-user``, whose token is the load's), serves it with ``vksupport desk serve
--rate-limit 0`` on a free port of 127.0.0.1, once with one worker process and
once with two, and puts each of three endpoints under load with a fixed number
of keep-alive connections: ``GET /api/v1/health`` (the floor: no desk work),
``GET /api/v1/questions/{id}`` (a long thread) and ``GET /api/v1/questions``
(the list, first page). Each run stops by itself after ``--duration`` seconds or
``--max-requests`` requests, whichever comes first, after a one-second warm-up
that is not counted.

The load generator is ``wrk`` when it is installed (Debian: ``apt-get install
wrk``), else a small asyncio HTTP/1.1 client in a separate process
(``--generator python`` forces it; it is slower and can become the bottleneck).
Client and server share the machine's cores: the output says how much CPU each
used. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
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
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from startup import HISTORY, VKSUPPORT, add_user, build_history, child_env, start_server

P99_TARGET_MS = 50
THROUGHPUT_TARGET = 0.5  # question GET throughput / health throughput
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30, help="seconds of load per run (default 30)")
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
        "--workers", default="1,2", help="server worker processes to try, comma-separated (default 1,2)"
    )
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator (default: wrk if installed)",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="wrk threads (default 1: one core is left to the server)"
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
    try:
        env = child_env(work / "home")
        db_path = work / "desk.sqlite3"
        token = add_user(db_path, "bench-user", env)
        built = build_history(db_path, "bench-user", "bench-agent")
        endpoints = [
            ("health", "/api/v1/health"),
            (f"question {built['show_id']}", f"/api/v1/questions/{built['show_id']}"),
            ("list", "/api/v1/questions"),
        ]
        cores = os.cpu_count()
        if generator == "wrk":
            desc = f"wrk ({opts.threads} thread{'s' if opts.threads > 1 else ''}, Lua script for the token and the request cap)"
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
        print(f"generator: {desc}")
        print(
            f"desk: {HISTORY:,} questions of the token's user; question {built['show_id']} is a long thread "
            f"(comments, two answers, a rating); the list is the first page (20)"
        )
        print(
            f"machine: {cores} cores, shared by the client and the server (and anything else running): "
            "CPU % columns are of one core\n"
        )

        results: dict[tuple[int, str], Result] = {}
        idle: dict[int, float] = {}
        for workers in workers_list:
            server = start_server(db_path, env, workers=workers, log_dir=work)
            try:
                idle[workers] = idle_latency_ms(server.url + endpoints[0][1])
                for name, path in endpoints:
                    url = server.url + path
                    check(url, token)
                    run(
                        url,
                        token,
                        connections=opts.connections,
                        duration=1,
                        max_requests=opts.max_requests,
                        threads=opts.threads,
                        work=work,
                    )  # warm-up, not counted
                    cpu_before = server.cpu_seconds()
                    result = run(
                        url,
                        token,
                        connections=opts.connections,
                        duration=opts.duration,
                        max_requests=opts.max_requests,
                        threads=opts.threads,
                        work=work,
                    )
                    result.server_cpu_s = server.cpu_seconds() - cpu_before
                    results[(workers, name)] = result
                    sys.stdout.flush()
                    print(
                        f"  done: {workers} worker(s), {name}: {result.rps:,.0f} req/s",
                        file=sys.stderr,
                        flush=True,
                    )
            finally:
                server.stop()

        print(
            "idle latency, GET /api/v1/health on one keep-alive connection, sequential (median): "
            + ", ".join(f"{w} worker(s) {ms:.1f} ms" for w, ms in idle.items())
        )
        stalled = [w for w, ms in idle.items() if ms >= 30]
        if stalled:
            print(
                f"  with {', '.join(map(str, stalled))} worker(s) every reply waits ~40 ms for the client's delayed ACK: "
                "the server's sockets lack TCP_NODELAY (uvicorn binds the shared socket of --workers N with "
                "proto 0, so asyncio does not set it; see Kludex/uvicorn#3149)"
            )
        print()
        header = (
            f"{'workers':>7}  {'endpoint':<13} {'requests':>9}  {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
            f"{'errors':>6} {'server CPU':>10} {'client CPU':>10}  p99 < {P99_TARGET_MS} ms"
        )
        print(header)
        print("-" * len(header))
        verdicts = []
        for (workers, name), r in results.items():
            judged = not name.startswith("health")
            verdict = (
                ("pass" if r.p99_ms < P99_TARGET_MS and r.errors == 0 else "MISS") if judged else "(floor)"
            )
            if judged:
                verdicts.append((f"p99 {name}, {workers} worker(s)", verdict))
            capped = "*" if r.requests >= opts.max_requests else " "
            print(
                f"{workers:>7}  {name:<13} {r.requests:>9,}{capped}{r.rps:>8,.0f} {r.p50_ms:>7.1f} {r.p99_ms:>7.1f} "
                f"{r.errors:>6} {r.server_cpu_s / r.seconds * 100:>9.0f}% {r.client_cpu_s / r.seconds * 100:>9.0f}%  {verdict}"
            )
        print(
            f"\nthroughput against the health endpoint of the same server (target for the question GET: "
            f"≥ {THROUGHPUT_TARGET:.0%})"
        )
        for workers in workers_list:
            health = results[(workers, "health")].rps
            parts = []
            for name, _ in endpoints[1:]:
                ratio = results[(workers, name)].rps / health if health else 0.0
                if name.startswith("question"):
                    verdict = "pass" if ratio >= THROUGHPUT_TARGET else "MISS"
                    verdicts.append((f"throughput {name}, {workers} worker(s)", verdict))
                    parts.append(f"{name} {ratio:.1%} ({verdict})")
                else:
                    parts.append(f"{name} {ratio:.1%}")
            caveat = (
                " (health is held back by the ~40 ms stall above: this ratio flatters the question GET)"
                if workers in stalled
                else ""
            )
            print(f"  {workers} worker(s): " + ", ".join(parts) + caveat)
        if len(workers_list) > 1:
            base = workers_list[0]
            for workers in workers_list[1:]:
                scale = ", ".join(
                    f"{name} {results[(workers, name)].rps / results[(base, name)].rps:.2f}×"
                    for name, _ in endpoints
                    if results[(base, name)].rps
                )
                print(f"  {workers} workers against {base}: {scale}")
        if any(r.requests >= opts.max_requests for r in results.values()):
            print(
                "\n* stopped by --max-requests before --duration: its req/s is understated (wrk divides by the full duration)"
            )
        print(
            f"\nerrors: socket errors, timeouts (5 s) and non-2xx/3xx replies. CPU: seconds used during the run "
            f"over its duration (server: all its processes, /proc; client: the generator's rusage). In a closed loop "
            f"of {opts.connections} connections the mean latency is {opts.connections} / throughput, so a p99 under "
            f"{P99_TARGET_MS} ms needs more than {opts.connections * 1000 / P99_TARGET_MS:,.0f} req/s."
        )
        misses = [name for name, verdict in verdicts if verdict == "MISS"]
        print(
            f"{len(verdicts) - len(misses)} of {len(verdicts)} targets met"
            + (f"; missed: {'; '.join(misses)}" if misses else "")
        )
        print(f"total {time.perf_counter() - started:.0f} s")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--_generate":
        generate(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
        sys.exit(0)
    sys.exit(main())

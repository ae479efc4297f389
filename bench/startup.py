"""Start-up cost of the command line: each case against the bare interpreter and a hello-world Typer app.

Run from the project root:

    .venv/bin/python bench/startup.py            # 31 runs per case: ~40 s quiet, ~2 min on a busy machine
    .venv/bin/python bench/startup.py --runs 61  # steadier medians on a busy machine

Every CLI call is a new process, so what a person or a script waits for is the
process: interpreter start, imports, opening the desk, the work, exit. For each
case this runs the floor (``python -c pass`` of the same interpreter, same
environment, same kind of stdout), the second floor (bench/hello_typer.py, the
smallest Typer program) and the case in turn, ``--runs`` times, and prints the
median wall time, the ratios to both floors' medians, and the peak
memory (max RSS from ``os.wait4``). Then it prints where the time goes for
``list --json`` and ``--help``: the heaviest imports of ``python -X importtime``.

The sandbox is built once, in a temporary ``VKSUPPORT_HOME``, through the desk
API: 1,000 questions of the sandbox user's history (answered, rated, closed,
some with comments and follow-ups). The server case runs ``vksupport desk
serve`` on a second database (a user made by ``vksupport desk add-user``, whose
token goes to the child in ``VKSUPPORT_TOKEN``) on a free loopback port. Child
processes run without ``PYTHONDONTWRITEBYTECODE``, so they use the bytecode
cache as an installed package does. Everything lives in a temporary directory
that is deleted at the end. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import marshal
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PYTHON = sys.executable
#: The console script installed next to this interpreter: what people run.
VKSUPPORT = str(Path(PYTHON).parent / "vksupport")
#: The second floor: the smallest Typer program.
HELLO_TYPER = Path(__file__).resolve().parent / "hello_typer.py"
HISTORY = 1_000
SEARCH_QUERY = "взломали страницу"
#: Variables of the caller's shell that would change what a child does or costs.
SCRUBBED = (
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONPROFILEIMPORTTIME",
    "PYTHONSTARTUP",
    "PYTHONVERBOSE",
    "PYTHONTRACEMALLOC",
    "PYTHONDEVMODE",
    "PYTHONWARNINGS",
    "NO_COLOR",
    "FORCE_COLOR",
    "COLUMNS",
    "LINES",
    "VKSUPPORT_SERVER",
    "VKSUPPORT_TOKEN",
    "VKSUPPORT_DEBUG",
    "VKSUPPORT_HOME",
)


# -- the sandbox and the desk server -----------------------------------------------


class FakeClock:
    """The desk's clock, walked forward by hand so the history spans about two years."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def tick(self, **delta) -> None:
        self.now += timedelta(**delta)


def build_history(db_path: Path, user_name: str, agent_name: str, count: int = HISTORY) -> dict:
    """Give ``user_name`` ``count`` finished questions through the desk API.

    One open question at a time, so each is answered (then left answered,
    rated, or closed) or closed unanswered before the next is asked; every
    25th gets a comment while waiting and a follow-up that reopens it, a
    second answer, and a rating. Returns the id of the last such thread (a
    long one, for ``show``) and the counts.
    """
    from vksupport_cli.desk.service import Desk

    clock = FakeClock(datetime.now(UTC) - timedelta(days=2 * 365))
    desk = Desk.open(db_path, clock=clock)
    try:
        user = desk.ensure_user(user_name, "user")
        agent = desk.ensure_user(agent_name, "agent")
        topics = [topic.slug for topic in desk.topics()]
        words = (
            "код",
            "пароль",
            "страница",
            "сообщения",
            "фото",
            "реклама",
            "сообщество",
            "платёж",
            "телефон",
            "вход",
            "группа",
            "подписка",
            "видео",
            "друзья",
            "аккаунт",
            "жалоба",
        )
        thread_id = None
        statuses: dict[str, int] = defaultdict(int)
        for i in range(count):
            a, b, c = words[i % 16], words[(i * 7 + 3) % 16], words[(i * 11 + 5) % 16]
            asked = desk.ask(
                user,
                topic="ads-business" if i % 17 == 0 else topics[i % len(topics)],
                title=f"Не работает {a}: вопрос номер {i + 1}",
                body=(
                    f"Здравствуйте! Проблема {i + 1}: {a}, {b} и {c}. Пробовал перезайти и сменить "
                    f"браузер, не помогло. Что делать? "
                )
                * (1 + i % 4),
                link=f"https://vk.com/id{100000 + i}" if i % 5 == 0 else None,
                kind="ads" if i % 17 == 0 else "standard",
            ).question
            qid = asked.id
            clock.tick(minutes=20)
            long_thread = i % 25 == 24
            if long_thread:
                desk.comment(user, qid, f"Дополнение к вопросу {i + 1}: ошибка повторяется каждый день.")
                clock.tick(minutes=30)
            if i % 10 == 3:  # closed by the author before anyone took it
                desk.close_question(user, qid)
                statuses["closed unanswered"] += 1
                clock.tick(hours=15)
                continue
            desk.take(agent)
            clock.tick(hours=2)
            desk.answer(
                agent,
                qid,
                f"Здравствуйте! По вопросу {i + 1}: откройте настройки, раздел «{b}», и следуйте подсказкам.",
            )
            clock.tick(hours=1)
            if long_thread:
                desk.comment(
                    user,
                    qid,
                    "Не помогло: после перезагрузки всё то же самое. Скриншот ошибки приложу позже.",
                )
                clock.tick(hours=3)
                desk.take(agent)
                clock.tick(hours=1)
                desk.answer(agent, qid, "Проверили со своей стороны: исправлено. Напишите, если повторится.")
                clock.tick(hours=1)
                desk.rate(user, qid, "good", "Спасибо, теперь работает!")
                statuses["rated, with a follow-up"] += 1
                thread_id = qid
            elif i % 3 == 0:
                desk.rate(user, qid, "good" if i % 2 else "bad", None if i % 4 else "Ответ по шаблону.")
                statuses["rated"] += 1
            elif i % 3 == 1:
                desk.close_question(user, qid)
                statuses["closed after the answer"] += 1
            else:
                statuses["answered"] += 1
            clock.tick(hours=14)
        return {"show_id": thread_id or qid, "count": count, "statuses": dict(statuses)}
    finally:
        desk.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def add_user(db_path: Path, name: str, env: dict[str, str]) -> str:
    """``vksupport desk add-user NAME --db PATH``: the token is alone on stdout."""
    done = subprocess.run(
        [VKSUPPORT, "desk", "add-user", name, "--db", str(db_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"vksupport desk add-user failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout.strip()


@dataclass
class Server:
    """``vksupport desk serve`` on loopback, in its own session so it is stopped whole."""

    process: subprocess.Popen
    url: str
    log: Path

    def pids(self) -> list[int]:
        """The server's process and its descendants (uvicorn's workers)."""
        children: dict[int, list[int]] = defaultdict(list)
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                children[ppid].append(int(entry.name))
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the server's processes (/proc)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            try:
                fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / tick

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # uvicorn's graceful stop, workers included
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # our own session, nothing else
                self.process.wait()


def start_server(
    db_path: Path, env: dict[str, str], *, workers: int = 1, log_dir: Path, options: tuple[str, ...] = ()
) -> Server:
    port = free_port()
    log = log_dir / f"serve-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                VKSUPPORT,
                "desk",
                "serve",
                "--db",
                str(db_path),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--rate-limit",
                "0",
                "--questions-per-day",
                "0",
                "--attachment-quota",
                "0",
                *options,
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
            start_new_session=True,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"vksupport desk serve exited ({process.returncode}): {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/api/v1/health", timeout=1) as reply:
                if reply.status == 200:
                    if workers > 1:  # the first worker answers; give the others time to start too
                        while len(server.pids()) <= workers and time.monotonic() < deadline:
                            time.sleep(0.1)
                        time.sleep(2)
                    return server
        except OSError:
            pass
        time.sleep(0.05)
    server.stop()
    raise SystemExit("vksupport desk serve did not come up within 60 s")


def child_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env["VKSUPPORT_HOME"] = str(home)
    return env


# -- running one process ---------------------------------------------------------

#: The program that starts every timed child. A child's max RSS (``ru_maxrss``)
#: counts the memory of the process it was forked from, before its exec: forked
#: from this harness (tens of MB, with the desk imported) every case would show
#: the harness's size. So the children are forked by this small separate
#: interpreter (``python -I -S``, a few modules), which also times them and reaps
#: them with ``os.wait4``; its own peak is printed as the resolution of the RSS
#: column. Requests and replies are marshal'ed over its stdin and stdout.
SPAWNER = r"""
import fcntl, marshal, os, select, sys, termios, time

def run(argv, env, tty, columns, rows):
    if tty:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, rows.to_bytes(2, sys.byteorder) + columns.to_bytes(2, sys.byteorder) + bytes(4))
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
                for fd in (0, 1, 2):
                    os.dup2(slave, fd)
                os.closerange(3, 1024)
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child and its terminal are gone
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(master)
        out = err = b"".join(chunks)
    else:
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            try:
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(out_w, 1)
                os.dup2(err_w, 2)
                os.closerange(3, 1024)
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        os.close(out_w)
        os.close(err_w)
        got = {out_r: [], err_r: []}
        poller = select.poll()
        poller.register(out_r, select.POLLIN)
        poller.register(err_r, select.POLLIN)
        open_fds = 2
        while open_fds:
            for fd, _ in poller.poll():
                chunk = os.read(fd, 65536)
                if chunk:
                    got[fd].append(chunk)
                else:
                    poller.unregister(fd)
                    os.close(fd)
                    open_fds -= 1
        out, err = b"".join(got[out_r]), b"".join(got[err_r])
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    return (seconds, usage.ru_maxrss, os.waitstatus_to_exitcode(status), out, err)

source, sink = sys.stdin.buffer, sys.stdout.buffer
while True:
    head = source.read(4)
    if len(head) < 4:
        break
    request = marshal.loads(source.read(int.from_bytes(head, "little")))
    reply = marshal.dumps(run(*request))
    sink.write(len(reply).to_bytes(4, "little") + reply)
    sink.flush()
"""


@dataclass
class Run:
    seconds: float
    max_rss_kb: int
    code: int
    out: bytes
    err: bytes


class Spawner:
    """Runs children for timing and memory, from a small process of its own (see SPAWNER)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [PYTHON, "-I", "-S", "-c", SPAWNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )

    def run(
        self, argv: list[str], env: dict[str, str], *, tty: bool = False, columns: int = 100, rows: int = 40
    ) -> Run:
        """Run ``argv``: stdin /dev/null and stdout/stderr pipes, or all three on a pseudo-terminal."""
        if tty:
            env = {**env, "TERM": env.get("TERM") or "xterm-256color"}
        request = marshal.dumps((argv, env, tty, columns, rows))
        self.process.stdin.write(len(request).to_bytes(4, "little") + request)
        self.process.stdin.flush()
        head = self.process.stdout.read(4)
        if len(head) < 4:
            raise SystemExit("the spawner process died")
        return Run(
            *marshal.loads(  # noqa: S302 - our own spawner child's reply, over its pipe
                self.process.stdout.read(int.from_bytes(head, "little"))
            )
        )

    def own_peak_kb(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)
        self.process.stdout.close()


@dataclass
class Case:
    name: str
    argv: list[str]
    tty: bool = False
    env: dict[str, str] = field(default_factory=dict)
    target: float | None = None  # ratio to the floor; None: stated, not judged
    typer_target: float | None = None  # ratio to the hello-world Typer app; None: stated, not judged
    check: str = ""  # what stdout must be: "version", "json", "help"
    times: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    floor_times: list[float] = field(default_factory=list)
    floor_rss: list[int] = field(default_factory=list)
    typer_times: list[float] = field(default_factory=list)

    def run(self, spawner: Spawner, base_env: dict[str, str]) -> Run:
        return spawner.run(self.argv, {**base_env, **self.env}, tty=self.tty)

    def run_floor(self, spawner: Spawner, base_env: dict[str, str]) -> Run:
        return spawner.run([PYTHON, "-c", "pass"], base_env, tty=self.tty)

    def run_typer_floor(self, spawner: Spawner, base_env: dict[str, str]) -> Run:
        """The second floor: a hello-world Typer app (bench/hello_typer.py), same stdout kind."""
        return spawner.run([PYTHON, str(HELLO_TYPER)], base_env, tty=self.tty)


def verify(case: Case, run: Run) -> None:
    """Fail loudly if a case does not do what it is timed for."""
    problem = None
    if run.code != 0:
        problem = f"exit code {run.code}"
    elif case.check == "version" and not run.out.startswith(b"vksupport "):
        problem = "no version line"
    elif case.check == "help" and b"search-help" not in run.out:
        problem = "no command list in the help"
    elif case.check == "json":
        try:
            data = json.loads(run.out)
        except ValueError:
            problem = "stdout is not one JSON document"
        else:
            if not data:
                problem = "an empty JSON answer"
    if problem:
        raise SystemExit(
            f"{case.name}: {problem}\n  argv: {' '.join(case.argv)}\n"
            f"  stdout: {run.out[:400]!r}\n  stderr: {run.err[-1500:]!r}"
        )


# -- import profile --------------------------------------------------------------


@dataclass
class Profile:
    modules: dict[str, tuple[float, float, int]]  # module -> (median self ms, median cumulative ms, depth)
    wall_ms: float  # median wall time of the profiled process


def import_profile(argv: list[str], env: dict[str, str], runs: int = 5) -> Profile:
    """``python -X importtime ARGV``, ``runs`` times: per-module medians and the process's median wall time."""
    samples: dict[str, list[tuple[int, int]]] = defaultdict(list)
    depth: dict[str, int] = {}
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            [PYTHON, "-X", "importtime", *argv],
            env=env,
            capture_output=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        walls.append(time.perf_counter() - start)
        for line in done.stderr.decode(errors="replace").splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            self_us, cum_us, name = line[len("import time:") :].split("|", 2)
            module = name.strip()
            depth.setdefault(module, (len(name) - len(name.lstrip(" ")) - 1) // 2)
            samples[module].append((int(self_us), int(cum_us)))
    modules = {
        name: (
            statistics.median(s for s, _ in values) / 1000,
            statistics.median(c for _, c in values) / 1000,
            depth[name],
        )
        for name, values in samples.items()
    }
    return Profile(modules, statistics.median(walls) * 1000)


def package_of(module: str) -> str:
    top = module.split(".")[0]
    if top in sys.stdlib_module_names or (top.startswith("_") and top.lstrip("_") in sys.stdlib_module_names):
        return "(stdlib)"
    if top.startswith("__editable__"):
        return "(editable-install finder)"
    return top


def print_profile(title: str, profile: Profile, floor: Profile, top: int) -> None:
    own = {name: v for name, v in profile.modules.items() if name not in floor.modules}
    imports = sum(s for s, _, _ in own.values())
    beyond = profile.wall_ms - floor.wall_ms
    print(
        f"\n{title}: {len(own)} modules beyond the floor's {len(floor.modules)}; under -X importtime the process "
        f"takes {beyond:.0f} ms more than the floor: {imports:.0f} ms importing them (sum of self times), "
        f"{beyond - imports:.0f} ms for the rest (the work, output, exit); medians of 5 runs"
    )
    packages: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for name, (self_ms, _, _) in own.items():
        packages[package_of(name)] += self_ms
        counts[package_of(name)] += 1
    ranked = sorted(packages.items(), key=lambda kv: -kv[1])
    print(
        "  by package, self ms (modules): " + ", ".join(f"{p} {ms:.1f} ({counts[p]})" for p, ms in ranked[:9])
    )
    print(
        f"  {'cumul ms':>8}  {'self ms':>7}  module (top {top} by cumulative time; indented: imported by the one above)"
    )
    for name, (self_ms, cum_ms, level) in sorted(own.items(), key=lambda kv: -kv[1][1])[:top]:
        print(f"  {cum_ms:8.1f}  {self_ms:7.1f}  {'  ' * min(level, 6)}{name}")


# -- the run ---------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs", type=int, default=31, help="interleaved floor/case pairs per case (default 31)"
    )
    parser.add_argument("--top", type=int, default=15, help="modules listed per import profile (default 15)")
    opts = parser.parse_args()
    if not Path(VKSUPPORT).exists():
        raise SystemExit(
            f"No {VKSUPPORT}: run this with the virtualenv's python (.venv/bin/python bench/startup.py)."
        )

    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="vksupport-startup-"))
    server: Server | None = None
    spawner: Spawner | None = None
    try:
        home = work / "home"
        env = child_env(home)
        os.environ["VKSUPPORT_HOME"] = str(home)  # for the desk API calls in this process
        from vksupport_cli import paths

        built = build_history(paths.sandbox_db(), "sandbox-user", "sandbox-agent")
        desk_db = work / "desk.sqlite3"
        token = add_user(desk_db, "bench-user", env)
        served = build_history(desk_db, "bench-user", "bench-agent")
        server = start_server(desk_db, env, log_dir=work)
        remote = {"VKSUPPORT_SERVER": server.url, "VKSUPPORT_TOKEN": token}
        setup_s = time.perf_counter() - started

        cases = [
            Case("--version", [VKSUPPORT, "--version"], target=3, check="version"),
            Case("--help (pipe)", [VKSUPPORT, "--help"], typer_target=1.2, check="help"),
            Case("--help (tty)", [VKSUPPORT, "--help"], tty=True, check="help"),
            Case(
                f"show {built['show_id']} --json",
                [VKSUPPORT, "show", str(built["show_id"]), "--json"],
                typer_target=1.0,
                check="json",
            ),
            Case("list --json", [VKSUPPORT, "list", "--json"], typer_target=1.0, check="json"),
            Case(
                "search-help --json",
                [VKSUPPORT, "search-help", SEARCH_QUERY, "--json"],
                typer_target=1.0,
                check="json",
            ),
            Case(
                f"show {served['show_id']} --json (server)",
                [VKSUPPORT, "show", str(served["show_id"]), "--json"],
                env=remote,
                typer_target=1.0,
                check="json",
            ),
        ]
        spawner = Spawner()
        # warm-up: fill the bytecode cache and the page cache, and check each case works
        for case in cases:
            for _ in range(2):
                case.run_floor(spawner, env)
                if case.run_typer_floor(spawner, env).code != 0:
                    raise SystemExit(f"{HELLO_TYPER} failed: is Typer installed in this interpreter?")
                verify(case, case.run(spawner, env))

        for _ in range(opts.runs):
            for case in cases:
                floor = case.run_floor(spawner, env)
                case.floor_times.append(floor.seconds)
                case.floor_rss.append(floor.max_rss_kb)
                case.typer_times.append(case.run_typer_floor(spawner, env).seconds)
                result = case.run(spawner, env)
                verify(case, result)
                case.times.append(result.seconds)
                case.rss.append(result.max_rss_kb)
        timed_s = time.perf_counter() - started - setup_s

        def ms(values: list[float]) -> float:
            return statistics.median(values) * 1000

        def mb(values: list[int]) -> float:
            return statistics.median(values) / 1024

        pipe = [c for c in cases if not c.tty]
        tty = [c for c in cases if c.tty]
        floor_rss = mb([r for c in cases for r in c.floor_rss])
        print(
            f"vksupport start-up: medians of {opts.runs} runs per case, each run right after a floor run; "
            f"Python {sys.version.split()[0]} ({PYTHON})"
        )
        print(
            "floor: `python -c pass` of the same interpreter, in the same environment, with the same kind of stdout "
            "(pipe or pseudo-terminal)"
        )
        print(
            f"sandbox: {built['count']} questions of the user's history "
            f"({', '.join(f'{n} {k}' for k, n in built['statuses'].items())}); the served desk (1 worker, "
            f"loopback, same cores) holds the same for its token's user"
        )
        print(f"machine: {os.cpu_count()} cores, shared and noisy: read the ratios, not the milliseconds\n")
        header = (
            f"{'case':<31} {'median ms':>9} {'floor ms':>8} {'ratio':>6} {'typer ms':>8} {'÷typer':>6} "
            f"{'max RSS MB':>10} {'RSS ratio':>9} {'target':>8}  result"
        )
        print(header)
        print("-" * len(header))
        for label, group in (("python -c pass (pipe)", pipe), ("python -c pass (tty)", tty)):
            times = [t for c in group for t in c.floor_times]
            rss = [r for c in group for r in c.floor_rss]
            print(
                f"{label:<31} {ms(times):9.1f} {'':>8} {'1.0×':>6} {'':>8} {'':>6} {mb(rss):10.1f} {'1.0×':>9}"
            )
        for label, group in (("hello-world Typer (pipe)", pipe), ("hello-world Typer (tty)", tty)):
            times = [t for c in group for t in c.typer_times]
            floors = [t for c in group for t in c.floor_times]
            print(
                f"{label:<31} {ms(times):9.1f} {ms(floors):8.1f} {ms(times) / ms(floors):5.1f}× "
                f"{'':>8} {'1.0×':>6}"
            )
        verdicts = []
        for case in cases:
            ratio = ms(case.times) / ms(case.floor_times)
            typer_ratio = ms(case.times) / ms(case.typer_times)
            targets, met = [], True
            if case.target is not None:
                targets.append(f"≤{case.target:g}×")
                met = met and ratio <= case.target
            if case.typer_target is not None:
                targets.append(f"≤{case.typer_target:g}×T")
                met = met and typer_ratio <= case.typer_target
            if not targets:
                target, verdict = "-", "stated"
            else:
                target, verdict = " ".join(targets), "pass" if met else "MISS"
                verdicts.append((case.name, verdict))
            print(
                f"{case.name:<31} {ms(case.times):9.1f} {ms(case.floor_times):8.1f} {ratio:5.1f}× "
                f"{ms(case.typer_times):8.1f} {typer_ratio:5.2f}× "
                f"{mb(case.rss):10.1f} {mb(case.rss) / floor_rss:8.1f}× {target:>8}  {verdict}"
            )
        print(
            "\nratio: the case's median over the median of the floor runs interleaved with it; ÷typer: over the "
            "median of the hello-world Typer app (bench/hello_typer.py) run in the same rounds (target ≤N×T). "
            "max RSS: median over the runs of each run's peak (os.wait4), children forked by a small spawner "
            f"whose own peak, {spawner.own_peak_kb() / 1024:.1f} MB, is the smallest figure the column can show."
        )
        print(
            f"setup {setup_s:.0f} s (two desks of {HISTORY:,} questions, a server), timed runs {timed_s:.0f} s"
        )

        # Where the time goes: always for list --json and --help, and for every other case that missed.
        floor_profile = import_profile(["-c", "pass"], env)
        profiled = [c for c in cases if c.name in ("list --json", "--help (pipe)")]
        profiled += [c for c in cases if c not in profiled and not c.tty and (c.name, "MISS") in verdicts]
        for case in profiled:
            profile = import_profile(case.argv, {**env, **case.env})
            print_profile(f"imports of `vksupport {case.name}`", profile, floor_profile, opts.top)
        misses = [name for name, verdict in verdicts if verdict == "MISS"]
        print(
            f"\n{len(verdicts) - len(misses)} of {len(verdicts)} targets met"
            + (f"; missed: {', '.join(misses)}" if misses else ".")
        )
        print(f"total {time.perf_counter() - started:.0f} s")
        return 0
    finally:
        if spawner is not None:
            spawner.close()
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""A throw-away PostgreSQL cluster for tests: initdb in a temporary folder, as an unprivileged
user, listening on a free loopback port; removed when stopped.

Needs Debian's ``postgresql`` package (its binaries live in /usr/lib/postgresql/*/bin).
Run as root, the cluster belongs to the system user ``vksupport-pg`` (created on first use),
because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import atexit
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from server_support import free_port

PG_USER = "vksupport-pg"


def require_postgres() -> bool:
    """Whether a cluster that cannot start must fail the run (CI) rather than skip."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("VKSUPPORT_REQUIRE_POSTGRES") == "1"


def bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresCluster:
    """``with PostgresCluster() as pg: pg.new_database()`` gives a URL; all is removed on exit."""

    def __init__(self) -> None:
        self.bin = bin_dir()
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="vksupport-pg-"))
        self.data = self.folder / "data"
        self._serial = itertools.count()
        self.started = False

    def _as_owner(self, *args: str) -> list[str]:
        if os.geteuid() != 0:
            return list(args)
        return ["runuser", "-u", PG_USER, "--", *args]

    def _run(self, *args: str, timeout: float = 120) -> None:
        done = subprocess.run(
            self._as_owner(*args), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:1])} failed: {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> PostgresCluster:
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(PG_USER)
            except KeyError:
                subprocess.run(
                    ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
                    check=True,
                    capture_output=True,
                )
            shutil.chown(self.folder, PG_USER, PG_USER)
        self.folder.chmod(0o700)
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
            " -c shared_buffers=64MB",
            "start",
        )
        self.started = True
        atexit.register(self.stop)  # also when the process ends without reaching its own stop()
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(statement)

    def new_database(self, template: str | None = None) -> str:
        """A fresh empty database (or a copy of ``template``); returns its URL."""
        name = f"desk_{os.getpid()}_{next(self._serial)}"
        self.sql(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        return self.url(name)

    def stop(self) -> None:
        if self.started and self.data.exists():
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
            finally:
                self.started = False
        self.started = False
        shutil.rmtree(self.folder, ignore_errors=True)

    def log(self) -> str:
        try:
            return (self.folder / "log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def __enter__(self) -> PostgresCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""Ways to run the CLI in tests: Typer's CliRunner in-process, or a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

from typer.testing import CliRunner

from vksupport_cli.cli.app import app
from vksupport_cli.cli.context import Context


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


def in_process(
    *args: str, input: str | None = None, ctx: Context | None = None, env: dict | None = None
) -> Outcome:
    result = CliRunner().invoke(app, list(args), input=input, obj=ctx or Context(), env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Outcome(result.exit_code, result.stdout, result.stderr)


def subprocess_run(
    *args: str, input: str | None = None, env: dict | None = None, timeout: float = 60
) -> Outcome:
    done = subprocess.run(
        [sys.executable, "-m", "vksupport_cli", *args],
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    return Outcome(done.returncode, done.stdout, done.stderr)

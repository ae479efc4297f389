"""Shell completion scripts for completions/ (regenerate: python -m vksupport_cli.cli.completion).

The scripts are click's: each calls `vksupport` back to complete, so they stay
valid as commands grow, but a test still checks that the committed copies are
what the current version generates.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SHELLS = {"bash": "vksupport.bash", "zsh": "_vksupport", "fish": "vksupport.fish"}


def script(shell: str) -> str:
    env = {**os.environ, "_VKSUPPORT_COMPLETE": f"source_{shell}"}
    done = subprocess.run(
        [sys.executable, "-m", "vksupport_cli"], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def write_all(folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    for shell, name in SHELLS.items():
        (folder / name).write_text(script(shell))


if __name__ == "__main__":
    write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "completions"))

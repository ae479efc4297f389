"""What a real install gets: the wheel must carry the help centre and the Russian catalogue."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_carries_its_data_files(tmp_path):
    # Build from a clean copy: a build/ left in the work tree would hide a missing declaration.
    source = tmp_path / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
        ),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("vksupport-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "vksupport_cli/desk/data/articles.jsonl" in names
    assert "vksupport_cli/locale/ru/LC_MESSAGES/vksupport.mo" in names

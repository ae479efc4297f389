"""Where vksupport keeps its files.

platformdirs gives the per-OS locations; ``VKSUPPORT_HOME`` relocates all of
them under one folder (config/, data/, cache/), which the tests use to stay
isolated from the person's real files.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "vksupport"
HOME_ENV = "VKSUPPORT_HOME"


def _base(kind: str) -> Path:
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home).expanduser() / kind
    import platformdirs  # imported late: only commands that touch files pay for it

    finder = {
        "config": platformdirs.user_config_dir,
        "data": platformdirs.user_data_dir,
        "cache": platformdirs.user_cache_dir,
    }[kind]
    return Path(finder(APP_NAME, appauthor=False))


def config_dir() -> Path:
    return _base("config")


def data_dir() -> Path:
    return _base("data")


def cache_dir() -> Path:
    return _base("cache")


def config_file() -> Path:
    return config_dir() / "config.toml"


def sandbox_db() -> Path:
    return data_dir() / "sandbox.sqlite3"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by the owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path

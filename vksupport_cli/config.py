"""config.toml: the person's settings (for now, the default desk: `server = "URL"`)."""

from __future__ import annotations

import json
import os
from typing import Any

from . import paths
from .i18n import _


class ConfigError(Exception):
    """The config file exists but cannot be read."""


def load() -> dict[str, Any]:
    path = paths.config_file()
    if not path.exists():
        return {}
    import tomllib  # only when there is a file: it costs a few ms

    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            _("Cannot read {path}: {reason}. Fix or remove the file.").format(path=path, reason=exc)
        ) from exc


def save(values: dict[str, str]) -> None:
    """Write flat string settings (JSON string quoting is valid TOML)."""
    path = paths.config_file()
    paths.ensure_private_dir(path.parent)
    text = "".join(
        f"{key} = {json.dumps(value, ensure_ascii=False)}\n" for key, value in sorted(values.items())
    )
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)

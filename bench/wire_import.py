"""What a wire-shape library would add to the CLI's start-up: msgspec, pydantic, our own wire.py.

Run from the project root:

    .venv/bin/python bench/wire_import.py             # 31 rounds
    .venv/bin/python bench/wire_import.py --runs 61   # steadier medians on a busy machine

Every CLI call is a new process, and the fast path (cli/fast.py) is what scripts run most. Each
round runs, in fresh interpreters one after the other (so all see the same machine load): the
floor (``python -c pass``), the fast path's own imports (the entry point, the fast parser, the
sandbox client and the desk, the http adapter), and that same set plus one candidate. It prints
the median wall time of each and the candidate's median cost over the fast path's imports. A
candidate that is not installed is skipped (pydantic is not a dependency). Bytecode caches are
used, as an installed package does. See bench/README.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time

FAST_PATH = "import vksupport_cli.cli.main, vksupport_cli.cli.fast, vksupport_cli.client.local, vksupport_cli.client.http"
CANDIDATES = {
    "msgspec": "import msgspec, msgspec.json",
    "pydantic": "import pydantic",
    "vksupport_cli.wire": "import vksupport_cli.wire",
}


def timed(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=31)
    args = parser.parse_args()
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME")
    }
    cases = {"floor: python -c pass": "pass", "fast path's imports": FAST_PATH}
    for name, code in CANDIDATES.items():
        if importlib.util.find_spec(name.split(".")[0]) is None:
            print(f"{name}: not installed, skipped")
            continue
        cases[f"  + {name}"] = f"{FAST_PATH}; {code}"
    for code in cases.values():  # warm the bytecode caches and the page cache
        timed(code, env)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, code in cases.items():
            times[name].append(timed(code, env))
    medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
    base = medians["fast path's imports"]
    floor = medians["floor: python -c pass"]
    print(f"{'case':28} {'median ms':>10} {'vs floor':>9} {'added ms':>9}")
    for name, median in medians.items():
        added = f"{median - base:+9.1f}" if name.startswith("  +") else ""
        print(f"{name:28} {median:10.1f} {median / floor:8.2f}x {added:>9}")


if __name__ == "__main__":
    main()

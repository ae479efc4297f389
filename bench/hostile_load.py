"""Hostile load against a real `vksupport desk serve` (issue 12): memory under big uploads, latency under slowloris.

    .venv/bin/python bench/hostile_load.py [--attackers 30] [--size-mib 60] [--connections 200] [--rounds 5]

1. Memory: ATTACKERS clients at once each send a SIZE-MiB body (a third as JSON
   creates, the rest as attachment uploads; half declare Content-Length, half
   are chunked). Prints the server's idle and peak resident memory (VmHWM from
   /proc) and what the clients heard.
2. Slowloris: CONNECTIONS sockets each send one header byte every 2 s (and
   reconnect when cut) while one client sends ordinary requests. Prints, per
   round, the median latency idle and under attack (same run, same server),
   their ratio, and how many slow connections the server cut. The floor is the
   idle median measured just before each round.

Everything runs on 127.0.0.1 in a temporary folder, bounded in time and bytes.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from attack_support import MiB, Slowloris, median_ms, memory_attack, peak_rss_mib, request_latencies, rss_mib  # noqa: E402

from vksupport_cli.desk.service import Desk  # noqa: E402

from server_support import DeskServer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--attackers", type=int, default=30)
    parser.add_argument("--size-mib", type=int, default=60)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--header-timeout", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vks-hostile-") as folder:
        db = Path(folder) / "desk.sqlite3"
        desk = Desk.open(db)
        people = []
        for n in range(args.attackers):
            user, token = desk.add_user(f"attacker{n}")
            people.append(
                (token, desk.ask(user, topic="account", title=f"Вопрос {n}", body="Текст.").question.id)
            )
        desk.close()
        targets = [
            (
                "/api/v1/questions"
                if n % 3 == 0
                else f"/api/v1/questions/{qid}/attachments?filename=a{n}.png",
                token,
            )
            for n, (token, qid) in enumerate(people)
        ]
        with DeskServer(db) as server:
            pid = server.process.pid
            idle = rss_mib(pid)
            started = time.perf_counter()
            outcomes = memory_attack(server.port, targets, size=args.size_mib * MiB)
            took = time.perf_counter() - started
            peak = peak_rss_mib(pid)
        statuses = {str(o.status): sum(1 for x in outcomes if x.status == o.status) for o in outcomes}
        print(f"memory: {args.attackers} concurrent {args.size_mib} MiB uploads in {took:.1f} s")
        print(f"  server RSS idle {idle:.0f} MiB, peak {peak:.0f} MiB (bound 200 MiB)")
        print(
            f"  replies {statuses}; most body any client got to send: {max(o.sent for o in outcomes) / MiB:.1f} MiB"
        )

        token = people[0][0]
        with DeskServer(db, options=("--header-timeout", str(args.header_timeout))) as server:
            ratios = []
            print(
                f"slowloris: {args.connections} connections, one header byte every 2 s, "
                f"header timeout {args.header_timeout:g} s"
            )
            for round_ in range(1, args.rounds + 1):
                idle_s, _ = request_latencies(server.port, "/api/v1/questions", token, 50)
                loris = Slowloris(server.port, connections=args.connections).start(
                    seconds=args.header_timeout + 8
                )
                threading.Event().wait(1.0)
                under_s, statuses_under = request_latencies(server.port, "/api/v1/questions", token, 50)
                threading.Event().wait(max(0.0, args.header_timeout + 6 - sum(under_s)))
                loris.finish()
                ratio = median_ms(under_s) / median_ms(idle_s)
                ratios.append(ratio)
                failed = sum(1 for s in statuses_under if s != 200)
                print(
                    f"  round {round_}: median idle {median_ms(idle_s):.1f} ms, under attack "
                    f"{median_ms(under_s):.1f} ms, ratio x{ratio:.2f} (bound x2); failed requests {failed}; "
                    f"slow connections opened {loris.opened}, cut by the server {loris.cut}"
                )
            print(f"  median ratio over {args.rounds} rounds: x{statistics.median(ratios):.2f}")
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

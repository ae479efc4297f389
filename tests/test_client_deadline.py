"""Issue 12 item 9: the client keeps its own deadline and refuses oversized replies.

A desk impostor on loopback trickles a reply one byte at a time (in the body, or
in the headers), or sends a reply far larger than any real one. A real
`vksupport list` subprocess must end on its own with exit 6: VKSUPPORT_TIMEOUT
bounds each whole attempt, the documented retries bound the command.
"""

from __future__ import annotations

import pytest
from hostile_server import ImpostorDesk, endless, trickle

from vksupport_cli.cli import exits
from vksupport_cli.client.http import ATTEMPTS, MAX_REPLY_BYTES

from cli_support import subprocess_run

#: Far beyond 4 attempts of 1 s plus the backoff between them; the impostor alone would go on for 120 s.
BOUND = 60


def list_against(desk: ImpostorDesk, **env: str):
    env = {"VKSUPPORT_TOKEN": "vks_test", "VKSUPPORT_TIMEOUT": "1", **env}
    return subprocess_run("--server", desk.url, "list", env=env, timeout=BOUND)


@pytest.mark.parametrize("in_headers", [False, True], ids=["body", "headers"])
def test_a_trickling_desk_cannot_hold_a_command_past_its_deadline(in_headers):
    with ImpostorDesk({("GET", "/api/v1/questions"): trickle(0.2, in_headers=in_headers)}) as desk:
        outcome = list_against(desk)  # raises TimeoutExpired if the deadline is not kept
    assert outcome.code == exits.UNAVAILABLE, outcome.stderr
    assert "did not answer in time" in outcome.stderr
    assert len(desk.requests) == ATTEMPTS  # the documented retries, each one bounded


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked-or-close"])
def test_an_oversized_reply_is_refused_with_exit_6(declared):
    with ImpostorDesk({("GET", "/api/v1/questions"): endless(200 * 1024 * 1024, declared=declared)}) as desk:
        outcome = list_against(desk, VKSUPPORT_TIMEOUT="30")
    assert outcome.code == exits.UNAVAILABLE, outcome.stderr
    assert f"over {MAX_REPLY_BYTES // (1024 * 1024)} MiB" in outcome.stderr
    assert len(desk.requests) == 1  # a refused size is not retried

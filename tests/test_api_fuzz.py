"""Fuzz the real server from its own OpenAPI document: no input may give a 5xx.

Every operation of docs/openapi.json gets generated requests, valid ones
(positive mode) and ones that break the schema (negative mode), sent as a user
and as an agent. Bounded for CI (VKSUPPORT_FUZZ_EXAMPLES,
default 20 per operation and role); raise it for a deeper run:
    VKSUPPORT_FUZZ_EXAMPLES=500 .venv/bin/python -m pytest tests/test_api_fuzz.py
"""

from __future__ import annotations

import os
import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from vksupport_cli.desk.service import Desk

from server_support import DeskServer

EXAMPLES = int(os.environ.get("VKSUPPORT_FUZZ_EXAMPLES", "20"))


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory, _template_db):
    db = tmp_path_factory.mktemp("fuzz") / "desk.sqlite3"
    shutil.copy(_template_db, db)
    desk = Desk.open(db)
    tokens = {"user": desk.add_user("fuzzy-user")[1], "agent": desk.add_user("fuzzy-agent", "agent")[1]}
    desk.close()
    with DeskServer(db) as running:
        yield running, tokens


def _operations(url):
    schema = schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode), ids=lambda m: m.value)
@pytest.mark.parametrize("role", ["user", "agent"])
def test_no_generated_request_gives_a_server_error(fuzz_server, role, mode):
    running, tokens = fuzz_server
    headers = {"Authorization": f"Bearer {tokens[role]}"}
    operations = _operations(running.url)
    assert len(operations) >= 18  # every path of the API is there
    fuzzed = 0
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case):
            response = case.call(base_url=f"{running.url}/api/v1", headers=headers)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
            )

        try:
            no_server_error()
        except Unsatisfiable:
            # Nothing in this operation can break its schema (no parameters, no body).
            assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
            continue
        fuzzed += 1
    assert fuzzed >= 12, f"only {fuzzed} operations were fuzzed in {mode.value} mode"


#: Bodies no generator tries: nesting past any recursion limit, and numbers past Python's int limit.
ABSURD_BODIES = {
    "deep-array": b"[" * 100_000 + b"]" * 100_000,
    "deep-object": b'{"a":' * 3_000 + b"1" + b"}" * 3_000,
    "huge-int": b'{"body": ' + b"7" * 5_000 + b"}",
    "huge-exponent": b'{"body": 1e99999999}',
}


@pytest.mark.parametrize("name", sorted(ABSURD_BODIES))
def test_deep_or_huge_json_on_every_json_operation_is_a_400(fuzz_server, name):
    """Issue 12 item 5: what json.loads cannot take is a 400 in the API's error shape, never a 5xx."""
    import httpx

    from vksupport_cli.server.openapi import document

    running, tokens = fuzz_server
    sent = 0
    for path, operations in document()["paths"].items():
        for method, operation in operations.items():
            if "application/json" not in operation.get("requestBody", {}).get("content", {}):
                continue
            for role in ("user", "agent"):
                reply = httpx.request(
                    method.upper(),
                    f"{running.url}/api/v1{path.replace('{qid}', '1')}",
                    content=ABSURD_BODIES[name],
                    headers={"Authorization": f"Bearer {tokens[role]}", "Content-Type": "application/json"},
                )
                assert reply.status_code < 500, (
                    f"{method} {path} as {role}: {reply.status_code} {reply.text[:200]}"
                )
                error = reply.json()["error"]
                assert set(error) == {"code", "message", "details"}
                sent += 1
    assert sent >= 10

"""Property-based API tests: every operation of the published OpenAPI, signed, never a 5xx.

Schemathesis draws requests from the terminal API's own OpenAPI document (fetched from the
server); each is signed with the terminal's key and a fresh counter and sent to the in-process
server of a signed-in terminal. Whatever comes in, the answer is a 2xx or a named refusal.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridpos.protocol.errors import ErrorCode
from gridpos.protocol.signing import sign_request

from .helpers import sign_in
from .support import County

EXAMPLES_PER_OPERATION = 30


def _target(case: Any) -> str:
    path = case.formatted_path
    query = case.query or {}
    if not query:
        return str(path)
    parts = []
    for key, value in query.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            text = "true" if item is True else "false" if item is False else str(item)
            parts.append(f"{quote(str(key), safe='')}={quote(text, safe='')}")
    return f"{path}?{'&'.join(parts)}"


def test_no_generated_request_gets_a_5xx(county: County) -> None:
    client = county.client()
    document = county.http.get("/t/v1/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 17
    known = {code.value for code in ErrorCode}
    statuses: list[int] = []
    for operation in operations:
        sign_in(client, offline_allowance=10_000)  # again: a drawn sign-out may have succeeded

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(), signed=st.booleans())
        def check(case: Any, signed: bool) -> None:
            target = _target(case)
            body = b"" if case.method == "GET" else json.dumps(case.body).encode()
            headers = {"content-type": "application/json"}
            if signed or case.method == "GET":
                headers.update(
                    sign_request(
                        key=client.key,
                        method=case.method,
                        target=target,
                        body=body,
                        terminal_no=client.terminal_no,
                        counter=client.next_counter(),
                        now=county.clock.now(),
                    )
                )
            response = county.http.request(case.method, target, content=body, headers=headers)
            statuses.append(response.status_code)
            assert response.status_code < 500, (case.method, target, body, response.text)
            if response.status_code >= 400:
                assert response.json()["code"] in known, response.text

        check()
    # the drawn requests reached the operations, not only the signature check
    assert statuses.count(200) > 16, sorted(set(statuses))
    assert len(set(statuses)) >= 5
    county.verify()

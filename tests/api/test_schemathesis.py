"""Schemathesis against the live app (WSGI): generated requests for every
operation, valid ones and invalid ones, bounded and seeded, must get no 5xx and
no response outside the OpenAPI document.

(Run through Hypothesis directly: schemathesis' pytest plugin does not work with
pytest 9 yet.)
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation

from quoting.store.models import Quote

EXAMPLES_PER_MODE = 150
# Two rules span parameters, which OpenAPI cannot express: an amount range and
# sorting by amount need `currency`. Such a request gets a documented 400 with the
# JSON error body (still checked against the schema), not the 200 this check expects.
CROSS_PARAMETER = [schemathesis.checks.positive_data_acceptance]


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode))
def test_generated_requests_get_no_server_error_and_fit_the_schema(
        app: Flask, token: str, make_quote: Callable[..., Quote],
        mode: schemathesis.GenerationMode) -> None:
    for market, status in [("MX", "accepted"), ("AR", "sent"), ("CL", "draft")]:
        make_quote(market, status)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}

    @given(case=schema.as_strategy(mode) | st.none())
    @settings(max_examples=EXAMPLES_PER_MODE, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case | None) -> None:
        if case is None:
            return
        # A negative case that broke the headers (the bearer token) must go out as
        # generated: adding a valid token back would make it a valid request.
        broke_headers = case.meta is not None and case.meta.is_negative_at(
            ParameterLocation.HEADER)
        case.call_and_validate(headers=None if broke_headers else headers,
                               excluded_checks=CROSS_PARAMETER)

    check()

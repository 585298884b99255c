"""Property-based fuzzing of the whole API from its own OpenAPI document: no 500, no status
or content type the spec does not declare, answers matching their schemas."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from itsm.wsgi import application


@pytest.fixture
def _keep_test_connection() -> Any:
    """Like Django's test client: requests must not close the test's database connection
    (schemathesis calls the raw WSGI application, which would)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def agent_headers(
    _keep_test_connection: None, agent: Any, requester: Any, create_ticket: Any, token_for: Any
) -> dict[str, str]:
    create_ticket(requester=requester)  # INC0000001 exists, so some cases reach real rows
    return {"Authorization": f"Bearer {token_for(agent)}"}


# Loading the spec touches no table, so it can happen at collection time.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@schema.parametrize()
@settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_spec(case: Any, agent_headers: dict[str, str]) -> None:
    case.call_and_validate(
        headers=agent_headers,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )

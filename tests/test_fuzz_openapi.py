"""Every operation of /openapi.json, fuzzed by Schemathesis with valid credentials.

Valid and invalid inputs (positive and negative generation) for the admin API and the
tracking API: no answer is a 5xx, every error has the one error shape, and responses have
the content type the schema declares. The app runs in-process; Schemathesis' pytest plugin
runs its lifespan and ends it after each test.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, not_a_server_error

from floorwalker.app import create_app
from floorwalker.config import Settings
from tests.conftest import Tenant, make_tenant
from tests.test_fuzz_tracking import CODE


@schemathesis.check
def one_error_shape(ctx: Any, response: schemathesis.Response, case: schemathesis.Case
                    ) -> bool | None:
    """A 4xx/5xx body is ``{"error": {"code", "message", "details"}}`` with a snake_case code."""
    if response.status_code < 400:
        return None
    body = response.json()
    assert isinstance(body, dict), f"error body is not an object: {body!r}"
    assert list(body) == ["error", "code", "message"], f"wrong error keys: {body!r}"
    error = body["error"]
    assert (body["code"], body["message"]) == (error["code"], error["message"]), body
    assert set(error) == {"code", "message", "details"}, f"wrong error fields: {error!r}"
    assert isinstance(error["code"], str), error
    assert CODE.match(error["code"]), f"code is not snake_case: {error['code']!r}"
    assert isinstance(error["message"], str), error
    assert error["message"].strip(), error
    assert isinstance(error["details"], list), error
    return None


@pytest.fixture
def acme(database_url: str) -> Tenant:
    """alice's workspace, made before the app starts (the schema fixture starts it)."""
    return asyncio.run(make_tenant(database_url, "acme"))


@pytest.fixture
def api_schema(settings: Settings, acme: Tenant) -> schemathesis.BaseSchema:
    """The running app's OpenAPI schema, generating valid and invalid requests."""
    app = create_app(settings)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                    allow_x00=True)
    return schema


def _operations() -> list[tuple[str, str]]:
    # Read at collection time from an app that is never started (no database needed).
    doc = create_app(Settings(database_url="sqlite+aiosqlite://", log_json=False)).openapi()
    return [(method.upper(), path) for path, item in doc["paths"].items()
            for method in item if method in ("get", "put", "post", "patch", "delete")]


# schemathesis.pytest.from_fixture needs pytest < 9 (it sets Function._nodeid), so each
# operation is a plain parametrized test driving Hypothesis itself.
@pytest.mark.parametrize(("method", "path"), _operations(), ids=lambda v: str(v))
def test_no_request_gets_a_server_error(api_schema: schemathesis.BaseSchema, acme: Tenant,
                                        method: str, path: str) -> None:
    operation = api_schema[path][method]
    # Valid credentials, so requests reach the handlers instead of stopping at 401.
    headers = acme.bearer() if path.startswith("/api") else acme.basic()

    @given(case=operation.as_strategy())
    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.filter_too_much, HealthCheck.data_too_large])
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers,
                               checks=[not_a_server_error, one_error_shape,
                                       content_type_conformance])

    call()

"""The whole API against its own OpenAPI schema (schemathesis, in-process through the WSGI app).

Every operation of the schema /api/schema/ serves gets a bounded number of generated requests,
authenticated with an editor's token: none may answer 5xx, and every documented response must
match its schema. One test per operation, so a failure names it.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.conftest import api_client_for

EXAMPLES_PER_OPERATION = 8

# The same document /api/schema/ serves, built without a request so operations are known at collection.
SCHEMA = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
SCHEMA.app = get_wsgi_application()
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}


@pytest.fixture
def editor_token(editor):
    api_client_for(editor)
    # Like Django's test client: the requests run inside the test's transaction, so the WSGI handler
    # must not close the database connection after each one.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield editor.auth_token.key
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_the_served_schema_is_the_one_under_test(api):
    assert set(api.get("/api/schema/?format=json").json()["paths"]) == set(SCHEMA.raw_schema["paths"])


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_operation_answers_5xx_and_every_response_matches_the_schema(editor_token, label):
    @settings(max_examples=EXAMPLES_PER_OPERATION)
    @given(case=OPERATIONS[label].as_strategy())
    def call(case):
        case.call_and_validate(headers={"Authorization": f"Token {editor_token}"},
                               checks=[not_a_server_error, response_schema_conformance])

    call()

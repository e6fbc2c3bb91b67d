"""Ingestion is rate-limited per API token (INGEST_RATE), counted in Redis across web workers."""

import uuid

import pytest
from rest_framework.test import APIClient

from accounts.tokens import create_token
from members.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit_of_three(settings):
    """INGEST_RATE=3/min, counted under a key prefix of this test alone (Redis outlives test runs)."""
    settings.INGEST_RATE = "3/min"
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


def client_with(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def event(n):
    return {"member": "m-rate", "name": "page_view", "id": f"rate-{n}"}


def test_a_token_over_the_ingestion_rate_gets_429_with_a_json_message_and_retry_after(limit_of_three, editor):
    client = client_with(create_token(editor, "feed")[1])
    assert [client.post("/api/v1/events", event(n), format="json").status_code for n in range(3)] == [202] * 3
    refused = client.post("/api/v1/events", event(3), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert "throttled" in refused.json()["detail"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert Event.objects.count() == 3


def test_member_upserts_share_the_ingestion_budget_of_the_token(limit_of_three, editor):
    client = client_with(create_token(editor, "crm")[1])
    for n in range(3):
        assert client.post("/api/v1/members", {"external_id": f"m{n}"}, format="json").status_code == 200
    assert client.post("/api/v1/members", {"external_id": "m3"}, format="json").status_code == 429
    assert client.post("/api/v1/events", event(9), format="json").status_code == 429


def test_each_token_has_its_own_budget(limit_of_three, editor):
    first, second = client_with(create_token(editor, "a")[1]), client_with(create_token(editor, "b")[1])
    for n in range(3):
        first.post("/api/v1/events", event(n), format="json")
    assert first.post("/api/v1/events", event(3), format="json").status_code == 429
    assert second.post("/api/v1/events", event(4), format="json").status_code == 202


def test_reads_are_not_counted_against_the_ingestion_budget(limit_of_three, editor):
    client = client_with(create_token(editor, "feed")[1])
    for _ in range(5):
        assert client.get("/api/v1/me").status_code == 200
    assert client.post("/api/v1/events", event(0), format="json").status_code == 202


def test_ingestion_goes_on_unlimited_while_the_throttle_cache_is_unreachable(settings, editor):
    settings.INGEST_RATE = "1/min"
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    client = client_with(create_token(editor, "feed")[1])
    assert [client.post("/api/v1/events", event(n), format="json").status_code for n in range(3)] == [202] * 3


def test_a_malformed_ingest_rate_stops_the_start_with_a_message_naming_it():
    from tests.config.test_settings import PROBE, run_python

    result = run_python(PROBE, {"INGEST_RATE": "lots"})
    assert result.returncode != 0 and "INGEST_RATE='lots' is not a rate such as 600/min" in result.stderr

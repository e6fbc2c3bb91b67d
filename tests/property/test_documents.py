"""Journey documents: whatever arrives, the API answers 2xx or a 4xx JSON error, and a 4xx changes nothing."""

import pytest
from hypothesis import given, settings

from journeys import services
from journeys.models import Enrollment, Journey, JourneyVersion
from tests.journeys.conftest import onboarding_channels, onboarding_document  # noqa: F401  (fixture)
from tests.property.strategies import as_json, JSON, mutated

pytestmark = pytest.mark.django_db

ONBOARDING = onboarding_document()
DOCUMENTS = mutated(ONBOARDING) | JSON


def snapshot(journey=None):
    state = (Journey.objects.count(), JourneyVersion.objects.count(), Enrollment.objects.count())
    if journey is not None:
        journey.refresh_from_db()
        state += (journey.draft, journey.draft_revision, journey.status, journey.current_version_id)
    return state


def is_client_error(response):
    return 400 <= response.status_code < 500 and response["Content-Type"].startswith("application/json")


@settings(max_examples=120)
@given(document=DOCUMENTS)
def test_creating_a_journey_from_any_document_is_a_201_or_a_4xx_that_saves_nothing(api, onboarding_channels, document):
    before = snapshot()
    response = api.post("/api/v1/journeys", as_json(document), content_type="application/json")
    assert response.status_code == 201 or is_client_error(response), (response.status_code, response.content[:500])
    if response.status_code != 201:
        assert snapshot() == before


@settings(max_examples=80)
@given(document=DOCUMENTS)
def test_replacing_a_draft_with_any_document_is_a_200_or_a_4xx_that_keeps_the_stored_draft(api, onboarding_channels, document):
    journey = Journey.objects.first() or Journey.objects.get(pk=api.post("/api/v1/journeys", as_json(ONBOARDING), content_type="application/json").data["id"])
    before = snapshot(journey)
    response = api.put(f"/api/v1/journeys/{journey.pk}", as_json(document), content_type="application/json")
    assert response.status_code == 200 or is_client_error(response), (response.status_code, response.content[:500])
    if response.status_code != 200:
        assert snapshot(journey) == before


@settings(max_examples=80)
@given(document=mutated(ONBOARDING))
def test_publishing_any_draft_is_a_200_or_a_4xx_that_publishes_nothing(api, onboarding_channels, document):
    created = api.post("/api/v1/journeys", as_json(document), content_type="application/json")
    if created.status_code != 201:
        return  # not even a draft: the create test covers it
    journey = Journey.objects.get(pk=created.data["id"])
    before = snapshot(journey)
    response = api.post(f"/api/v1/journeys/{journey.pk}/publish", as_json({}), content_type="application/json")
    assert response.status_code == 200 or is_client_error(response), (response.status_code, response.content[:500])
    if response.status_code == 200:
        assert services.validate_for_publish(journey.draft) == []
        assert list(JourneyVersion.objects.filter(journey=journey).values_list("document", flat=True)) == [journey.draft]
    else:
        assert snapshot(journey) == before

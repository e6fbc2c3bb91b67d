import pytest

from journeys import services
from journeys.models import Journey
from tests.journeys.conftest import minimal, onboarding_document, publish


def simple():
    return minimal([{"key": "end", "type": "exit"}], [{"from": "start", "to": "end"}])


def test_creating_a_journey_keeps_an_incomplete_draft_as_it_is(db):
    document = {"format": "journey/v1", "name": "Half done", "nodes": [{"key": "x", "type": "send"}], "edges": []}
    journey = services.journey_create(document=document)
    assert journey.status == Journey.Status.DRAFT and journey.draft == document and journey.name == "Half done"


def test_creating_from_something_that_is_not_a_journey_document_is_refused(db):
    with pytest.raises(services.DocumentInvalid) as raised:
        services.journey_create(document={"nodes": []})
    assert raised.value.errors[0]["node"] is None
    assert Journey.objects.count() == 0


def test_updating_the_draft_bumps_its_revision(db):
    journey = services.journey_create(document=simple())
    services.journey_update_draft(journey, document={**simple(), "name": "Renamed"}, base_revision=1)
    assert (journey.draft_revision, journey.name) == (2, "Renamed")


def test_updating_from_a_stale_revision_is_refused_and_changes_nothing(db):
    journey = services.journey_create(document=simple())
    services.journey_update_draft(journey, document=simple(), base_revision=1)
    with pytest.raises(services.StaleDraft):
        services.journey_update_draft(journey, document={**simple(), "name": "Lost edit"}, base_revision=1)
    journey.refresh_from_db()
    assert (journey.draft_revision, journey.name) == (2, "Test journey")


def test_publishing_freezes_a_version_that_later_draft_edits_do_not_touch(db):
    journey = services.journey_create(document=simple())
    version = services.journey_publish(journey)
    services.journey_update_draft(journey, document={**simple(), "name": "Edited"})
    version.refresh_from_db()
    assert version.number == 1 and version.document["name"] == "Test journey"
    assert journey.status == Journey.Status.LIVE and journey.current_version == version


def test_publishing_an_invalid_draft_raises_document_invalid_and_publishes_nothing(db):
    journey = services.journey_create(document=minimal([{"key": "lonely", "type": "exit"}], []))
    with pytest.raises(services.DocumentInvalid) as raised:
        services.journey_publish(journey)
    assert raised.value.errors[0]["node"] == "lonely"
    assert journey.versions.count() == 0 and journey.status == Journey.Status.DRAFT


def test_pause_resume_and_archive_move_the_status_and_refuse_impossible_moves(db):
    journey = services.journey_create(document=simple())
    with pytest.raises(services.JourneyStateError):
        services.journey_pause(journey)
    services.journey_publish(journey)
    assert services.journey_pause(journey).status == Journey.Status.PAUSED
    assert services.journey_resume(journey).status == Journey.Status.LIVE
    assert services.journey_archive(journey).status == Journey.Status.ARCHIVED
    with pytest.raises(services.JourneyStateError):
        services.journey_publish(journey)


def test_enrolling_members_skips_those_already_in_the_journey(members):
    journey = publish(minimal([{"key": "w", "type": "wait", "config": {"event": "x", "timeout": {"days": 1}}}],
                              [{"from": "start", "to": "w"}]))
    people = members(3)
    assert services.enroll_members(journey, [m.external_id for m in people[:2]]) == 2
    assert services.enroll_members(journey, [m.external_id for m in people] + ["nobody"]) == 1


def test_enrolling_into_a_journey_that_is_not_live_is_refused(db):
    journey = services.journey_create(document=simple())
    with pytest.raises(services.JourneyStateError):
        services.enroll_members(journey, ["m1"])


def test_the_migration_preview_counts_members_per_node_and_where_they_would_go(onboarding, members):
    people = members(3)
    services.enroll_members(onboarding, [m.external_id for m in people])
    document = onboarding_document()
    document["nodes"] = [n if n["key"] != "start" else {**n, "key": "begin"} for n in document["nodes"]]
    assert services.migration_preview(onboarding, document=document, mapping={"start": "ab"}) == [
        {"from": "start", "to": "ab", "count": 3}]
    assert services.migration_preview(onboarding, document=document) == [{"from": "start", "to": None, "count": 3}]

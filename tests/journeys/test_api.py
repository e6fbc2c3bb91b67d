import pytest

from journeys.models import Journey
from tests.journeys.conftest import minimal


def simple(name="API journey"):
    return {**minimal([{"key": "end", "type": "exit"}], [{"from": "start", "to": "end"}]), "name": name}


@pytest.fixture
def created(api):
    return api.post("/api/v1/journeys", simple(), format="json")


def test_posting_a_document_creates_a_draft_and_answers_its_summary_with_an_etag(created):
    assert created.status_code == 201
    assert created.json()["status"] == "draft" and created["ETag"] == '"1"'


def test_posting_something_that_is_not_a_document_is_a_400_listing_the_problem(api):
    response = api.post("/api/v1/journeys/", {"format": "nope"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["node"] is None
    assert Journey.objects.count() == 0


def test_the_list_answers_with_and_without_a_trailing_slash(api, created):
    assert [j["name"] for j in api.get("/api/v1/journeys").json()] == ["API journey"]
    assert api.get("/api/v1/journeys/").status_code == 200


def test_put_with_the_current_etag_replaces_the_draft_and_answers_the_next_etag(api, created):
    url = f"/api/v1/journeys/{created.json()['id']}"
    response = api.put(url, simple("Renamed"), format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200 and response["ETag"] == '"2"'
    assert api.get(url).json()["name"] == "Renamed"


def test_put_with_a_stale_etag_is_a_412_with_a_message_and_changes_nothing(api, created):
    url = f"/api/v1/journeys/{created.json()['id']}/"
    api.put(url, simple("First"), format="json", HTTP_IF_MATCH='"1"')
    response = api.put(url, simple("Second"), format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 412 and "reload" in response.json()["detail"]
    assert api.get(url).json()["name"] == "First"


def test_publish_answers_the_version_number(api, created):
    response = api.post(f"/api/v1/journeys/{created.json()['id']}/publish")
    assert response.status_code == 200 and response.json() == {"version": 1}


def test_publishing_an_invalid_draft_is_a_400_naming_the_node(api):
    journey = api.post("/api/v1/journeys", minimal([{"key": "orphan", "type": "exit"}], []), format="json").json()
    response = api.post(f"/api/v1/journeys/{journey['id']}/publish/")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"node": "orphan", "message": 'Node "orphan" cannot be reached from the entry node.'}]


def test_pause_resume_archive_answer_the_new_status_and_409_when_impossible(api, created):
    base = f"/api/v1/journeys/{created.json()['id']}"
    assert api.post(f"{base}/pause").status_code == 409
    api.post(f"{base}/publish")
    assert api.post(f"{base}/pause").json()["status"] == "paused"
    assert api.post(f"{base}/resume/").json()["status"] == "live"
    assert api.post(f"{base}/archive").json()["status"] == "archived"


def test_enroll_enrols_known_members_and_lists_unknown_ones(api, created, members):
    person = members(1)[0]
    base = f"/api/v1/journeys/{created.json()['id']}"
    api.post(f"{base}/publish")
    response = api.post(f"{base}/enroll", {"members": [person.external_id, "ghost"]}, format="json")
    assert response.json() == {"enrolled": 1, "unknown": ["ghost"]}


def test_enroll_without_a_member_list_is_a_400(api, created):
    response = api.post(f"/api/v1/journeys/{created.json()['id']}/enroll", {"members": "m1"}, format="json")
    assert response.status_code == 400


def test_a_viewer_reads_journeys_but_cannot_create_publish_or_enroll(viewer_api, api, created):
    journey_id = created.json()["id"]
    assert viewer_api.get(f"/api/v1/journeys/{journey_id}").status_code == 200
    assert viewer_api.post("/api/v1/journeys", simple(), format="json").status_code == 403
    assert viewer_api.post(f"/api/v1/journeys/{journey_id}/publish").status_code == 403
    assert viewer_api.put(f"/api/v1/journeys/{journey_id}", simple(), format="json").status_code == 403


def test_an_unknown_journey_is_a_404(api):
    assert api.get("/api/v1/journeys/999999").status_code == 404


def test_the_openapi_schema_lists_the_journey_endpoints(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/journeys/{id}/publish" in schema


def test_malformed_json_or_a_non_document_body_is_a_400_and_leaves_the_draft_alone(api, created):
    url = f"/api/v1/journeys/{created.json()['id']}"
    assert api.put(url, "{not json", content_type="application/json").status_code == 400
    assert api.put(url, [1, 2], format="json").status_code == 400
    assert api.put(url, simple(), format="json", HTTP_IF_MATCH="yesterday").status_code == 400
    assert api.get(url)["ETag"] == '"1"'


def test_publish_with_a_mapping_to_an_unknown_node_is_a_400_naming_the_old_node(api, created):
    response = api.post(f"/api/v1/journeys/{created.json()['id']}/publish",
                        {"migrate": True, "mapping": {"gone": "nowhere"}}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["node"] == "gone"

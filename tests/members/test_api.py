import pytest

from members.models import Member, MemberTag, Segment
from tests.factories import EventFactory, MemberFactory, SegmentFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_posting_members_creates_and_then_updates_them_by_external_id(api):
    response = api.post("/api/v1/members", [
        {"external_id": "u1", "name": "Li Lei", "phone": "13800000001", "attributes": {"city": "Beijing", "kids": 1},
         "tags": ["vip"], "registered_at": "2026-03-01T09:00:00+08:00"},
        {"external_id": "u2", "email": "han@example.com"},
    ], format="json")
    assert response.status_code == 200 and response.json() == {"created": 2, "updated": 0}
    response = api.post("/api/v1/members/", {"external_id": "u1", "attributes": {"kids": 2, "city": None}, "tags": ["mom"]},
                        format="json")
    assert response.json() == {"created": 0, "updated": 1}
    li = Member.objects.get(external_id="u1")
    assert (li.name, li.phone, li.attributes) == ("Li Lei", "13800000001", {"kids": 2})
    assert set(li.tags.values_list("name", flat=True)) == {"vip", "mom"}


def test_invalid_members_are_rejected_whole_with_each_index(api):
    response = api.post("/api/v1/members", [{"external_id": "ok"}, {"name": "no id"}, {"external_id": "x", "email": "nope"},
                                            {"external_id": "y", "tags": "vip"}, {"external_id": "z", "registered_at": "soon"}],
                        format="json")
    assert response.status_code == 400
    assert [e["index"] for e in response.json()["errors"]] == [1, 2, 3, 4]
    assert Member.objects.count() == 0


def test_the_member_profile_has_tags_attributes_groups_events_and_empty_enrolments(api):
    member = MemberFactory(external_id="u9", attributes={"city": "Shanghai"}, rfm_group="loyal", lifecycle_stage="growth")
    MemberTag.objects.create(member=member, tag=TagFactory(name="vip"))
    EventFactory(member=member, name="order_paid", value=88, properties={"sku": "milk"})
    body = api.get("/api/v1/members/u9").json()
    assert body["external_id"] == "u9" and body["tags"] == ["vip"] and body["attributes"] == {"city": "Shanghai"}
    assert (body["rfm_group"], body["lifecycle_stage"]) == ("loyal", "growth")
    assert body["events"][0]["name"] == "order_paid" and body["events"][0]["value"] == 88.0
    assert body["enrollments"] == [] and body["deliveries"] == []
    assert api.get("/api/v1/members/nobody/").status_code == 404


def test_segments_are_created_read_and_updated_with_a_live_count(api):
    vip = TagFactory(name="vip")
    for m in MemberFactory.create_batch(3):
        MemberTag.objects.create(member=m, tag=vip)
    MemberFactory()
    response = api.post("/api/v1/segments", {"slug": "vips", "name": "VIPs", "rule": {"tag": "vip"}}, format="json")
    assert response.status_code == 201 and response.json()["count"] == 3
    assert api.get("/api/v1/segments/vips/").json()["count"] == 3
    assert [s["slug"] for s in api.get("/api/v1/segments").json()] == ["vips"]
    response = api.put("/api/v1/segments/vips", {"name": "Not VIPs", "rule": {"not": {"tag": "vip"}}}, format="json")
    assert response.status_code == 200 and response.json()["count"] == 1
    assert Segment.objects.get(slug="vips").name == "Not VIPs"


def test_an_invalid_rule_or_slug_is_a_400_with_a_message_and_changes_nothing(api):
    SegmentFactory(slug="keep", rule={"tag": "vip"})
    response = api.post("/api/v1/segments", {"slug": "bad", "name": "Bad", "rule": {"attr": "city", "op": "like", "value": "x"}},
                        format="json")
    assert response.status_code == 400 and "unknown operator 'like'" in response.json()["errors"]["rule"]
    assert api.post("/api/v1/segments", {"slug": "keep", "name": "Dup", "rule": {"tag": "x"}}, format="json").status_code == 400
    response = api.put("/api/v1/segments/keep", {"rule": {"tag": ""}}, format="json")
    assert response.status_code == 400
    assert Segment.objects.get(slug="keep").rule == {"tag": "vip"} and Segment.objects.count() == 1


def test_preview_counts_and_samples_without_saving_and_viewers_may_use_it(viewer_api):
    MemberFactory(external_id="a", attributes={"city": "Beijing"})
    MemberFactory(external_id="b", attributes={"city": "Beijing"})
    MemberFactory(external_id="c", attributes={"city": "Wuhan"})
    response = viewer_api.post("/api/v1/segments/preview", {"rule": {"attr": "city", "op": "eq", "value": "Beijing"}}, format="json")
    assert response.status_code == 200
    assert response.json()["count"] == 2 and sorted(response.json()["sample"]) == ["a", "b"]
    bad = viewer_api.post("/api/v1/segments/preview/", {"rule": {"nope": 1}}, format="json")
    assert bad.status_code == 400 and "unknown rule 'nope'" in bad.json()["detail"]
    assert viewer_api.post("/api/v1/segments", {"slug": "x", "name": "x", "rule": {"tag": "x"}}, format="json").status_code == 403
    assert Segment.objects.count() == 0


def test_the_openapi_schema_still_builds_with_the_members_endpoints(api):
    response = api.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/events" in response.content and b"/api/v1/segments/preview" in response.content


def test_a_segment_body_that_is_not_an_object_is_a_400(api):
    SegmentFactory(slug="keep", rule={"tag": "vip"})
    assert api.post("/api/v1/segments", ["x"], format="json").status_code == 400
    assert api.put("/api/v1/segments/keep", ["x"], format="json").status_code == 400
    assert api.post("/api/v1/segments/preview", [1], format="json").status_code == 400
    assert Segment.objects.get().rule == {"tag": "vip"}

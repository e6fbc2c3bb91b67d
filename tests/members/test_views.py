import json

import pytest

from members.models import MemberTag, Segment, Tag
from tests.factories import EventFactory, MemberFactory, SegmentFactory, TagFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


def names(response):
    return [m.external_id for m in response.context["page"].object_list]


def test_the_member_list_searches_and_filters_by_tag_segment_rfm_group_and_stage(viewer_client):
    vip = TagFactory(name="vip")
    ann = MemberFactory(external_id="ann", name="Ann Lee", rfm_group="champions", lifecycle_stage="growth", attributes={"city": "Beijing"})
    bob = MemberFactory(external_id="bob", name="Bob", rfm_group="at_risk", lifecycle_stage="dormancy")
    MemberFactory(external_id="cy", name="Cy", attributes={"city": "Beijing"})
    MemberTag.objects.create(member=ann, tag=vip)
    MemberTag.objects.create(member=bob, tag=vip)
    SegmentFactory(slug="beijing", rule={"attr": "city", "op": "eq", "value": "Beijing"})
    assert names(viewer_client.get("/members/?q=lee")) == ["ann"]
    assert names(viewer_client.get("/members/?tag=vip")) == ["bob", "ann"]
    assert names(viewer_client.get("/members/?segment=beijing")) == ["cy", "ann"]
    assert names(viewer_client.get("/members/?rfm=at_risk")) == ["bob"]
    assert names(viewer_client.get("/members/?stage=growth&tag=vip")) == ["ann"]


def test_the_member_list_paginates_and_an_htmx_request_gets_only_the_results_partial(viewer_client):
    MemberFactory.create_batch(30)
    page2 = viewer_client.get("/members/?page=2")
    assert len(page2.context["page"].object_list) == 5
    partial = viewer_client.get("/members/?page=2", HTTP_HX_REQUEST="true")
    assert b'id="member-results"' in partial.content and b"<html" not in partial.content


def test_the_member_page_shows_profile_tags_timeline_enrolments_and_deliveries(viewer_client):
    member = MemberFactory(external_id="u1", name="Li Lei", attributes={"city": "Beijing"})
    MemberTag.objects.create(member=member, tag=TagFactory(name="vip"))
    EventFactory(member=member, name="order_paid", value=99, properties={"brand": "Shiseido"})
    response = viewer_client.get("/members/m/u1/", **EN)
    body = response.content.decode()
    assert response.status_code == 200
    for text in ["Li Lei", "vip", "order_paid", "Shiseido", "Beijing", "Not enrolled in any journey.", "No messages sent"]:
        assert text in body
    assert viewer_client.get("/members/m/nobody/").status_code == 404


def test_an_editor_adds_and_removes_a_tag_through_htmx_and_a_viewer_cannot(editor_client, client, viewer):
    member = MemberFactory(external_id="u2")
    response = editor_client.post("/members/m/u2/tags/", {"name": "new-mum"}, HTTP_HX_REQUEST="true")
    assert b'id="member-tags"' in response.content and b"new-mum" in response.content
    assert list(member.tags.values_list("name", flat=True)) == ["new-mum"]
    editor_client.post("/members/m/u2/tags/", {"remove": "new-mum"})
    assert member.tags.count() == 0
    error = editor_client.post("/members/m/u2/tags/", {"name": "   "}, HTTP_HX_REQUEST="true", **EN)
    assert b"field-error" in error.content and member.tags.count() == 0
    client.force_login(viewer)
    assert client.post("/members/m/u2/tags/", {"name": "x"}).status_code == 403


def test_tags_are_created_listed_with_counts_and_deleted(editor_client):
    assert editor_client.post("/members/tags/", {"name": "vip", "description": "Top spenders"}).status_code == 302
    duplicate = editor_client.post("/members/tags/", {"name": "vip"}, **EN)
    assert "This tag already exists." in duplicate.content.decode()
    tag = Tag.objects.get(name="vip")
    MemberTag.objects.create(member=MemberFactory(), tag=tag)
    assert editor_client.get("/members/tags/").context["tags"][0].member_count == 1
    editor_client.post(f"/members/tags/{tag.pk}/delete/")
    assert not Tag.objects.exists()


def test_the_segment_builder_saves_a_valid_segment_and_shows_errors_at_the_field_and_rule(editor_client):
    rule = {"all": [{"attr": "city", "op": "eq", "value": "Beijing"}]}
    response = editor_client.post("/members/segments/new/", {"name": "Beijing", "slug": "beijing", "rule": json.dumps(rule)})
    assert response.status_code == 302 and Segment.objects.get(slug="beijing").rule == rule
    bad = editor_client.post("/members/segments/new/", {"name": "", "slug": "beijing", "rule": json.dumps({"all": [{"tag": ""}]})},
                             **EN)
    assert bad.status_code == 200
    assert "already exists" in bad.context["form"].errors["slug"][0]
    assert bad.context["form"].errors["name"]
    assert bad.context["rule_error_path"] == "rule.all[0].tag"
    assert Segment.objects.count() == 1


def test_editing_a_segment_keeps_its_slug_and_updates_the_rule(editor_client):
    SegmentFactory(slug="vips", name="VIPs", rule={"tag": "vip"})
    editor_client.post("/members/segments/vips/", {"name": "VIP mums", "slug": "ignored", "rule": json.dumps({"tag": "mum"})})
    segment = Segment.objects.get()
    assert (segment.slug, segment.name, segment.rule) == ("vips", "VIP mums", {"tag": "mum"})


def test_the_live_preview_partial_shows_the_count_or_the_error_with_its_path(viewer_client):
    MemberFactory.create_batch(2, attributes={"city": "Beijing"})
    ok = viewer_client.post("/members/segments/preview/", {"rule": json.dumps({"attr": "city", "op": "eq", "value": "Beijing"})})
    assert b'data-count="2"' in ok.content and b"<html" not in ok.content
    bad = viewer_client.post("/members/segments/preview/", {"rule": json.dumps({"any": [{"attr": "city", "op": "is"}]})}, **EN)
    assert b'data-error-path="rule.any[0].op"' in bad.content and b"unknown operator" in bad.content
    garbage = viewer_client.post("/members/segments/preview/", {"rule": "{"}, **EN)
    assert garbage.status_code == 200 and b"The rule is not valid JSON." in garbage.content


def test_the_segment_list_loads_each_live_count_separately_and_marks_invalid_rules(viewer_client):
    SegmentFactory(slug="vips", rule={"tag": "vip"})
    SegmentFactory(slug="broken", rule={"tag": ""})
    MemberTag.objects.create(member=MemberFactory(), tag=TagFactory(name="vip"))
    listing = viewer_client.get("/members/segments/").content.decode()
    assert 'hx-get="/members/segments/vips/count/"' in listing and 'href="/members/segments/vips/"' in listing
    assert b'data-count="1"' in viewer_client.get("/members/segments/vips/count/").content
    assert b"pill-bad" in viewer_client.get("/members/segments/broken/count/").content
    assert viewer_client.get("/members/segments/vips/").status_code == 200
    assert viewer_client.post("/members/segments/new/", {"name": "x", "slug": "x", "rule": "{}"}).status_code == 403


def test_the_recompute_button_is_for_editors(editor_client, client, viewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert editor_client.post("/members/recompute/").status_code == 302
    assert len(callbacks) == 1
    client.force_login(viewer)
    assert client.post("/members/recompute/").status_code == 403

"""Bad input changes nothing and never answers 500: NUL and surrogates, malformed CSV rows, oversized
bodies; and the big and the foreign — a 500-node journey, unicode and emoji everywhere."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from journeys import clock, engine
from journeys.models import Enrollment, Journey, JourneyVersion
from members.models import Event, ImportJob, Member
from members.tasks import run_import
from tests.factories import ChannelFactory, TemplateFactory
from tests.journeys.conftest import T0, minimal, onboarding_channels, publish, tick  # noqa: F401  (fixture)
from touchpoints.models import Delivery
from touchpoints.sender import run as send_due

pytestmark = pytest.mark.django_db
EMOJI = "会员 🎉👩‍👩‍👧 ñ \u202e"


def post_json(client, url, body, **extra):
    return client.post(url, body if isinstance(body, (str, bytes)) else json.dumps(body), content_type="application/json", **extra)


def test_a_nul_character_in_an_event_property_is_a_400_json_error_and_stores_nothing(api):
    response = post_json(api, "/api/v1/events", [{"member": "m1", "name": "visit", "properties": {"note": "a\u0000b"}}])
    assert response.status_code == 400 and "NUL" in response.json()["detail"]
    assert not Event.objects.exists() and not Member.objects.exists()


def test_a_lone_surrogate_in_a_member_name_is_a_400_json_error_and_stores_nothing(api):
    response = post_json(api, "/api/v1/members", '{"external_id": "m1", "name": "\\ud800"}')
    assert response.status_code == 400 and "surrogates" in response.json()["detail"]
    assert not Member.objects.exists()


def test_a_canvas_draft_with_a_nul_character_is_refused_and_the_stored_draft_is_kept(client, editor):
    client.force_login(editor)
    created = post_json(client, "/api/v1/journeys", minimal([], []))
    journey = Journey.objects.get(pk=created.json()["id"])
    document = {**journey.draft, "name": "bad\u0000name"}
    response = post_json(client, f"/journeys/{journey.pk}/draft/", {"document": document, "revision": journey.draft_revision})
    assert response.status_code == 400
    assert Journey.objects.get(pk=journey.pk).draft == journey.draft


def test_an_edge_whose_ends_are_lists_is_a_publish_error_not_a_500(api, onboarding_channels):
    document = minimal([{"key": "w", "type": "wait", "config": {"event": "order_paid", "timeout": {"days": 1}}}],
                       [{"from": ["start"], "to": "w"}, {"from": "start", "to": {"w": 1}}])
    journey_id = post_json(api, "/api/v1/journeys", document).json()["id"]
    response = post_json(api, f"/api/v1/journeys/{journey_id}/publish", {})
    assert response.status_code == 400
    assert [e["message"] for e in response.json()["errors"] if e["message"].startswith("Edge #")] == [
        "Edge #1 must be an object whose from, to and branch are node keys and a branch name.",
        "Edge #2 must be an object whose from, to and branch are node keys and a branch name."]
    assert not JourneyVersion.objects.exists()


def test_a_split_variant_key_that_is_not_a_string_is_a_publish_error_not_a_500(api, onboarding_channels):
    document = minimal([{"key": "ab", "type": "split", "config": {"variants": [{"key": None, "weight": 1}, {"key": "B", "weight": 1}]}}],
                       [{"from": "start", "to": "ab"}, {"from": "ab", "to": "start", "branch": "A"}])
    journey_id = post_json(api, "/api/v1/journeys", document).json()["id"]
    response = post_json(api, f"/api/v1/journeys/{journey_id}/publish", {})
    assert response.status_code == 400 and not JourneyVersion.objects.exists()


def test_more_than_10000_events_in_one_request_is_a_400_json_error_that_stores_nothing(api):
    items = [{"member": f"m{i}", "name": "visit"} for i in range(10_001)]
    response = post_json(api, "/api/v1/events", items)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "at most 10,000 events per request, got 10,001"
    assert not Event.objects.exists() and not Member.objects.exists()


def test_a_body_over_the_upload_limit_is_a_4xx_json_error_that_stores_nothing(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = post_json(api, "/api/v1/events", [{"member": f"m{i}", "name": "visit"} for i in range(1000)])
    assert response.status_code in (400, 413)
    assert response["Content-Type"].startswith("application/json") and response.json()["detail"]
    assert not Event.objects.exists()


def upload_csv(client, editor, kind, data, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(editor)
    client.post("/members/imports/", {"kind": kind, "file": SimpleUploadedFile("rows.csv", data, "text/csv")})
    job = ImportJob.objects.get()
    run_import(job.pk)
    job.refresh_from_db()
    return job


def test_malformed_csv_rows_are_rejected_one_by_one_and_the_good_rows_keep_their_unicode(client, editor, settings, tmp_path):
    data = ("external_id,name,city\n"
            f"u1,{EMOJI},北京\n"
            "u2,Too,many,cells,here\n"
            ",No id,Wuhan\n"
            '"u3","Quoted, with comma",上海\n'
            "u4,Bad email,x,\n").encode()
    job = upload_csv(client, editor, "members", data, settings, tmp_path)
    assert (job.status, job.imported_rows, job.rejected_rows) == ("done", 3, 2)
    assert job.rejections == [{"row": 3, "message": "more cells than header columns"},
                              {"row": 4, "message": "'external_id' is required"}]
    assert Member.objects.get(external_id="u1").name == EMOJI
    assert Member.objects.get(external_id="u3").attributes == {"city": "上海"}


def test_a_csv_with_a_nul_byte_fails_as_a_whole_and_imports_nothing(client, editor, settings, tmp_path):
    job = upload_csv(client, editor, "members", b"external_id,name\nu1,ok\nu2,bad\x00name\n", settings, tmp_path)
    assert job.status == "failed" and job.message
    assert not Member.objects.exists()


def five_hundred_nodes():
    nodes = [{"key": f"d{i}", "type": "delay", "label": f"第 {i} 天 ⏳", "position": {"x": 200 * i, "y": 0},
              "config": {"minutes": 1}} for i in range(498)]
    nodes.append({"key": "msg", "type": "send", "label": "欢迎 🎁", "config": {"channel": "sms", "template": "welcome-coupon"}})
    keys = ["start"] + [n["key"] for n in nodes]
    document = minimal(nodes, [{"from": a, "to": b} for a, b in zip(keys, keys[1:])])
    document["name"] = "五百个节点 🚀"
    return document


def test_a_journey_with_500_nodes_validates_saves_publishes_loads_in_the_canvas_and_runs(api, client, editor, onboarding_channels):
    document = five_hundred_nodes()
    assert len(document["nodes"]) == 500
    created = post_json(api, "/api/v1/journeys", document)
    assert created.status_code == 201
    journey = Journey.objects.get(pk=created.json()["id"])
    assert post_json(api, f"/api/v1/journeys/{journey.pk}/publish", {}).json() == {"version": 1}
    client.force_login(editor)
    canvas = client.get(f"/journeys/{journey.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert canvas.status_code == 200 and "d497" in canvas.content.decode() and "五百个节点 🚀" in canvas.content.decode()
    member = Member.objects.create(external_id="long-walker", name=EMOJI, phone="13800000000")
    engine.enroll(JourneyVersion.objects.get(journey=journey), {member.pk: T0})
    for hour in range(40):  # a tick takes at most engine.MAX_HOPS hops; the rest continues from that tick's time
        tick(T0 + timedelta(hours=12 + hour))
    enrollment = Enrollment.objects.get(journey=journey)
    assert (enrollment.status, enrollment.visit) == ("completed", 500)
    assert Delivery.objects.filter(journey=journey).count() == 1


def test_emoji_in_attributes_event_properties_and_a_template_body_flow_through_wait_send_and_render(api):
    TemplateFactory(slug="emoji", channel=ChannelFactory(key="sms"), body="🎉 {{ member.attributes.昵称 }}，{{ member.name }}！")
    assert post_json(api, "/api/v1/members", {"external_id": "m-🎉", "name": EMOJI, "phone": "13800000000",
                                              "attributes": {"昵称": "小红 🌸"}}).status_code in (200, 201)
    journey = publish(minimal(
        [{"key": "w", "type": "wait", "label": "等待 ⏳",
          "config": {"event": "领券 🎟", "where": {"attr": "口味", "op": "eq", "value": "草莓 🍓"}, "timeout": {"days": 1}}},
         {"key": "msg", "type": "send", "label": "发送 ✉️", "config": {"channel": "sms", "template": "emoji"}}],
        [{"from": "start", "to": "w"}, {"from": "w", "to": "msg", "branch": "matched"}]))
    member = Member.objects.get(external_id="m-🎉")
    engine.enroll(journey.current_version, {member.pk: T0})
    tick(T0)
    response = post_json(api, "/api/v1/events", [{"member": "m-🎉", "name": "领券 🎟", "properties": {"口味": "草莓 🍓"},
                                                  "occurred_at": (T0 + timedelta(minutes=5)).isoformat()}])
    assert response.json() == {"accepted": 1, "duplicates": 0}
    tick(T0 + timedelta(minutes=10))
    with clock.frozen(T0 + timedelta(minutes=10)):
        send_due()
    delivery = Delivery.objects.get(journey=journey)
    assert delivery.status == "sent"
    assert delivery.rendered["message"]["body"] == f"🎉 小红 🌸，{EMOJI}！"
    assert api.get("/api/v1/members/m-🎉").json()["attributes"] == {"昵称": "小红 🌸"}

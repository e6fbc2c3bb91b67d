"""The canvas pages and their small endpoints, through the Django test client (English)."""

import copy
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from journeys import gallery, services
from journeys.models import Enrollment, GoalConversion, Journey
from tests.factories import JourneyFactory, MemberFactory

from .conftest import minimal, onboarding_document, publish


def english_client(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def ed(client, editor):
    return english_client(client, editor)


@pytest.fixture
def ro(client, viewer):
    return english_client(client, viewer)


def boot_of(response):
    html = response.content.decode()
    start = html.index('<script id="jc-boot" type="application/json">') + len('<script id="jc-boot" type="application/json">')
    return json.loads(html[start:html.index("</script>", start)])


def save(client, journey, document, revision):
    return client.post(f"/journeys/{journey.pk}/draft/", json.dumps({"document": document, "revision": revision}),
                       content_type="application/json")


def simple_journey(**kwargs):
    document = minimal([{"key": "end", "type": "exit"}], [{"from": "start", "to": "end"}])
    return services.journey_create(document=document, **kwargs)


# --- List ---------------------------------------------------------------------------------------

def test_the_list_shows_status_version_members_active_entered_today_and_goal_conversion(ed, onboarding):
    members = MemberFactory.create_batch(4)
    services.enroll_members(onboarding, [m.external_id for m in members])
    enrolment = Enrollment.objects.filter(journey=onboarding).first()
    GoalConversion.objects.create(enrollment=enrolment, journey=onboarding, member=enrolment.member,
                                  goal_key="first_order", converted_at=timezone.now())
    response = ed.get("/journeys/")
    row = response.context["journeys"][0]
    assert (row.status, row.current_version.number, row.members_active, row.entered_today, row.conversion) == \
        ("live", 1, 4, 4, 0.25)
    html = response.content.decode()
    assert "v1" in html and "25%" in html and "Live" in html


def test_the_list_search_and_status_filter_narrow_the_rows(ed):
    JourneyFactory(name="Milk powder refill", status="live")
    JourneyFactory(name="Birthday coupon", status="draft")
    assert [j.name for j in ed.get("/journeys/?q=milk").context["journeys"]] == ["Milk powder refill"]
    assert [j.name for j in ed.get("/journeys/?status=draft").context["journeys"]] == ["Birthday coupon"]


def test_the_gallery_offers_every_template_in_the_active_language(ed, client):
    html = ed.get("/journeys/").content.decode()
    for card in gallery.templates("en"):
        assert card["name"] in html
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    assert "高价值召回：15 天未下单" in client.get("/journeys/").content.decode()


def test_a_viewer_sees_the_list_without_create_import_or_duplicate(ro):
    JourneyFactory(name="Recall")
    html = ro.get("/journeys/").content.decode()
    assert "Recall" in html
    assert "/journeys/new/" not in html and "/journeys/import/" not in html and "/duplicate/" not in html


# --- Create, import, duplicate, export ----------------------------------------------------------

def test_a_blank_journey_opens_in_the_editor_with_one_entry_step(ed):
    response = ed.post("/journeys/new/")
    journey = Journey.objects.get()
    assert response.url == f"/journeys/{journey.pk}/"
    assert [n["type"] for n in journey.draft["nodes"]] == ["entry"]


def test_a_gallery_template_creates_its_document_named_in_the_operators_language(client, editor):
    client.force_login(editor)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    client.post("/journeys/new/", {"template": "high-value-recall"})
    journey = Journey.objects.get()
    assert journey.name == "高价值召回：15 天未下单"
    assert journey.draft["nodes"][0]["config"]["inactive"] == {"event": "order_paid", "days": 15}
    assert journey.draft["nodes"][0]["label"] == "15 天未下单"


def test_an_unknown_template_creates_nothing(ed):
    ed.post("/journeys/new/", {"template": "no-such-template"})
    assert not Journey.objects.exists()


def test_importing_a_journey_file_creates_a_draft_with_that_document(ed):
    document = onboarding_document()
    upload = SimpleUploadedFile("onboarding.journey.json", json.dumps(document).encode(), "application/json")
    response = ed.post("/journeys/import/", {"file": upload})
    journey = Journey.objects.get()
    assert response.url == f"/journeys/{journey.pk}/"
    assert journey.draft == document and journey.status == "draft"


@pytest.mark.parametrize("content, message", [
    (b"{not json", "not valid JSON"),
    (json.dumps({"format": "journey/v2", "nodes": [], "edges": []}).encode(), "journey/v1"),
    (json.dumps({"format": "journey/v1", "nodes": {}}).encode(), "nodes"),
])
def test_importing_a_bad_file_shows_the_reason_and_creates_nothing(ed, content, message):
    response = ed.post("/journeys/import/", {"file": SimpleUploadedFile("bad.json", content)})
    assert response.status_code == 400
    assert message in response.context["import_error"]
    assert "Import failed." in response.content.decode()
    assert not Journey.objects.exists()


def test_importing_without_a_file_is_a_clear_error(ed):
    response = ed.post("/journeys/import/")
    assert response.status_code == 400 and "Choose a journey/v1 JSON file" in response.context["import_error"]


def test_duplicating_copies_the_draft_under_a_new_name(ed):
    source = services.journey_create(document=onboarding_document())
    ed.post(f"/journeys/{source.pk}/duplicate/")
    copy_ = Journey.objects.exclude(pk=source.pk).get()
    assert copy_.name == "New member: first and second order (copy)"
    assert copy_.draft["nodes"] == source.draft["nodes"] and copy_.draft["edges"] == source.draft["edges"]


def test_export_downloads_the_draft_document(ed):
    journey = services.journey_create(document=onboarding_document())
    response = ed.get(f"/journeys/{journey.pk}/export/")
    assert response["Content-Disposition"].startswith('attachment; filename="new-member-first-and-second-order-')
    assert json.loads(response.content) == journey.draft


# --- Editor and autosave ------------------------------------------------------------------------

def test_the_editor_page_boots_the_canvas_with_the_document_revision_and_summaries(ed):
    journey = services.journey_create(document=onboarding_document())
    boot = boot_of(ed.get(f"/journeys/{journey.pk}/"))
    assert boot["document"] == journey.draft and boot["revision"] == journey.draft_revision
    assert boot["canEdit"] is True
    assert boot["summaries"]["w1"] == "Wait up to 4 days for order_paid"
    assert boot["summaries"]["ab"] == "day2 45% / day3 45% / control 10%"


def test_a_published_journey_links_from_the_canvas_to_its_report(ed, onboarding):
    assert f'href="/reports/{onboarding.pk}/"' in ed.get(f"/journeys/{onboarding.pk}/").content.decode()


def test_a_viewer_gets_a_read_only_canvas_without_palette_or_publish(ro):
    journey = services.journey_create(document=onboarding_document())
    response = ro.get(f"/journeys/{journey.pk}/")
    html = response.content.decode()
    assert boot_of(response)["canEdit"] is False
    assert "data-node-type" not in html and 'data-action="publish"' not in html


def test_saving_with_the_current_revision_stores_the_document_and_answers_summaries(ed):
    journey = simple_journey()
    document = copy.deepcopy(journey.draft)
    document["nodes"].append({"key": "w", "type": "wait", "position": {"x": 300, "y": 40},
                              "config": {"event": "order_paid", "timeout": {"days": 5}}})
    response = save(ed, journey, document, journey.draft_revision)
    journey.refresh_from_db()
    assert response.status_code == 200
    assert journey.draft == document
    assert response.json()["revision"] == journey.draft_revision
    assert response.json()["summaries"]["w"] == "Wait up to 5 days for order_paid"


def test_a_stale_revision_is_refused_with_409_and_does_not_overwrite(ed):
    journey = simple_journey()
    first = copy.deepcopy(journey.draft) | {"name": "Saved in tab one"}
    assert save(ed, journey, first, journey.draft_revision).status_code == 200
    response = save(ed, journey, copy.deepcopy(journey.draft) | {"name": "Stale tab two"}, journey.draft_revision)
    journey.refresh_from_db()
    assert response.status_code == 409
    assert response.json()["revision"] == journey.draft_revision
    assert journey.draft["name"] == "Saved in tab one"


@pytest.mark.parametrize("body", ["not json", json.dumps({"revision": 1}),
                                  json.dumps({"document": {"format": "journey/v1", "nodes": "x", "edges": []}}),
                                  json.dumps({"document": {"format": "journey/v1", "nodes": [], "edges": []}, "revision": "1"})])
def test_a_malformed_save_is_a_400_and_changes_nothing(ed, body):
    journey = simple_journey()
    before = (journey.draft, journey.draft_revision)
    response = ed.post(f"/journeys/{journey.pk}/draft/", body, content_type="application/json")
    journey.refresh_from_db()
    assert response.status_code == 400 and "error" in response.json()
    assert (journey.draft, journey.draft_revision) == before


def test_an_archived_journey_cannot_be_saved_or_edited_through_its_forms(ed):
    journey = simple_journey()
    services.journey_archive(journey)
    before = (journey.draft, journey.draft_revision)
    assert save(ed, journey, journey.draft, journey.draft_revision).status_code == 409
    assert ed.post(f"/journeys/{journey.pk}/nodes/end/", {"type": "exit", "key": "gone"}).status_code == 409
    assert ed.post(f"/journeys/{journey.pk}/settings/", {"name": "x", "timezone": "UTC", "reentry": "never"}).status_code == 409
    journey.refresh_from_db()
    assert (journey.draft, journey.draft_revision) == before


def test_a_viewer_cannot_save_publish_apply_a_node_or_change_status(ro):
    journey = simple_journey()
    before = (journey.draft, journey.draft_revision)
    assert save(ro, journey, journey.draft, journey.draft_revision).status_code == 403
    assert ro.post(f"/journeys/{journey.pk}/publish/").status_code == 403
    assert ro.post(f"/journeys/{journey.pk}/nodes/end/", {"type": "exit", "key": "end"}).status_code == 403
    assert ro.post(f"/journeys/{journey.pk}/settings/", {"name": "x"}).status_code == 403
    assert ro.post(f"/journeys/{journey.pk}/archive/").status_code == 403
    assert ro.post("/journeys/new/").status_code == 403
    journey.refresh_from_db()
    assert (journey.draft, journey.draft_revision, journey.status) == (*before, "draft")


# --- Node settings ------------------------------------------------------------------------------

def test_the_node_form_renders_the_canvas_copy_of_a_node_not_yet_saved(ed):
    journey = simple_journey()
    response = ed.get(f"/journeys/{journey.pk}/nodes/wait_2/", {
        "type": "wait", "label": "Paid?", "config": json.dumps({"event": "order_paid", "timeout": {"days": 5}})},
        HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Wait up to 5 days for order_paid" in html and 'value="order_paid"' in html
    assert "<html" not in html


def test_the_node_form_without_htmx_is_a_whole_page(ed):
    journey = simple_journey()
    html = ed.get(f"/journeys/{journey.pk}/nodes/end/").content.decode()
    assert "<html" in html and "End of the journey" in html


def test_an_invalid_node_form_shows_the_error_at_the_field(ed):
    journey = simple_journey()
    response = ed.post(f"/journeys/{journey.pk}/nodes/w/", {"type": "wait", "key": "w", "event": "order_paid"},
                       HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "HX-Trigger" not in response
    assert response.context["form"].errors["timeout_days"] == [
        "A wait needs a timeout; members leave through the timeout exit then."]


def test_a_valid_node_form_hands_the_cleaned_node_and_summary_to_the_canvas(ed):
    journey = simple_journey()
    response = ed.post(f"/journeys/{journey.pk}/nodes/ab/", {
        "type": "split", "key": "ab", "label": "Timing", "variant_key_0": "A", "variant_weight_0": "45",
        "variant_key_1": "b", "variant_weight_1": "45", "variant_key_2": "control", "variant_weight_2": "10"},
        HTTP_HX_REQUEST="true")
    assert response.status_code == 400  # "A" is not a lower-case key
    response = ed.post(f"/journeys/{journey.pk}/nodes/ab/", {
        "type": "split", "key": "ab", "label": "Timing", "variant_key_0": "a", "variant_weight_0": "45",
        "variant_key_1": "b", "variant_weight_1": "45", "variant_key_2": "control", "variant_weight_2": "10"},
        HTTP_HX_REQUEST="true")
    applied = json.loads(response["HX-Trigger"])["jc:node-applied"]
    assert applied["node"] == {"key": "ab", "type": "split", "label": "Timing", "config": {"variants": [
        {"key": "a", "weight": 45}, {"key": "b", "weight": 45}, {"key": "control", "weight": 10}]}}
    assert applied["summary"] == "a 45% / b 45% / control 10%"
    journey.refresh_from_db()
    assert "ab" not in {n["key"] for n in journey.draft["nodes"]}  # the canvas saves it, with its revision


def test_renaming_a_node_to_a_key_the_canvas_already_uses_is_refused(ed):
    journey = simple_journey()
    response = ed.post(f"/journeys/{journey.pk}/nodes/end/", {"type": "exit", "key": "later", "taken": json.dumps(["later"])},
                       HTTP_HX_REQUEST="true")
    assert response.context["form"].errors["key"] == ["Another step already uses the key later."]


def test_a_node_form_posted_without_htmx_updates_the_draft_and_follows_a_renamed_key(ed):
    journey = simple_journey()
    response = ed.post(f"/journeys/{journey.pk}/nodes/end/", {"type": "exit", "key": "finished", "label": "Done"})
    journey.refresh_from_db()
    assert response.url == f"/journeys/{journey.pk}/"
    assert journey.draft["nodes"][1] == {"key": "finished", "type": "exit", "label": "Done"}
    assert journey.draft["edges"] == [{"from": "start", "to": "finished"}]


def test_journey_settings_hand_goals_and_quiet_hours_to_the_canvas(ed):
    journey = simple_journey()
    response = ed.post(f"/journeys/{journey.pk}/settings/", {
        "name": "Welcome", "timezone": "Asia/Shanghai", "reentry": "never", "exit_on": "unsubscribed, blocked",
        "quiet_start": "22:00", "quiet_end": "08:00", "goal_key_0": "first_order", "goal_event_0": "order_paid",
        "goal_nth_0": "1", "goal_window_0": "30"}, HTTP_HX_REQUEST="true")
    applied = json.loads(response["HX-Trigger"])["jc:settings-applied"]
    assert applied["name"] == "Welcome"
    assert applied["settings"]["goals"] == [{"key": "first_order", "event": "order_paid", "nth": 1, "window_days": 30}]
    assert applied["settings"]["exit_on"] == ["unsubscribed", "blocked"]
    assert applied["settings"]["quiet_hours"] == {"start": "22:00", "end": "08:00"}


def test_journey_settings_errors_are_shown_at_the_fields(ed):
    journey = simple_journey()
    response = ed.post(f"/journeys/{journey.pk}/settings/", {
        "name": "Welcome", "timezone": "Mars/Olympus", "reentry": "after", "quiet_start": "25:00"},
        HTTP_HX_REQUEST="true")
    errors = response.context["form"].errors
    assert response.status_code == 400
    assert set(errors) == {"timezone", "reentry_days", "quiet_start"}


# --- Publish, migration, status -----------------------------------------------------------------

def test_publishing_an_invalid_draft_answers_errors_per_node_and_stays_a_draft(ed, onboarding_channels):
    document = onboarding_document()
    document["nodes"] = [n for n in document["nodes"] if n["key"] != "w1"] + [
        {"key": "w1", "type": "wait", "config": {"event": "order_paid"}}]
    journey = services.journey_create(document=document)
    response = ed.post(f"/journeys/{journey.pk}/publish/")
    journey.refresh_from_db()
    assert response.status_code == 400
    assert "w1" in {e["node"] for e in response.json()["errors"]}
    assert (journey.status, journey.current_version) == ("draft", None)


def test_publishing_a_valid_draft_makes_version_1_live(ed, onboarding_channels):
    journey = services.journey_create(document=onboarding_document())
    response = ed.post(f"/journeys/{journey.pk}/publish/")
    journey.refresh_from_db()
    assert response.json()["version"] == 1 and response.json()["status"] == "live"
    assert journey.current_version.document == journey.draft


def test_republishing_with_members_inside_previews_the_migration_before_confirming(ed, onboarding):
    members = MemberFactory.create_batch(3)
    services.enroll_members(onboarding, [m.external_id for m in members])
    Enrollment.objects.filter(journey=onboarding).update(node_key="w1")
    preview = ed.post(f"/journeys/{onboarding.pk}/publish/").json()
    assert '<span class="mono muted">w1</span></td><td class="num">3</td>' in preview["preview"]
    assert onboarding.versions.count() == 1
    response = ed.post(f"/journeys/{onboarding.pk}/publish/", {"confirm": "1", "migrate": "1"})
    assert response.json()["version"] == 2
    assert set(Enrollment.objects.filter(journey=onboarding, status__in=Enrollment.OPEN)
               .values_list("version__number", "node_key")) == {(2, "w1")}


def test_the_migration_preview_offers_a_mapping_for_removed_steps(ed, onboarding):
    members = MemberFactory.create_batch(2)
    services.enroll_members(onboarding, [m.external_id for m in members])
    Enrollment.objects.filter(journey=onboarding).update(node_key="w1")
    document = copy.deepcopy(onboarding.draft)
    document["nodes"] = [n for n in document["nodes"] if n["key"] != "w1"]
    document["edges"] = [e for e in document["edges"] if "w1" not in (e["from"], e["to"])] + [
        {"from": "nudge1", "to": "d7"}]
    services.journey_update_draft(onboarding, document=document)
    html = ed.post(f"/journeys/{onboarding.pk}/publish/", {"migrate": "1", "map_w1": "d7"}).json()["preview"]
    assert 'name="map_w1"' in html and '<option value="d7" selected>' in html
    ed.post(f"/journeys/{onboarding.pk}/publish/", {"confirm": "1", "migrate": "1", "map_w1": "d7"})
    assert set(Enrollment.objects.filter(journey=onboarding).values_list("node_key", flat=True)) == {"d7"}


def test_pause_resume_and_archive_change_the_status(ed, onboarding):
    ed.post(f"/journeys/{onboarding.pk}/pause/")
    assert Journey.objects.get(pk=onboarding.pk).status == "paused"
    ed.post(f"/journeys/{onboarding.pk}/resume/")
    assert Journey.objects.get(pk=onboarding.pk).status == "live"
    ed.post(f"/journeys/{onboarding.pk}/archive/")
    assert Journey.objects.get(pk=onboarding.pk).status == "archived"


def test_resuming_a_live_journey_is_refused_with_a_message(ed, onboarding):
    response = ed.post(f"/journeys/{onboarding.pk}/resume/", follow=True)
    assert "Only a paused journey can be resumed" in response.content.decode()
    assert Journey.objects.get(pk=onboarding.pk).status == "live"


# --- Live mode ----------------------------------------------------------------------------------

def test_the_live_endpoint_answers_counters_per_node(ed, onboarding):
    members = MemberFactory.create_batch(2)
    services.enroll_members(onboarding, [m.external_id for m in members])
    body = ed.get(f"/journeys/{onboarding.pk}/live/").json()
    assert body["status"] == "live"
    assert body["nodes"]["start"]["entered"] == 2
    assert set(body["nodes"]) == {n["key"] for n in onboarding.draft["nodes"]}


def test_members_at_a_step_are_listed_twenty_per_page(ed, onboarding):
    members = MemberFactory.create_batch(23)
    services.enroll_members(onboarding, [m.external_id for m in members])
    Enrollment.objects.filter(journey=onboarding).update(node_key="w1", node_entered_at=timezone.now() - timedelta(hours=1))
    first = ed.get(f"/journeys/{onboarding.pk}/nodes/w1/members/", HTTP_HX_REQUEST="true")
    second = ed.get(f"/journeys/{onboarding.pk}/nodes/w1/members/?page=2", HTTP_HX_REQUEST="true")
    shown = [[m.external_id for m in members if m.external_id in page.content.decode()] for page in (first, second)]
    assert (len(shown[0]), len(shown[1])) == (20, 3)
    assert set(shown[0] + shown[1]) == {m.external_id for m in members}
    assert "Page 1 of 2" in first.content.decode()
    assert f'href="/members/m/{members[0].external_id}/"' in first.content.decode() + second.content.decode()

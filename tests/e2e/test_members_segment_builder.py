import datetime as dt
from pathlib import Path

from playwright.sync_api import expect

from members.models import MemberTag, Segment
from tests.factories import ChannelFactory, EventFactory, MemberFactory, TagFactory

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def population():
    vip = TagFactory(name="vip")
    TagFactory(name="new-mum")
    now = dt.datetime.now(dt.UTC)
    for i, (city, is_vip, orders) in enumerate([("Beijing", True, 3), ("Beijing", True, 0), ("Beijing", False, 1),
                                               ("Shanghai", True, 2), ("Wuhan", False, 0)]):
        member = MemberFactory(external_id=f"shopper-{i}", attributes={"city": city, "age": 25 + i * 5},
                               rfm_group=["champions", "hibernating", "new", "loyal", ""][i],
                               lifecycle_stage=["growth", "dormancy", "introduction", "maturity", "churn"][i])
        if is_vip:
            MemberTag.objects.create(member=member, tag=vip)
        for n in range(orders):
            EventFactory(member=member, name="order_paid", occurred_at=now - dt.timedelta(days=3 + n * 10), value=80 + n * 20,
                         properties={"brand": "Shiseido" if n == 0 else "Lancome"})


def live_count(page):
    return page.locator("#live-count [data-count]")


def test_an_editor_builds_a_segment_in_the_rule_editor_and_watches_the_live_count_change(live_login, live_server, editor):
    population()
    page = live_login(editor)
    page.goto(f"{live_server.url}/members/segments/new/")
    expect(page.locator("#rule-editor .rule-group")).to_be_visible()
    page.fill("input[name=name]", "Beijing VIPs")
    page.fill("input[name=slug]", "beijing-vips")

    root = page.locator("#rule-editor > .rule-group")
    root.locator(":scope > .rule-group-foot .rule-add").select_option("attr")
    leaf = root.locator(".rule-leaf[data-kind=attr]").first
    leaf.locator("input.w-name").fill("city")
    leaf.locator("input.w-value").fill("Beijing")
    expect(live_count(page)).to_have_attribute("data-count", "3")

    root.locator(":scope > .rule-group-foot .rule-add").select_option("tag")
    root.locator(".rule-leaf[data-kind=tag] input").fill("vip")
    expect(live_count(page)).to_have_attribute("data-count", "2")

    root.locator(":scope > .rule-group-head select.mode-select").select_option("any")
    expect(live_count(page)).to_have_attribute("data-count", "4")
    root.locator(":scope > .rule-group-head select.mode-select").select_option("all")

    # An event leaf with a property filter: Beijing VIPs who bought Shiseido.
    root.locator(":scope > .rule-group-foot .rule-add").select_option("event")
    event = root.locator(".rule-leaf[data-kind=event]")
    event.locator("input.w-name").fill("order_paid")
    event.get_by_role("button", name="＋").click()
    prop = event.locator(".rule-where .rule-leaf[data-kind=attr]")
    prop.locator("input.w-name").fill("brand")
    prop.locator("input.w-value").fill("Shiseido")
    expect(live_count(page)).to_have_attribute("data-count", "1")

    # A broken leaf is marked where it is, and the count says why.
    leaf.locator("select.op-select").select_option("gt")
    leaf.locator("input.w-value").fill("")
    expect(leaf).to_have_class("rule-leaf has-error")
    expect(leaf.locator("xpath=..").locator(".rule-error")).to_contain_text("rule.all[0].value")
    leaf.locator("select.op-select").select_option("eq")
    leaf.locator("input.w-value").fill("Beijing")
    expect(live_count(page)).to_have_attribute("data-count", "1")
    expect(page.locator(".rule-leaf.has-error")).to_have_count(0)

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "members-segment-builder.png"), full_page=True)
    page.locator("button[type=submit].primary").click()
    page.wait_for_url(f"{live_server.url}/members/segments/beijing-vips/")
    segment = Segment.objects.get(slug="beijing-vips")
    assert segment.rule["all"][0] == {"attr": "city", "op": "eq", "value": "Beijing"}
    assert segment.rule["all"][2]["where"] == {"all": [{"attr": "brand", "op": "eq", "value": "Shiseido"}]}
    # Reopened, the editor shows the saved rule and its count.
    expect(live_count(page)).to_have_attribute("data-count", "1")
    expect(page.locator("#rule-editor .rule-leaf")).to_have_count(4)
    # The segment list fills in each live count after the page has loaded.
    page.goto(f"{live_server.url}/members/segments/")
    expect(page.locator(".live-cell[data-slug=beijing-vips] [data-count]")).to_have_attribute("data-count", "1")
    page.screenshot(path=str(SHOTS / "members-segments.png"), full_page=True)


def enrol_with_a_trace_and_a_message(external_id):
    from journeys import clock, engine, services
    from touchpoints.models import Delivery

    document = {"format": "journey/v1", "name": "Recall lapsing VIPs", "settings": {}, "nodes": [
        {"key": "start", "type": "entry", "config": {"manual": True}},
        {"key": "w", "type": "wait", "label": "Order within 5 days", "config": {"event": "order_paid", "timeout": {"days": 5}}},
        {"key": "done", "type": "exit"}], "edges": [{"from": "start", "to": "w"}, {"from": "w", "to": "done", "branch": "matched"}]}
    journey = services.journey_create(document=document)
    services.journey_publish(journey)
    journey.refresh_from_db()
    now = dt.datetime.now(dt.UTC)
    services.enroll_members(journey, [external_id], at=now)
    with clock.frozen(now):
        engine.advance()
    member = journey.enrollments.get().member
    Delivery.objects.create(member=member, journey=journey, channel=ChannelFactory(key="sms"), status="capped",
                            reason="frequency cap: 2 per 24 h", scheduled_at=now, created_at=now)


def test_the_member_list_filters_with_htmx_and_links_to_the_member_page(live_login, live_server, viewer):
    population()
    enrol_with_a_trace_and_a_message("shopper-0")
    page = live_login(viewer)
    page.goto(f"{live_server.url}/members/")
    expect(page.locator("#member-results tbody tr")).to_have_count(5)
    page.select_option("select[name=tag]", "vip")
    expect(page.locator("#member-results tbody tr")).to_have_count(3)
    assert "tag=vip" in page.url
    page.screenshot(path=str(SHOTS / "members-list.png"), full_page=True)
    page.locator("#member-results a", has_text="shopper-0").click()
    page.wait_for_url(f"{live_server.url}/members/m/shopper-0/")
    expect(page.locator(".timeline li")).to_have_count(3)
    expect(page.locator("details.enrollment table.trace tbody")).to_contain_text("start")
    expect(page.locator("details.enrollment summary")).to_contain_text("Recall lapsing VIPs")
    expect(page.locator(".pill-capped")).to_be_visible()
    page.screenshot(path=str(SHOTS / "members-detail.png"), full_page=True)

"""The journey report in the browser: funnel chart, variant table with intervals, cohorts."""

import random
import shutil
from datetime import timedelta
from pathlib import Path

from journeys.models import NodeStat
from tests.reports.conftest import T0, World, onboarding_document, publish

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "var" / "screenshots"
DOCS = ROOT / "docs" / "images"


def report_world():
    """Two weeks of enrolments on the onboarding journey: day3 converts better than day2, the
    control group converts least; engine counters follow the same flow."""
    world = World(publish(onboarding_document(), name="New member: first and second order"))
    rng = random.Random(11)
    rates = {"day2": (0.24, 0.30), "day3": (0.29, 0.33), "control": (0.15, 0.25)}
    flow, converted = {}, {}
    for day in range(14):
        for variant, share in (("day2", 0.45), ("day3", 0.45), ("control", 0.10)):
            n = int(rng.uniform(140, 200) * share)
            rows = world.enrol(n, assignments={"ab": variant}, at=T0 + timedelta(days=day, hours=rng.uniform(0, 10)))
            first_rate, second_rate = rates[variant]
            first = [r for r in rows if rng.random() < first_rate]
            second = [r for r in first if rng.random() < second_rate]
            # Small groups with their own delays, so time to convert spreads like real orders.
            for i in range(0, len(first), 4):
                world.convert(first[i:i + 4], "first_order", after=timedelta(days=rng.expovariate(1 / 3.5)))
                world.orders(first[i:i + 4], round(rng.uniform(60, 180), 2), after=timedelta(days=2))
            for i in range(0, len(second), 3):
                world.convert(second[i:i + 3], "second_order", after=timedelta(days=rng.uniform(8, 25)))
            flow[variant] = flow.get(variant, 0) + n
            converted[variant] = converted.get(variant, 0) + len(first)
    total = sum(flow.values())
    counts = {
        ("start", "entered"): total, ("start", "branch:next"): total, ("ab", "entered"): total,
        **{("ab", f"branch:{v}"): n for v, n in flow.items()},
        ("d2", "entered"): flow["day2"], ("d2", "branch:next"): flow["day2"] - 60, ("d2", "active"): 60,
        ("d3", "entered"): flow["day3"], ("d3", "branch:next"): flow["day3"] - 70, ("d3", "active"): 70,
        ("hold", "entered"): flow["control"], ("hold", "branch:matched"): 60, ("hold", "active"): flow["control"] - 90,
        ("hold", "branch:timeout"): 30,
        ("ordered", "entered"): total - flow["control"] - 130, ("ordered", "branch:yes"): 150,
        ("ordered", "branch:no"): total - flow["control"] - 280,
        ("nudge1", "entered"): total - flow["control"] - 280, ("nudge1", "branch:next"): total - flow["control"] - 280,
        ("w1", "entered"): total - flow["control"] - 280, ("w1", "branch:matched"): 310, ("w1", "branch:timeout"): 900,
        ("w1", "active"): total - flow["control"] - 280 - 1210,
    }
    firsts = sum(converted.values())
    counts.update({("start", "conversion:first_order"): firsts, ("ab", "conversion:first_order"): firsts,
                   ("d2", "conversion:first_order"): converted["day2"], ("d3", "conversion:first_order"): converted["day3"],
                   ("hold", "conversion:first_order"): converted["control"], ("ordered", "conversion:first_order"): 420,
                   ("nudge1", "conversion:first_order"): 310, ("w1", "conversion:first_order"): 310,
                   ("", "conversion:first_order"): firsts})
    NodeStat.objects.bulk_create([NodeStat(journey=world.journey, version=world.version, node_key=k, metric=m, count=c)
                                  for (k, m), c in counts.items()])
    return world


def test_an_operator_opens_the_report_and_sees_the_funnel_and_the_variant_table_with_intervals(live_login, live_server, editor):
    world = report_world()
    page = live_login(editor)
    page.click(".topbar button[value=en]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/reports/")
    page.get_by_role("link", name="New member: first and second order").click()
    page.wait_for_url(f"{live_server.url}/reports/{world.journey.pk}/")

    funnel = page.locator('#funnel [data-kind="funnel"]')
    funnel.locator("canvas").wait_for()
    assert funnel.locator("canvas").count() == 1
    page.locator('[data-kind="variants"] canvas').wait_for()
    table = page.locator("table.variants")
    assert table.is_visible()
    assert table.locator("th", has_text="95% interval").count() == 1
    day3_rate = table.locator("tr", has_text="day3").first
    assert "–" in day3_rate.locator(".ci").first.inner_text()
    assert page.locator(".verdict").first.is_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "report-journey.png"), full_page=True)
    # The sticky top bar would cover the card's head in an element screenshot.
    page.add_style_tag(content=".topbar { position: static; }")
    page.locator("#split-ab").screenshot(path=str(SHOTS / "report-ab-test.png"))

    page.get_by_role("link", name="By week").click()
    page.locator("table.cohorts th", has_text="Week of enrolment").wait_for()
    assert "cohort=week" in page.url

    page.select_option("#split-ab select[name=variant]", "day3")
    page.click("#split-ab .promote-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".promoted").first.is_visible()
    assert page.locator("table.history").get_by_text("Promoted day3").is_visible()

    page.goto(f"{live_server.url}/reports/")
    page.screenshot(path=str(SHOTS / "report-list.png"), full_page=True)
    DOCS.mkdir(parents=True, exist_ok=True)
    for name in ("report-journey.png", "report-ab-test.png", "report-list.png"):
        shutil.copy(SHOTS / name, DOCS / name)


def test_the_report_charts_speak_chinese_by_default_and_are_disposed_when_htmx_swaps_content(live_login, live_server, editor):
    world = report_world()
    page = live_login(editor)
    page.goto(f"{live_server.url}/reports/{world.journey.pk}/")
    page.locator('[data-kind="funnel"] canvas').wait_for()
    assert page.locator('[data-kind="funnel"]').get_attribute("data-locale") == "ZH"
    assert page.locator("h2", has_text="漏斗").count() + page.locator("h2", has_text="Funnel").count() == 1
    page.screenshot(path=str(SHOTS / "report-journey-zh.png"), full_page=True)
    DOCS.mkdir(parents=True, exist_ok=True)
    shutil.copy(SHOTS / "report-journey-zh.png", DOCS / "report-journey-zh.png")
    disposed = page.evaluate("""() => {
        const el = document.querySelector('[data-kind="funnel"]');
        const chart = window.echarts.getInstanceByDom(el);
        htmx.swap(document.querySelector('#funnel'), '<section id="funnel"></section>', {swapStyle: 'outerHTML'});
        return chart.isDisposed();
    }""")
    assert disposed is True

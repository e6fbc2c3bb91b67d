"""The journey report in the browser: funnel chart, variant table with intervals, cohorts."""

import random
from datetime import timedelta
from pathlib import Path

from journeys.models import NodeStat
from tests.reports.conftest import T0, World, onboarding_document, publish

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "var" / "screenshots"


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
    NodeStat.objects.bulk_create(
        [NodeStat(journey=world.journey, version=world.version, node_key=k, metric=m, count=c)
         for (k, m), c in flow_counters(world.version.document, flow, sum(converted.values())).items()])
    return world


def flow_counters(document, variants, firsts):
    """Engine-like counters for a two-week-old onboarding journey: members flow down the graph
    (some still waiting at delays and waits), converters are counted on the nodes they visited."""
    kinds = {n["key"]: n["type"] for n in document["nodes"]}
    edges = {(e["from"], e.get("branch", "next")): e["to"] for e in document["edges"]}
    after_first = {"first", "w2", "rebuy", "w2b", "second", "done"}
    inflow = {"start": sum(variants.values())}
    counts = {("", "conversion:first_order"): firsts}
    order = [n["key"] for n in document["nodes"]]
    pending = {k: sum(1 for e in document["edges"] if e["to"] == k) for k in order}
    ready = ["start"]
    while ready:
        key = ready.pop(0)
        entered = inflow.get(key, 0)
        kind = kinds[key]
        staying = round(entered * {"delay": 0.06, "wait": 0.12}.get(kind, 0))
        leaving = entered - staying
        if kind == "split":
            shares = {v: n / max(1, entered) for v, n in variants.items()}
        elif kind == "condition":
            shares = {"yes": 0.12, "no": 0.88}
        elif kind == "wait":
            shares = {"matched": 0.3, "timeout": 0.7}
        elif kind == "exit":
            shares = {}
        else:
            shares = {"next": 1.0}
        counts[(key, "entered")], counts[(key, "active")] = entered, staying
        counts[(key, "conversion:first_order")] = entered if key in after_first else round(entered * 0.25)
        counts[(key, "conversion:second_order")] = round(entered * (0.32 if key in after_first else 0.08))
        for branch, share in shares.items():
            n = round(leaving * share)
            counts[(key, f"branch:{branch}")] = n
            target = edges.get((key, branch))
            if target:
                inflow[target] = inflow.get(target, 0) + n
                pending[target] -= 1
                if pending[target] == 0:
                    ready.append(target)
    return counts


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


def test_the_report_charts_speak_chinese_by_default_and_are_disposed_when_htmx_swaps_content(live_login, live_server, editor):
    world = report_world()
    page = live_login(editor)
    page.goto(f"{live_server.url}/reports/{world.journey.pk}/")
    page.locator('[data-kind="funnel"] canvas').wait_for()
    assert page.locator('[data-kind="funnel"]').get_attribute("data-locale") == "ZH"
    assert page.locator("h2", has_text="漏斗").count() + page.locator("h2", has_text="Funnel").count() == 1
    page.screenshot(path=str(SHOTS / "report-journey-zh.png"), full_page=True)
    disposed = page.evaluate("""() => {
        const el = document.querySelector('[data-kind="funnel"]');
        const chart = window.echarts.getInstanceByDom(el);
        htmx.swap(document.querySelector('#funnel'), '<section id="funnel"></section>', {swapStyle: 'outerHTML'});
        return chart.isDisposed();
    }""")
    assert disposed is True

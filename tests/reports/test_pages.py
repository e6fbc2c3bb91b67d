import csv
import io

import pytest

from reports.models import Promotion, SplitPolicy

from .test_api import counted  # noqa: F401  (fixture)


@pytest.fixture
def english(client):
    def login(user):
        client.force_login(user)
        client.post("/i18n/setlang/", {"language": "en"})
        return client
    return login


def test_the_report_list_links_every_published_journey_to_its_report(english, viewer, counted):
    page = english(viewer).get("/reports/")
    assert page.status_code == 200
    assert f'href="/reports/{counted.journey.pk}/"' in page.content.decode()
    assert "first_order" in page.content.decode()


def test_the_journey_report_shows_kpis_funnel_variants_with_intervals_nodes_and_cohorts(english, viewer, counted):
    page = english(viewer).get(f"/reports/{counted.journey.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    for section in ['id="overview"', 'id="funnel"', 'id="ab"', 'id="nodes"', 'id="cohorts"', 'id="history"']:
        assert section in html
    assert 'data-kind="funnel"' in html and 'data-kind="variants"' in html and 'data-kind="activity"' in html
    assert "A/B test: First nudge timing" in html
    assert "20.0%" in html and "15.9–24.9%" in html  # day3: 60/300 with its Wilson interval
    assert "Verdict" in html
    assert "Promote a variant" not in html  # a viewer reads, an editor promotes


def test_an_editor_promotes_a_variant_from_the_report_and_sees_it_in_the_history(english, editor, counted):
    client = english(editor)
    response = client.post(f"/reports/{counted.journey.pk}/promote", {"node": "ab", "variant": "day3", "keep_control": "on"})
    assert response.status_code == 302
    counted.journey.refresh_from_db()
    assert counted.journey.split_overrides == {"ab": {"variant": "day3", "keep_control": True}}
    html = client.get(f"/reports/{counted.journey.pk}/").content.decode()
    assert "Promoted day3" in html and "(control kept)" in html


def test_promoting_an_unknown_variant_shows_the_error_at_the_field_and_changes_nothing(english, editor, counted):
    response = english(editor).post(f"/reports/{counted.journey.pk}/promote", {"node": "ab", "variant": "day9"})
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()
    counted.journey.refresh_from_db()
    assert counted.journey.split_overrides == {}
    assert not Promotion.objects.exists()


def test_a_viewer_cannot_promote(english, viewer, counted):
    response = english(viewer).post(f"/reports/{counted.journey.pk}/promote", {"node": "ab", "variant": "day3"})
    assert response.status_code == 403
    assert not Promotion.objects.exists()


def test_an_editor_turns_on_automatic_promotion_and_a_bad_alpha_is_refused_at_the_field(english, editor, counted):
    client = english(editor)
    bad = client.post(f"/reports/{counted.journey.pk}/policy", {"node": "ab", "auto_promote": "on", "alpha": "0.9", "min_members": "1000"})
    assert bad.status_code == 400 and 'class="field-error"' in bad.content.decode()
    assert not SplitPolicy.objects.exists()
    ok = client.post(f"/reports/{counted.journey.pk}/policy", {"node": "ab", "auto_promote": "on", "alpha": "0.05", "min_members": "2000"})
    assert ok.status_code == 302
    assert SplitPolicy.objects.get().min_members == 2000


@pytest.mark.parametrize("table", ["funnel", "cohorts", "variants", "nodes", "activity", "history"])
def test_every_report_table_exports_as_csv(english, viewer, counted, table):
    response = english(viewer).get(f"/reports/{counted.journey.pk}/{table}.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0]
    if table == "variants":
        day3 = next(r for r in rows if r[1] == "day3" and r[4] == "first_order")
        assert day3[3] == "300" and day3[5] == "60" and float(day3[6]) == 0.2


def test_an_unknown_csv_table_is_a_404(english, viewer, counted):
    assert english(viewer).get(f"/reports/{counted.journey.pk}/secrets.csv").status_code == 404


def test_the_cohort_toggle_swaps_only_the_cohort_partial_over_htmx(english, viewer, counted):
    client = english(viewer)
    response = client.get(f"/reports/{counted.journey.pk}/?cohort=week&partial=cohorts", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="cohorts">')
    assert "Week of enrolment" in html and "<html" not in html
    full = client.get(f"/reports/{counted.journey.pk}/?cohort=week").content.decode()
    assert "<html" in full and "Week of enrolment" in full


def test_a_journey_without_goals_or_splits_still_has_a_report_and_stats(english, viewer, api):
    from .conftest import World, publish

    world = World(publish({"format": "journey/v1", "name": "Tag new members", "settings": {},
                           "nodes": [{"key": "start", "type": "entry", "config": {"manual": True}},
                                     {"key": "tag", "type": "action", "config": {"add_tag": "new"}}],
                           "edges": [{"from": "start", "to": "tag"}]}))
    world.enrol(3)
    page = english(viewer).get(f"/reports/{world.journey.pk}/")
    assert page.status_code == 200
    assert "This journey has no split node." in page.content.decode()
    stats = api.get(f"/api/v1/journeys/{world.journey.pk}/stats").json()
    assert stats["splits"] == {} and stats["goals"] == {}
    funnel = api.get(f"/api/v1/journeys/{world.journey.pk}/funnel").json()
    assert funnel["overall"] == {"entered": 3, "steps": []}

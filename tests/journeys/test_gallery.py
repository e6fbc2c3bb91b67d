"""The template gallery: valid journey/v1 documents, bilingual names and labels."""

import json
from pathlib import Path

import pytest

from journeys import gallery, services
from tests.factories import ChannelFactory, TemplateFactory

# The product contract's example, beside the checkout in CI (the tests use the gallery's copy).
SHARED_EXAMPLE = Path(__file__).resolve().parents[3] / "shared" / "examples" / "onboarding.journey.json"

SLUGS = ["onboarding", "high-value-recall", "growth-recall", "unused-coupon", "replenishment"]


def test_the_gallery_holds_the_five_templates_of_the_issue_in_order():
    assert [t["slug"] for t in gallery.templates("en")] == SLUGS
    assert [t["name"] for t in gallery.templates("en")] == [
        "New member: first and second order (day 2/3/7/30 with an A/B timing test)",
        "High-value recall: no order for 15 days", "Growth recall: 21 days",
        "Unused coupon reminder after 7 days", "Replenishment reminder after 20 days"]


def test_every_template_has_a_chinese_name_description_and_a_label_for_every_node():
    for card in gallery.templates("zh-hans"):
        document = gallery.document(card["slug"], "zh-hans")
        english = gallery.document(card["slug"], "en")
        assert card["name"] != gallery.document(card["slug"], "en")["name"]
        assert document["description"] != english["description"]
        assert all(a["label"] != b["label"] for a, b in zip(document["nodes"], english["nodes"], strict=True))


@pytest.mark.skipif(not SHARED_EXAMPLE.exists(), reason="../shared/ is not beside this checkout")
def test_the_onboarding_template_is_the_canonical_example_graph():
    document = gallery.document("onboarding", "en")
    canonical = json.loads(SHARED_EXAMPLE.read_text(encoding="utf-8"))
    assert (document["nodes"], document["edges"], document["settings"]) == \
        (canonical["nodes"], canonical["edges"], canonical["settings"])


def test_the_high_value_recall_enters_champions_and_loyal_members_without_an_order_for_15_days():
    entry = gallery.document("high-value-recall", "en")["nodes"][0]
    assert entry["config"]["inactive"] == {"event": "order_paid", "days": 15}
    assert {"rfm": "champions"} in entry["config"]["where"]["any"] and {"rfm": "loyal"} in entry["config"]["where"]["any"]


@pytest.mark.django_db
@pytest.mark.parametrize("slug", SLUGS)
def test_every_template_is_publishable_once_its_channels_and_templates_exist(slug):
    document = gallery.document(slug, "en")
    for node in document["nodes"]:
        if node["type"] == "send":
            TemplateFactory(slug=node["config"]["template"], channel=ChannelFactory(key=node["config"]["channel"]))
    assert services.validate_for_publish(document) == []


def test_the_gallery_hands_out_copies_that_callers_may_change():
    gallery.document("onboarding", "en")["nodes"].clear()
    assert len(gallery.document("onboarding", "en")["nodes"]) == 21

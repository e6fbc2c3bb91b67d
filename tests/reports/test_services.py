import pytest

from accounts.models import AuditEntry
from reports import services, tasks
from reports.models import Promotion, SplitPolicy

from .test_ab import variant_world


def test_promoting_a_variant_writes_the_split_override_and_a_history_entry_with_the_evidence(onboarding, editor):
    variant_world(onboarding, {"day2": (300, 30), "day3": (300, 60), "control": (60, 3)})
    services.promote_variant(onboarding.journey, "ab", "day3", keep_control=True, user=editor)
    onboarding.journey.refresh_from_db()
    assert onboarding.journey.split_overrides == {"ab": {"variant": "day3", "keep_control": True}}
    promotion = Promotion.objects.get()
    assert (promotion.node_key, promotion.variant, promotion.keep_control, promotion.automatic) == ("ab", "day3", True, False)
    assert promotion.created_by == editor
    assert promotion.evidence["variants"]["day3"] == {"members": 300, "conversions": 60, "rate": 0.2}
    entry = AuditEntry.objects.get(action="journey.promote_variant")
    assert entry.details["variant"] == "day3" and entry.object_id == str(onboarding.journey.pk)


@pytest.mark.parametrize(("node", "variant"), [("d2", "day2"), ("nope", "day2"), ("ab", "day9")])
def test_promoting_an_unknown_split_or_variant_is_refused_and_changes_nothing(onboarding, editor, node, variant):
    with pytest.raises(services.PromotionError):
        services.promote_variant(onboarding.journey, node, variant, user=editor)
    onboarding.journey.refresh_from_db()
    assert onboarding.journey.split_overrides == {}
    assert not Promotion.objects.exists()


def test_withdrawing_a_promotion_removes_the_override_and_is_recorded(onboarding, editor):
    services.promote_variant(onboarding.journey, "ab", "day2", user=editor)
    services.withdraw_promotion(onboarding.journey, "ab", user=editor)
    onboarding.journey.refresh_from_db()
    assert onboarding.journey.split_overrides == {}
    assert list(Promotion.objects.values_list("variant", flat=True)) == ["", "day2"]
    with pytest.raises(services.PromotionError):
        services.withdraw_promotion(onboarding.journey, "ab", user=editor)


def test_automatic_promotion_promotes_the_sequential_winner_only_when_the_policy_allows_it(onboarding):
    variant_world(onboarding, {"day2": (2000, 200), "day3": (2000, 320), "control": (400, 20)})
    assert services.auto_promote(onboarding.journey) == []
    services.set_split_policy(onboarding.journey, "ab", auto_promote=True, alpha=0.05, min_members=1000, keep_control=True)
    [promotion] = services.auto_promote(onboarding.journey)
    assert (promotion.variant, promotion.automatic, promotion.keep_control) == ("day3", True, True)
    assert promotion.evidence["always_valid_p"] < 0.05
    onboarding.journey.refresh_from_db()
    assert onboarding.journey.split_overrides["ab"]["variant"] == "day3"
    assert services.auto_promote(onboarding.journey) == []  # already promoted: nothing more


def test_automatic_promotion_waits_for_the_minimum_sample_even_when_the_difference_is_large(onboarding):
    variant_world(onboarding, {"day2": (500, 20), "day3": (500, 150), "control": (100, 2)})
    services.set_split_policy(onboarding.journey, "ab", auto_promote=True, min_members=1000)
    assert services.auto_promote(onboarding.journey) == []
    assert onboarding.journey.split_overrides == {}


def test_the_beat_task_promotes_for_live_journeys_with_an_automatic_policy(onboarding):
    variant_world(onboarding, {"day2": (1500, 150), "day3": (1500, 260), "control": (300, 15)})
    SplitPolicy.objects.create(journey=onboarding.journey, node_key="ab", auto_promote=True, min_members=1000)
    assert tasks.auto_promote() == 1
    assert Promotion.objects.get().automatic is True


def test_the_beat_schedule_refreshes_rollups_and_evaluates_promotions_every_few_ticks():
    schedule = tasks.BEAT_SCHEDULE(5)
    assert {entry["task"] for entry in schedule.values()} == {"reports.refresh_rollups", "reports.auto_promote"}
    assert all(entry["schedule"] == 30 for entry in schedule.values())


def test_a_split_policy_with_an_out_of_range_alpha_is_refused(onboarding):
    with pytest.raises(services.PromotionError):
        services.set_split_policy(onboarding.journey, "ab", auto_promote=True, alpha=0.9)
    assert not SplitPolicy.objects.exists()


def test_the_rollup_beat_task_refreshes_live_journeys_and_leaves_a_just_refreshed_rollup_alone(onboarding):
    from reports import ab
    from reports.models import RollupState

    variant_world(onboarding, {"day2": (10, 1), "day3": (10, 2)})
    assert tasks.refresh_rollups(max_age=0) == 1
    first = RollupState.objects.get(journey=onboarding.journey).refreshed_at
    onboarding.enrol(5, assignments={"ab": "day3"})
    tasks.refresh_rollups(max_age=3600)
    assert RollupState.objects.get(journey=onboarding.journey).refreshed_at == first
    assert ab.split_results(onboarding.journey, max_age=3600)[0].variant("day3").members == 10
    tasks.refresh_rollups(max_age=0)
    assert ab.split_results(onboarding.journey, max_age=3600)[0].variant("day3").members == 15

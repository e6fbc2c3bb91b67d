"""Writes of the reports app: promoting a split variant (the winning path) and split policies.

Journey.split_overrides ({node_key: {"variant": K, "keep_control": bool}}) is read by the split
node for new arrivals; members already assigned keep their variant. Every change is recorded
in Promotion, which the journey's report shows as its history.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts import audit
from journeys import clock
from journeys.models import Journey

from . import ab, documents
from .models import Promotion, SplitPolicy


class PromotionError(ValueError):
    """The request names a node or variant the journey does not have; nothing was changed."""


def _split_node(journey, node_key):
    node = next((n for n in documents.split_nodes(documents.journey_document(journey)) if n["key"] == node_key), None)
    if node is None:
        raise PromotionError(_("%(node)s is not a split node of this journey.") % {"node": node_key})
    return node


def _evidence(journey, node_key):
    """The numbers the decision was taken on (as the report showed them), frozen into the history."""
    result = next((r for r in ab.split_results(journey) if r.node_key == node_key), None)
    if result is None or result.primary_goal is None:
        return {}
    goal = result.primary_goal
    return {
        "goal": goal,
        "verdict": result.verdict.code,
        "variants": {v.key: {"members": v.members, "conversions": v.goals[goal].conversions, "rate": v.goals[goal].rate}
                     for v in result.variants},
    }


def promote_variant(journey, node_key, variant, *, keep_control=False, user=None, automatic=False, evidence=None):
    node = _split_node(journey, node_key)
    if variant not in documents.variant_keys(node):
        raise PromotionError(_("%(variant)s is not a variant of %(node)s.") % {"variant": variant, "node": node_key})
    evidence = _evidence(journey, node_key) if evidence is None else evidence
    with transaction.atomic():
        locked = Journey.objects.select_for_update().get(pk=journey.pk)
        overrides = dict(locked.split_overrides or {})
        overrides[node_key] = {"variant": variant, "keep_control": bool(keep_control)}
        locked.split_overrides = overrides
        locked.save(update_fields=["split_overrides", "updated_at"])
        promotion = Promotion.objects.create(
            journey=locked, node_key=node_key, variant=variant, keep_control=bool(keep_control), automatic=automatic,
            evidence=evidence, created_by=user, created_at=clock.now(),
        )
        # The journey's audit history shows promotions next to publications and pauses.
        audit.record(user, "journey.promote_variant", locked, node=node_key, variant=variant,
                     keep_control=bool(keep_control), automatic=automatic)
    journey.split_overrides = overrides
    return promotion


def withdraw_promotion(journey, node_key, *, user=None):
    """New arrivals are split by weight again."""
    _split_node(journey, node_key)
    with transaction.atomic():
        locked = Journey.objects.select_for_update().get(pk=journey.pk)
        overrides = dict(locked.split_overrides or {})
        if node_key not in overrides:
            raise PromotionError(_("No variant of %(node)s is promoted.") % {"node": node_key})
        del overrides[node_key]
        locked.split_overrides = overrides
        locked.save(update_fields=["split_overrides", "updated_at"])
        promotion = Promotion.objects.create(journey=locked, node_key=node_key, variant="", created_by=user,
                                             created_at=clock.now())
        audit.record(user, "journey.withdraw_promotion", locked, node=node_key)
    journey.split_overrides = overrides
    return promotion


def set_split_policy(journey, node_key, *, auto_promote, alpha=0.05, min_members=1000, keep_control=True):
    _split_node(journey, node_key)
    if not 0 < alpha < 0.5:
        raise PromotionError(_("The false-winner rate must be between 0 and 0.5."))
    if min_members < 1:
        raise PromotionError(_("The minimum sample must be at least one member per variant."))
    policy, _created = SplitPolicy.objects.update_or_create(
        journey=journey, node_key=node_key,
        defaults={"auto_promote": auto_promote, "alpha": alpha, "min_members": min_members, "keep_control": keep_control},
    )
    return policy


def auto_promote(journey):
    """Promote the sequential-test winner of every split whose policy allows it; returns the promotions.

    The always-valid p-value makes it safe to evaluate this on every beat: looking often does
    not raise the false-winner rate above the policy's alpha.
    """
    policies = {p.node_key: p for p in SplitPolicy.objects.filter(journey=journey, auto_promote=True)}
    overrides = journey.split_overrides or {}
    pending = {k: p for k, p in policies.items() if k not in overrides}
    if not pending:
        return []
    promotions = []
    # The rollup the beat keeps fresh is good enough: an always-valid test may be read at any time.
    for result in ab.split_results(journey):
        policy = pending.get(result.node_key)
        if policy is None:
            continue
        found = ab.sequential_winner(result, alpha=policy.alpha, min_members=policy.min_members)
        if found is None:
            continue
        winner, seq = found
        evidence = {
            "goal": result.primary_goal, "rule": "mixture SPRT", "alpha": policy.alpha, "min_members": policy.min_members,
            "always_valid_p": seq.p_value, "difference": seq.difference, "interval": [seq.low, seq.high],
            "variants": {v.key: {"members": v.members, "conversions": v.goals[result.primary_goal].conversions}
                         for v in result.variants},
        }
        promotions.append(promote_variant(journey, result.node_key, winner, keep_control=policy.keep_control,
                                          automatic=True, evidence=evidence))
    return promotions

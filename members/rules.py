"""The RULE language of SPEC §2, compiled to ORM queries.

A rule is a JSON tree: `{"all": [...]}`, `{"any": [...]}`, `{"not": RULE}` and the leaves
`attr`, `tag`, `event`, `last_event`, `rfm`, `stage` and (inside a journey) `goal`.
`compile_rule` turns it into a `Q` over `Member`; `compile_event_where` turns the `where` of an
event leaf, entry trigger or wait node into a `Q` over `Event`. User text only ever becomes
query *parameters* (values, JSON keys), never SQL.

Decisions worth knowing:

- Numbers in JSON attributes/properties compare as numbers: the text of the key is cast to a
  float when it looks like a number (so `"30"` from a CSV and `30` from the API both count),
  and a non-numeric value never matches a numeric comparison.
- `ne` matches members who lack the attribute too ("city is not Beijing" includes members
  whose city is unknown).
- `last_event` with `older_than_days: N` matches members whose last such event happened more
  than N days before `now`. A member who never did it counts as lapsed when they registered
  more than N days ago — the useful answer for recall journeys ("no order for 15 days" must
  include members who never ordered at all). A member with no such event and no
  `registered_at` is not matched: we cannot tell how long they have been around.
- An event leaf without `count` means "at least once". A count that zero satisfies
  (`{"eq": 0}`, `{"lt": 3}`) matches members with no such event at all.
"""

import datetime as dt
import numbers
import re
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IContains,
    In,
    LessThan,
    LessThanOrEqual,
    Regex,
)
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext, gettext_noop

from .models import Event, LifecycleStage, MemberTag, RFMGroup


class RuleError(ValueError):
    """A rule that cannot be compiled. The message names the offending key/operator and path.

    `str()` and `detail` are English (the API, logs and tests read them); `localized()` is the same
    message in the active language, for the pages. `message` is the untranslated text with
    %(name)s placeholders filled from `params`.
    """

    def __init__(self, path, message, **params):
        self.path = path
        self.message, self.params = message, params
        self.detail = message % params if params else message
        super().__init__(f"{path}: {self.detail}")

    def localized(self):
        text = gettext(self.message)
        return f"{self.path}: {text % self.params if self.params else text}"


OPS = ("eq", "ne", "in", "gt", "gte", "lt", "lte", "contains", "exists")
ORDER_OPS = ("gt", "gte", "lt", "lte")
COUNT_OPS = ("eq", "gt", "gte", "lt", "lte")
COMBINATORS = ("all", "any", "not")
LEAF_KEYS = {
    "attr": {"attr", "op", "value"},
    "tag": {"tag"},
    "event": {"event", "count", "within_days", "where"},
    "last_event": {"last_event", "older_than_days"},
    "rfm": {"rfm"},
    "stage": {"stage"},
    "goal": {"goal"},
}
MEMBER_LEAVES = ("attr", "tag", "event", "last_event", "rfm", "stage", "goal")
EVENT_LEAVES = ("attr",)
# Member columns an `attr` leaf may name; any other name is a key of Member.attributes.
TEXT_FIELDS = ("external_id", "name", "phone", "email", "timezone")
FIXED_FIELDS = TEXT_FIELDS + ("registered_at", "points")
MAX_DEPTH = 12
NUMERIC_TEXT = r"^\s*-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?\s*$"
KEY_RE = re.compile(r"^[^\x00]{1,64}$")


def _is_number(value):
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _choice_names(choices):
    return ", ".join(value for value, _ in choices)


# --- Validation -------------------------------------------------------------------------------

def validate_rule(rule, *, allow_goal=False):
    """Raise RuleError (and only RuleError) unless `rule` is a valid member rule."""
    _validate(rule, "rule", leaves=MEMBER_LEAVES, allow_goal=allow_goal, depth=0)


def validate_event_where(rule):
    """Raise RuleError unless `rule` is a valid `where` over an event's properties and value."""
    _validate(rule, "where", leaves=EVENT_LEAVES, allow_goal=False, depth=0)


def _validate(rule, path, *, leaves, allow_goal, depth):
    if depth > MAX_DEPTH:
        raise RuleError(path, gettext_noop("rules may nest at most %(depth)s levels deep"), depth=MAX_DEPTH)
    if not isinstance(rule, dict) or not rule:
        raise RuleError(path, gettext_noop("a rule must be a non-empty JSON object"))
    kind = _kind_of(rule, path, leaves)
    if kind in ("all", "any"):
        if set(rule) != {kind}:
            raise RuleError(path, gettext_noop("unknown key(s) %(keys)s next to '%(kind)s'"),
                            keys=_names(set(rule) - {kind}), kind=kind)
        children = rule[kind]
        if not isinstance(children, list) or not children:
            raise RuleError(f"{path}.{kind}", gettext_noop("must be a non-empty list of rules"))
        for i, child in enumerate(children):
            _validate(child, f"{path}.{kind}[{i}]", leaves=leaves, allow_goal=allow_goal, depth=depth + 1)
        return
    if kind == "not":
        if set(rule) != {"not"}:
            raise RuleError(path, gettext_noop("unknown key(s) %(keys)s next to '%(kind)s'"),
                            keys=_names(set(rule) - {"not"}), kind="not")
        _validate(rule["not"], f"{path}.not", leaves=leaves, allow_goal=allow_goal, depth=depth + 1)
        return
    extra = set(rule) - LEAF_KEYS[kind]
    if extra:
        raise RuleError(path, gettext_noop("unknown key(s) %(keys)s in a '%(kind)s' leaf (allowed: %(allowed)s)"),
                        keys=_names(extra), kind=kind, allowed=_names(LEAF_KEYS[kind]))
    VALIDATORS[kind](rule, path, allow_goal=allow_goal)


def _kind_of(rule, path, leaves):
    known = [k for k in (*COMBINATORS, *leaves) if k in rule]
    if not known:
        allowed = _names((*COMBINATORS, *leaves))
        raise RuleError(path, gettext_noop("unknown rule %(rule)s; expected one of %(allowed)s"),
                        rule=_names(rule), allowed=allowed)
    if len(known) > 1:
        raise RuleError(path, gettext_noop("a rule has exactly one kind, got %(kinds)s"), kinds=_names(known))
    return known[0]


def _names(keys):
    return ", ".join(f"'{k}'" for k in sorted(keys))


def _validate_attr(rule, path, **_):
    name, op = rule["attr"], rule.get("op")
    if not isinstance(name, str) or not KEY_RE.match(name) or not name.strip():
        raise RuleError(f"{path}.attr", gettext_noop("must be an attribute name (1–64 characters)"))
    if op not in OPS:
        raise RuleError(f"{path}.op", gettext_noop("unknown operator %(op)r; expected one of %(ops)s"),
                        op=op, ops=", ".join(OPS))
    if op == "exists":
        if "value" in rule and not isinstance(rule["value"], bool):
            raise RuleError(f"{path}.value", gettext_noop("'exists' takes true or false (default true)"))
        return
    if "value" not in rule:
        raise RuleError(f"{path}.value", gettext_noop("operator '%(op)s' needs a value"), op=op)
    value = rule["value"]
    if op == "in":
        if not isinstance(value, list) or not value:
            raise RuleError(f"{path}.value", gettext_noop("'in' takes a non-empty list"))
        for v in value:
            if not _is_scalar(v) or v is None:
                raise RuleError(f"{path}.value", gettext_noop("'in' takes a list of strings, numbers or booleans"))
    elif op in ORDER_OPS:
        if not (_is_number(value) or isinstance(value, str)) or (isinstance(value, str) and not value):
            raise RuleError(f"{path}.value", gettext_noop("'%(op)s' compares with a number or a date/text"), op=op)
        if name == "registered_at" and _as_datetime(value) is None:
            raise RuleError(f"{path}.value", gettext_noop("registered_at compares with an ISO date or date-time"))
        if name == "points" and not _is_number(value):
            raise RuleError(f"{path}.value", gettext_noop("points compares with a number"))
    elif op == "contains":
        if not (isinstance(value, str) and value) and not _is_number(value):
            raise RuleError(f"{path}.value", gettext_noop("'contains' takes a text or a number"))
    elif not _is_scalar(value):
        raise RuleError(f"{path}.value", gettext_noop("'%(op)s' takes a string, number, boolean or null"), op=op)
    if name == "registered_at" and op in ("eq", "ne") and value is not None and _as_datetime(value) is None:
        raise RuleError(f"{path}.value", gettext_noop("registered_at compares with an ISO date or date-time"))


def _is_scalar(value):
    return value is None or isinstance(value, (str, bool)) or _is_number(value)


def _validate_name(value, path, message):
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise RuleError(path, message)


def _validate_days(value, path, minimum):
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum or value > 36500:
        raise RuleError(path, gettext_noop("must be a whole number of days, at least %(minimum)s"), minimum=minimum)


def _validate_tag(rule, path, **_):
    _validate_name(rule["tag"], f"{path}.tag", gettext_noop("must be a tag name (1–64 characters)"))


def _validate_event(rule, path, **_):
    _validate_name(rule["event"], f"{path}.event", gettext_noop("must be an event name (1–64 characters)"))
    if "count" in rule:
        count = rule["count"]
        if not isinstance(count, dict) or not count:
            raise RuleError(f"{path}.count", gettext_noop("must be an object with one or more of %(ops)s"),
                            ops=", ".join(COUNT_OPS))
        for op, n in count.items():
            if op not in COUNT_OPS:
                raise RuleError(f"{path}.count.{op}", gettext_noop("unknown count operator %(op)r; expected one of %(ops)s"),
                                op=op, ops=", ".join(COUNT_OPS))
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                raise RuleError(f"{path}.count.{op}", gettext_noop("must be a whole number ≥ 0"))
    if "within_days" in rule:
        _validate_days(rule["within_days"], f"{path}.within_days", 1)
    if "where" in rule:
        _validate(rule["where"], f"{path}.where", leaves=EVENT_LEAVES, allow_goal=False, depth=0)


def _validate_last_event(rule, path, **_):
    _validate_name(rule["last_event"], f"{path}.last_event", gettext_noop("must be an event name (1–64 characters)"))
    if "older_than_days" not in rule:
        raise RuleError(f"{path}.older_than_days", gettext_noop("is required"))
    _validate_days(rule["older_than_days"], f"{path}.older_than_days", 0)


def _validate_choice(key, choices):
    def validate(rule, path, **_):
        if rule[key] not in choices.values:
            raise RuleError(f"{path}.{key}", gettext_noop("unknown value %(value)r; expected one of %(choices)s"),
                            value=rule[key], choices=_choice_names(choices.choices))

    return validate


def _validate_goal(rule, path, *, allow_goal):
    if not allow_goal:
        raise RuleError(f"{path}.goal", gettext_noop("a goal leaf is only allowed inside a journey"))
    _validate_name(rule["goal"], f"{path}.goal", gettext_noop("must be a goal key (1–64 characters)"))


VALIDATORS = {
    "attr": _validate_attr,
    "tag": _validate_tag,
    "event": _validate_event,
    "last_event": _validate_last_event,
    "rfm": _validate_choice("rfm", RFMGroup),
    "stage": _validate_choice("stage", LifecycleStage),
    "goal": _validate_goal,
}


# --- Compilation ------------------------------------------------------------------------------

def compile_rule(rule, *, now, goal_resolver=None):
    """A Q over Member. `now` anchors every window; `goal_resolver(KEY) -> Q` answers goal leaves."""
    validate_rule(rule, allow_goal=goal_resolver is not None)
    return _compile_member(rule, now=now, goal_resolver=goal_resolver)


def compile_event_where(rule):
    """A Q over Event for the `where` of an event leaf, entry trigger or wait node."""
    validate_event_where(rule)
    return _compile_event_where(rule)


def _combine(rule, compile_child):
    if "all" in rule:
        q = Q()
        for child in rule["all"]:
            q &= compile_child(child)
        return q
    if "any" in rule:
        q = Q(pk__in=[])
        for child in rule["any"]:
            q |= compile_child(child)
        return q
    return ~compile_child(rule["not"])


def _compile_member(rule, *, now, goal_resolver):
    if any(k in rule for k in COMBINATORS):
        return _combine(rule, lambda child: _compile_member(child, now=now, goal_resolver=goal_resolver))
    if "attr" in rule:
        return _member_attr(rule)
    if "tag" in rule:
        return Q(Exists(MemberTag.objects.filter(member=OuterRef("pk"), tag__name=rule["tag"])))
    if "event" in rule:
        return _member_event(rule, now)
    if "last_event" in rule:
        return _member_last_event(rule, now)
    if "rfm" in rule:
        return Q(rfm_group=rule["rfm"])
    if "stage" in rule:
        return Q(lifecycle_stage=rule["stage"])
    return goal_resolver(rule["goal"])


def _compile_event_where(rule):
    if any(k in rule for k in COMBINATORS):
        return _combine(rule, _compile_event_where)
    if rule["attr"] == "value":
        return _column_comparison("value", rule, numeric=True)
    return _json_comparison("properties", rule)


def _member_attr(rule):
    name = rule["attr"]
    if name == "points":
        return _column_comparison("points", rule, numeric=True)
    if name == "registered_at":
        return _datetime_comparison(rule)
    if name in TEXT_FIELDS:
        return _text_column_comparison(name, rule)
    return _json_comparison("attributes", rule)


def _json_comparison(field, rule):
    """Compare the JSON key rule["attr"] of `field` (attributes or properties)."""
    key, op, value = rule["attr"], rule["op"], rule.get("value")
    raw = KeyTransform(key, field)
    text = KeyTextTransform(key, field)
    has_key = Q(**{f"{field}__has_key": key})
    if op == "exists":
        return has_key if value is not False else ~has_key
    if op == "ne":
        return ~has_key | ~_json_comparison(field, {**rule, "op": "eq"})
    if op in ("eq", "in"):
        values = value if op == "in" else [value]
        q = Q(pk__in=[])
        plain = [v for v in values if not _is_number(v)]
        numbers_ = [float(v) for v in values if _is_number(v)]
        if plain:
            # JSON equality keeps types apart: "true" is not true, and null is only null.
            q |= Q(In(raw, [_jsonb(v) for v in plain])) if len(plain) > 1 else Q(Exact(raw, _jsonb(plain[0])))
        if numbers_:
            q |= Q(In(_json_number(text), numbers_))
        return has_key & q
    if op in ORDER_OPS:
        lookup = ORDER_LOOKUPS[op]
        if _is_number(value):
            return Q(lookup(_json_number(text), float(value)))
        return has_key & Q(lookup(text, value))
    # contains: a substring of a text value, or an element of a JSON array
    return has_key & (Q(IContains(text, str(value))) | Q(**{f"{field}__{key}__contains": [value]}))


def _jsonb(value):
    return Value(value, output_field=JSONField())


def _json_number(text):
    """The key's value as a float when its text is a number, else NULL (which matches nothing)."""
    return Case(
        When(Regex(text, NUMERIC_TEXT), then=Cast(text, FloatField())),
        default=Value(None, output_field=FloatField()),
        output_field=FloatField(),
    )


ORDER_LOOKUPS = {"gt": GreaterThan, "gte": GreaterThanOrEqual, "lt": LessThan, "lte": LessThanOrEqual}


def _column_comparison(column, rule, *, numeric):
    op, value = rule["op"], rule.get("value")
    col = F(column)
    if op == "exists":
        present = Q(**{f"{column}__isnull": False})
        return present if value is not False else ~present
    if op == "in":
        numbers_ = [Decimal(str(v)) for v in value if _is_number(v)]
        return Q(**{f"{column}__in": numbers_}) if numbers_ else Q(pk__in=[])
    if op == "contains":
        return Q(IContains(Cast(col, output_field=TextField()), str(value)))
    if not _is_number(value):
        # A number column never equals or orders against text: nothing matches (or, for ne, all).
        return Q() if op == "ne" else Q(pk__in=[])
    number = Decimal(str(value))
    if op == "eq":
        return Q(**{column: number})
    if op == "ne":
        return ~Q(**{column: number}) | Q(**{f"{column}__isnull": True})
    return Q(ORDER_LOOKUPS[op](col, number))


def _text_column_comparison(column, rule):
    op, value = rule["op"], rule.get("value")
    if op == "exists":
        present = ~Q(**{column: ""})
        return present if value is not False else ~present
    if op == "eq":
        return Q(**{column: "" if value is None else str(value)})
    if op == "ne":
        return ~Q(**{column: "" if value is None else str(value)})
    if op == "in":
        return Q(**{f"{column}__in": [str(v) for v in value]})
    if op == "contains":
        return Q(**{f"{column}__icontains": str(value)})
    return Q(ORDER_LOOKUPS[op](F(column), str(value)))


def _as_datetime(value):
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            day = parse_date(value)
            if day is None:
                return None
            parsed = dt.datetime.combine(day, dt.time.min)
    except ValueError:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _datetime_comparison(rule):
    op, value = rule["op"], rule.get("value")
    if op == "exists":
        present = Q(registered_at__isnull=False)
        return present if value is not False else ~present
    if op == "contains":
        return Q(pk__in=[])
    if op == "in":
        moments = [_as_datetime(v) for v in value]
        return Q(registered_at__in=[m for m in moments if m is not None])
    if value is None:
        return Q(registered_at__isnull=(op == "eq"))
    moment = _as_datetime(value)
    if op == "eq":
        return Q(registered_at=moment)
    if op == "ne":
        return ~Q(registered_at=moment) | Q(registered_at__isnull=True)
    return Q(**{f"registered_at__{op}": moment})


def _events_of(rule, now, *, within_days=None):
    events = Event.objects.filter(member=OuterRef("pk"), name=rule.get("event") or rule.get("last_event"))
    if within_days is not None:
        events = events.filter(occurred_at__gte=now - dt.timedelta(days=within_days))
    if rule.get("where"):
        events = events.filter(_compile_event_where(rule["where"]))
    return events


def _member_event(rule, now):
    count = rule.get("count") or {"gte": 1}
    events = _events_of(rule, now, within_days=rule.get("within_days"))
    # The common shapes become EXISTS / NOT EXISTS, which stop at the first matching row.
    if count in ({"gte": 1}, {"gt": 0}):
        return Q(Exists(events))
    if count in ({"eq": 0}, {"lt": 1}, {"lte": 0}):
        return ~Q(Exists(events))
    counted = Subquery(
        events.order_by().values("member").annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()
    )
    counted = Coalesce(counted, Value(0))
    q = Q()
    for op, limit in count.items():
        q &= Q(COUNT_LOOKUPS[op](counted, limit))
    return q


COUNT_LOOKUPS = {"eq": Exact, **ORDER_LOOKUPS}


def _member_last_event(rule, now):
    days = rule["older_than_days"]
    cutoff = now - dt.timedelta(days=days)
    recent = _events_of(rule, now, within_days=None).filter(occurred_at__gt=cutoff)
    ever = _events_of(rule, now, within_days=None)
    # Lapsed: nothing since the cutoff, and either did it before or has been a member long enough.
    return ~Q(Exists(recent)) & (Q(Exists(ever)) | Q(registered_at__lte=cutoff))

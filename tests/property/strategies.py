"""Hypothesis strategies for bad (and sometimes good) input: JSON values, journey documents, RULE trees."""

import copy
import json

from hypothesis import strategies as st

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
# Strings an engineer would try first: empty, keys of the format, SQL and markup, unicode and emoji.
NASTY = st.sampled_from(["", " ", "start", "next", "A", "yes", "matched", "timeout", "order_paid", "sms", "welcome-coupon",
                         "'; DROP TABLE members_member; --", "<script>alert(1)</script>", "会员🎉", "👩‍👩‍👧", "\u202e", "\ud800", "\x00",
                         "a" * 300, "1e309", "-1", "null", "__proto__", "%s", "{{ member.name }}", "\\x00"])
STRINGS = st.one_of(TEXT, NASTY)
NUMBERS = st.one_of(st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
                    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([0, -1, 10 ** 12]))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, STRINGS)
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(STRINGS, inner, max_size=4)), max_leaves=12)


def as_json(value):
    """The request body a real client sends: ASCII JSON, so lone surrogates travel as \\ud800 escapes."""
    return json.dumps(value)


def paths(value, prefix=()):
    """Every path (tuple of keys/indexes) inside a JSON value, the root included."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, prefix + (index,))


def set_at(value, path, new):
    if not path:
        return new
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = new
    return value


def delete_at(value, path):
    if not path:
        return value
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return value


@st.composite
def mutated(draw, base, max_mutations=3):
    """`base` with a few random changes: a value replaced by any JSON, a key or item deleted, a node duplicated."""
    document = copy.deepcopy(base)
    for _ in range(draw(st.integers(min_value=1, max_value=max_mutations))):
        where = draw(st.sampled_from(sorted(paths(document), key=repr)))
        action = draw(st.sampled_from(["replace", "replace", "delete", "duplicate"]))
        if action == "replace":
            document = set_at(document, where, draw(JSON))
        elif action == "delete" and where:
            document = delete_at(document, where)
        elif action == "duplicate" and isinstance(document, dict) and isinstance(document.get("nodes"), list) and document["nodes"]:
            document["nodes"].append(copy.deepcopy(draw(st.sampled_from(document["nodes"]))))
    return document


OPS = st.sampled_from(["eq", "ne", "in", "gt", "gte", "lt", "lte", "contains", "exists", "like", "", "EQ"])
COUNT = st.dictionaries(st.sampled_from(["eq", "gt", "gte", "lt", "lte", "ne", "between"]), SCALARS, max_size=3)


def leaves():
    attr = st.sampled_from(["city", "points", "registered_at", "external_id", "name", "email", "timezone", "会员等级 🎉",
                            "a'b", ""]) | STRINGS
    return st.one_of(
        st.fixed_dictionaries({"attr": attr, "op": OPS}, optional={"value": JSON}),
        st.fixed_dictionaries({"tag": STRINGS}),
        st.fixed_dictionaries({"event": STRINGS}, optional={"count": COUNT | JSON, "within_days": NUMBERS | STRINGS,
                                                           "where": st.fixed_dictionaries({"attr": attr, "op": OPS, "value": JSON})}),
        st.fixed_dictionaries({"last_event": STRINGS, "older_than_days": NUMBERS | STRINGS}),
        st.fixed_dictionaries({"rfm": STRINGS}),
        st.fixed_dictionaries({"stage": STRINGS}),
        st.fixed_dictionaries({"goal": STRINGS}),
        st.fixed_dictionaries({"segment": STRINGS}),
        JSON,
    )


def plausible_leaves():
    """Well-formed leaves with odd values (unicode, huge numbers, type mismatches), so trees also compile and run."""
    attr = st.sampled_from(["city", "points", "registered_at", "external_id", "name", "timezone", "会员等级 🎉", "nested"])
    text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"), max_size=8)
    scalar = st.one_of(text, st.integers(min_value=-(2 ** 40), max_value=2 ** 40), st.floats(allow_nan=False, allow_infinity=False))
    days = st.integers(min_value=1, max_value=3650)
    count = st.dictionaries(st.sampled_from(["eq", "gt", "gte", "lt", "lte"]), st.integers(min_value=0, max_value=50),
                            min_size=1, max_size=2)
    return st.one_of(
        st.fixed_dictionaries({"attr": attr, "op": st.sampled_from(["eq", "ne", "gt", "gte", "lt", "lte", "contains"]),
                               "value": scalar}),
        st.fixed_dictionaries({"attr": attr, "op": st.just("in"), "value": st.lists(scalar, max_size=3)}),
        st.fixed_dictionaries({"attr": attr, "op": st.just("exists"), "value": st.booleans()}),
        st.fixed_dictionaries({"tag": text.filter(bool)}),
        st.fixed_dictionaries({"event": st.sampled_from(["order_paid", "visit", "领券 🎟"])},
                              optional={"count": count, "within_days": days,
                                        "where": st.fixed_dictionaries({"attr": st.sampled_from(["brand", "value", "sku"]),
                                                                        "op": st.sampled_from(["eq", "gte", "in", "contains"]),
                                                                        "value": scalar})}),
        st.fixed_dictionaries({"last_event": st.sampled_from(["order_paid", "visit"]), "older_than_days": days}),
        st.fixed_dictionaries({"stage": st.sampled_from(["introduction", "growth", "maturity", "dormancy", "churn"])}),
    )


RULES = st.recursive(plausible_leaves() | leaves(), lambda inner: st.one_of(
    st.fixed_dictionaries({"all": st.lists(inner, max_size=3)}),
    st.fixed_dictionaries({"any": st.lists(inner, max_size=3)}),
    st.fixed_dictionaries({"not": inner}),
    st.dictionaries(st.sampled_from(["all", "any", "not", "attr", "op"]), inner, max_size=2),
), max_leaves=8)

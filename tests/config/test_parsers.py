import pytest

from config.parsers import unstorable_text


@pytest.mark.parametrize("value", [
    {"note": "a\x00b"},
    {"a\x00": 1},
    [{"deep": ["ok", {"x": "\x00"}]}],
    {"name": "\ud800"},
    {"\udfff": "key"},
    {"note": "\\\x00"},  # a backslash, then a real NUL
])
def test_a_nul_or_a_lone_surrogate_anywhere_in_the_value_is_unstorable(value):
    assert unstorable_text(value) is True


@pytest.mark.parametrize("value", [
    {"note": "\\u0000"},  # the six characters backslash-u-0-0-0-0, not a NUL
    ["\\\\u0000"],
    {"name": "王小明", "emoji": "🎉", "n": 1, "f": 1.5, "none": None, "flag": True},
    [],
    "",
])
def test_ordinary_text_including_an_escaped_backslash_before_u0000_is_storable(value):
    assert unstorable_text(value) is False

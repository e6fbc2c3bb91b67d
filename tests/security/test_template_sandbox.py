"""Message templates: the sandbox cases tests/touchpoints/test_templating.py does not cover —
short templates that ask for gigabytes or billions of steps are refused before doing the work."""

import pytest
from django.utils import translation

from touchpoints.templating import TemplateError, render_string

CONTEXT = {"member": {"name": "Ann", "tags": ["a", "b"], "attributes": {"list": list(range(30_000))}, "points": 50_000}}
DOUBLING = "x" * 60


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize("source", [
    '{{ "x"|center(300000000) }}',
    '{{ "x"|indent(300000000, true) }}',
    '{{ [1, 2]|batch(300000000, "x")|list }}',
    '{{ [1, 2]|slice(300000000, "x")|list }}',
    '{{ "%300000000s"|format("x") }}',
    '{{ "%.300000000f"|format(1) }}',
    '{{ "%*s"|format(300000000, "x") }}',
    '{{ "xxxxxxxxxx"' + f'|replace("x", "{DOUBLING}")' * 4 + " }}",
    '{% set a = "xxxxxxxxxx" %}{% set b = a~a~a~a~a~a~a~a~a~a %}{{ b }}',
    "{% set a %}x{% endset %}{{ a }}",
    "{% for i in member.attributes.list %}{% for j in member.attributes.list %}{% endfor %}{% endfor %}",
    "{{ member.attributes.list|join(',') }}",
])
def test_templates_that_would_build_more_than_a_message_are_refused(source):
    with pytest.raises(TemplateError):
        render_string(source, CONTEXT)


@pytest.mark.parametrize("source, expected", [
    ('{{ "%d points"|format(member.points) }}', "50000 points"),
    ('{{ "%.2f"|format(3.14159) }}', "3.14"),
    ("{{ member.name|center(7) }}", "  Ann  "),
    ('{{ member.name|replace("n", "nn") }}', "Annnn"),
    ("{% for t in member.tags %}{{ loop.index }}{{ t|upper }}{% endfor %}", "1A2B"),
])
def test_ordinary_formatting_within_the_limits_still_works(source, expected):
    assert render_string(source, CONTEXT) == expected

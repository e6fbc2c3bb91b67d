"""The Simplified Chinese catalogues: the gate that keeps the interface bilingual.

`make messages` (makemessages + compilemessages) refreshes locale/zh_Hans; these tests fail as soon
as a new English string reaches the catalogue without a checked Chinese translation.
"""
import json
import re
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

CATALOGUE_DIR = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
DOMAINS = ["django", "djangojs"]

# printf conversions as Python's % operator reads them (named or positional), and str.format fields.
PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[sdrfixXeEgGcaou%]")
BRACES = re.compile(r"(?<!\{)\{[A-Za-z0-9_]*\}(?!\})")


def catalogue(domain):
    return polib.pofile(str(CATALOGUE_DIR / f"{domain}.po"))


def live_entries(domain):
    return [e for e in catalogue(domain) if not e.obsolete]


def placeholders(text):
    return Counter([p for p in PRINTF.findall(text) if p != "%%"] + BRACES.findall(text))


def translations(entry):
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


@pytest.mark.parametrize("domain", DOMAINS)
def test_both_catalogues_exist_with_the_single_chinese_plural_form(domain):
    po = catalogue(domain)
    assert po.metadata["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
    assert not po.metadata_is_fuzzy


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_entry_has_a_chinese_translation_without_a_fuzzy_flag(domain):
    problems = []
    for entry in live_entries(domain):
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        elif entry.msgid_plural and sorted(entry.msgstr_plural) != [0]:
            problems.append(f"plural forms {sorted(entry.msgstr_plural)} instead of one: {entry.msgid!r}")
        elif not all(text.strip() for text in translations(entry)):
            problems.append(f"untranslated: {entry.msgid!r}")
    assert not problems, f"{len(problems)} entries of {domain}.po need work:\n" + "\n".join(problems)


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_placeholder_of_the_english_text_appears_in_the_translation(domain):
    problems = []
    for entry in live_entries(domain):
        expected = placeholders(entry.msgid) | placeholders(entry.msgid_plural or "")
        for text in translations(entry):
            if placeholders(text) != expected:
                problems.append(f"{entry.msgid!r}: {dict(expected)} vs {text!r}: {dict(placeholders(text))}")
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_compiled_catalogue_matches_the_po_file(domain):
    compiled = {(e.msgctxt, e.msgid): translations(e) for e in polib.mofile(str(CATALOGUE_DIR / f"{domain}.mo")) if e.msgid}
    written = {(e.msgctxt, e.msgid): translations(e) for e in live_entries(domain)}
    assert compiled == written, "run `make messages` (compilemessages) after editing the .po file"


def test_python_format_translations_take_the_same_arguments_as_the_english_text():
    problems = []
    for entry in live_entries("django"):
        if "python-format" not in entry.flags:
            continue
        arguments = {name: 1 for name in re.findall(r"%\((\w+)\)", entry.msgid + (entry.msgid_plural or ""))}
        for text in translations(entry):
            try:
                text % arguments
            except (KeyError, TypeError, ValueError) as exc:
                problems.append(f"{entry.msgid!r} -> {text!r}: {exc!r}")
    assert not problems, "translations that cannot be formatted:\n" + "\n".join(problems)


@pytest.mark.django_db
def test_a_page_asked_for_in_chinese_is_served_from_the_catalogue():
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    page = client.get("/login/")
    assert page.status_code == 200
    with translation.override("zh-hans"):
        assert translation.gettext("Sign in") in page.content.decode()
        assert translation.gettext("Sign in") != "Sign in"


@pytest.mark.django_db
def test_a_rule_error_in_the_segment_preview_speaks_the_operators_language_and_keeps_its_path(viewer):
    client = Client()
    client.force_login(viewer)
    rule = json.dumps({"any": [{"attr": "city", "op": "is"}]})
    chinese = client.post("/members/segments/preview/", {"rule": rule}, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    english = client.post("/members/segments/preview/", {"rule": rule}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-error-path="rule.any[0].op"' in chinese and "rule.any[0].op: 未知运算符 &#x27;is&#x27;" in chinese
    assert "rule.any[0].op: unknown operator &#x27;is&#x27;" in english

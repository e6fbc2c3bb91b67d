"""The template gallery: ready-made journey/v1 documents with names in Chinese and English.

Each template is a `<slug>.journey.json` file (a plain journey/v1 document, the same format as
an export) and an entry in `catalogue.json` with the name, description and node labels per
language, so the gallery card and the created journey speak the operator's language.
"""

import copy
import json
from functools import cache
from pathlib import Path

from django.utils.translation import get_language

HERE = Path(__file__).resolve().parent
FALLBACK = "en"


@cache
def _catalogue():
    return json.loads((HERE / "catalogue.json").read_text(encoding="utf-8"))


@cache
def _document(slug):
    return json.loads((HERE / f"{slug}.journey.json").read_text(encoding="utf-8"))


def _texts(slug, language):
    entry = _catalogue()[slug]
    language = (language or FALLBACK).lower()
    if language not in entry:
        language = "zh-hans" if language.startswith("zh") else FALLBACK
    return entry.get(language, entry[FALLBACK])


def templates(language=None):
    """The gallery cards for the active (or given) language, in catalogue order."""
    language = language or get_language()
    cards = []
    for slug, entry in _catalogue().items():
        texts = _texts(slug, language)
        document = _document(slug)
        cards.append({
            "slug": slug,
            "icon": entry.get("icon", ""),
            "name": texts["name"],
            "description": texts["description"],
            "nodes": len(document["nodes"]),
            "types": sorted({node["type"] for node in document["nodes"]}),
        })
    return cards


def exists(slug):
    return slug in _catalogue()


def document(slug, language=None):
    """A fresh copy of the template's document, named and labelled in the language."""
    texts = _texts(slug, language or get_language())
    doc = copy.deepcopy(_document(slug))
    doc["name"] = texts["name"]
    doc["description"] = texts["description"]
    labels = texts.get("labels", {})
    for node in doc["nodes"]:
        if node["key"] in labels:
            node["label"] = labels[node["key"]]
    return doc

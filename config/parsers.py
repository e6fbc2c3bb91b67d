"""The API's JSON parser: refuses text PostgreSQL cannot store with a 400, before it reaches a view.

JSON may carry a NUL character ("\\u0000") and lone UTF-16 surrogates ("\\ud800"); PostgreSQL stores
neither in text or jsonb, so such a string would otherwise surface as a 500 from whichever write
or query it reached first.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


def unstorable_text(value):
    """True if any string (key or value) of a parsed JSON value holds a NUL or is not valid Unicode text."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item or not item.isascii() and not _encodable(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _encodable(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if unstorable_text(data):
            raise ParseError("JSON parse error - strings may not contain the NUL character (\\u0000) or lone surrogates (\\ud800-\\udfff).")
        return data

"""The API's JSON parser: refuses a NUL character in any string with a 400, before it reaches a view.

PostgreSQL can store NUL neither in text nor in jsonb ("\\u0000 cannot be converted to text"), so
such a string would otherwise surface as a 500 from whichever write or query it reached first.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


def contains_nul(value):
    """True if a NUL character is in any string (key or value) of a parsed JSON value."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if contains_nul(data):
            raise ParseError("JSON parse error - strings may not contain the NUL character (\\u0000).")
        return data

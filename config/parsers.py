"""The API's JSON parser: refuses text PostgreSQL cannot store with a 400, before it reaches a view.

JSON may carry a NUL character ("\\u0000") and lone UTF-16 surrogates ("\\ud800"); PostgreSQL stores
neither in text or jsonb, so such a string would otherwise surface as a 500 from whichever write
or query it reached first.
"""

import json
import re

from rest_framework import parsers
from rest_framework.exceptions import ParseError


# A NUL escape in JSON text that is not itself an escaped backslash followed by "u0000".
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def unstorable_text(value):
    """True if any string (key or value) of a parsed JSON value holds a NUL or is not valid Unicode text.

    Decided on the value serialised again, in C: walking a 1,000-event batch in Python cost a tenth
    of the request.
    """
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return True
    return "\\u0000" in text and _NUL_ESCAPE.search(text) is not None


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if unstorable_text(data):
            raise ParseError("JSON parse error - strings may not contain the NUL character (\\u0000) or lone surrogates (\\ud800-\\udfff).")
        return data

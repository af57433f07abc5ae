"""The API's JSON parser: DRF's, made safe against hostile nesting.

SECURITY: Python's json module recurses once per nesting level and raises
RecursionError (not ValueError) past the interpreter's limit, which DRF's
JSONParser does not catch: `[[[[...]]]]` of 100k levels, well within the body
size limit, was a 500. It is a 400 `invalid_json` now.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.")

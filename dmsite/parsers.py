"""The API's request parser."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, also refusing JSON nested too deeply for Python's json module.

    `[[[[…` a hundred thousand deep fits under DATA_UPLOAD_MAX_MEMORY_SIZE and makes
    `json.load` raise RecursionError, which DRF does not catch (a 500).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None

"""Cursor pagination for every list: `{next, previous, results}`, stable under inserts."""

from rest_framework.pagination import CursorPagination

from dmsite.errors import InvalidInput
from dmsite.fields import db_id_from_text


class NewestFirstPagination(CursorPagination):
    ordering = "-id"
    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100
    # The cursor's position is a value of the ordering field: a whole number for ids.
    position_is_integer = True

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except Exception as error:  # DRF raises NotFound; a bad cursor is bad input
            raise InvalidInput("The cursor is not valid.") from error
        if cursor is not None and not self._position_fits(cursor.position):
            raise InvalidInput("The cursor is not valid.")
        return cursor

    def _position_fits(self, position: str | None) -> bool:
        # DRF never makes a cursor without a position: the first page has no cursor.
        if position is None or not position.isprintable():
            return False
        if self.position_is_integer:
            return db_id_from_text(position) is not None
        return True

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
            raise InvalidInput("limit must be a whole number of at least 1.")
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1)
                parameter["description"] = (
                    f"Results per page: {self.page_size} unless given, "
                    f"at most {self.max_page_size} (a larger number gives {self.max_page_size})."
                )
            elif parameter["name"] == self.cursor_query_param:
                parameter["description"] = "The `next` or `previous` link's cursor."
        return parameters


class UsernamePagination(NewestFirstPagination):
    ordering = "username"
    position_is_integer = False


class SearchPagination(NewestFirstPagination):
    # DRF's cursor keeps only the first ordering field's value, so search orders by one
    # unique key: the rank's digit followed by the username (see privacy.selectors).
    ordering = "search_position"
    position_is_integer = False

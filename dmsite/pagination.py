"""Cursor pagination for every list: `{next, previous, results}`, stable under inserts."""

from rest_framework.pagination import CursorPagination

from dmsite.errors import InvalidInput


class NewestFirstPagination(CursorPagination):
    ordering = "-id"
    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except Exception as error:  # DRF raises NotFound; a bad cursor is bad input
            if self.cursor_query_param in request.query_params:
                raise InvalidInput("The cursor is not valid.") from error
            raise

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
            raise InvalidInput("limit must be a whole number of at least 1.")
        return super().get_page_size(request)


class UsernamePagination(NewestFirstPagination):
    ordering = "username"


class SearchRankPagination(NewestFirstPagination):
    ordering = ("rank", "username")

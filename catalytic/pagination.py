from __future__ import annotations

from typing import Any

from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        """The first page without a COUNT query when it holds everything there is.

        Most tenants have fewer objects than a page, and the first page is what clients
        ask for; fetching one row more than the page tells whether a COUNT is needed.
        """
        page_size = self.get_page_size(request)
        if not page_size or request.query_params.get(self.page_query_param, "1") != "1":
            return super().paginate_queryset(queryset, request, view)
        rows = list(queryset[: page_size + 1])
        if len(rows) > page_size:
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        self.page = self.django_paginator_class(rows, page_size).page(1)
        return list(self.page)

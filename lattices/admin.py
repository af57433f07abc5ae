"""Staff see every lattice, operation and background job, read-only: the history is an
audit trail, and a job is the worker's to end (customers cancel through the API).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from lattices.models import Job, Lattice, LatticeOperation


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Lattice)
class LatticeAdmin(ReadOnlyAdmin):
    list_display = ("name", "tenant", "dimensions", "size", "obstacle_kind", "created_at")
    list_filter = ("tenant", "dimensions", "created_at")
    search_fields = ("name", "id", "tenant__name", "tenant__slug")
    list_select_related = ("tenant",)
    date_hierarchy = "created_at"


@admin.register(LatticeOperation)
class LatticeOperationAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "tenant",
        "lattice",
        "kind",
        "status",
        "error_code",
        "duration_ms",
        "actor",
    )
    list_filter = ("tenant", "kind", "status", "created_at")
    search_fields = ("id", "lattice__id", "lattice__name", "error_code", "actor__email")
    list_select_related = ("tenant", "lattice", "actor")
    date_hierarchy = "created_at"


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "tenant", "lattice", "kind", "status", "attempts", "finished_at")
    list_filter = ("status", "kind", "tenant", "created_at")
    search_fields = ("id", "lattice__id", "lattice__name", "tenant__slug")
    list_select_related = ("tenant", "lattice")
    date_hierarchy = "created_at"
    # SECURITY: a queued xor job's request holds the customer's payload and key.
    exclude = ("request",)

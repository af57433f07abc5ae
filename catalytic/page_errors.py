"""How pages show a service's refusal: on the form's fields, or on top of the form."""

from __future__ import annotations

from catalytic.errors import ServiceError


def page_status(error: ServiceError) -> int:
    """The status a page answers a refused form with: the API's, except 401 (a page has
    no authentication challenge, so a wrong password is a 400 there)."""
    return 400 if error.status == 401 else error.status


class ServiceErrorFormMixin:
    """Mix into a Django form: `add_service_error` places a ServiceError's per-field
    details next to those fields, or its message on top of the form."""

    # Errors without per-field details that still concern one field: code → field.
    code_fields: dict[str, str] = {}

    def add_service_error(
        self, error: ServiceError, field_map: dict[str, str] | None = None
    ) -> None:
        field_map = field_map or {}
        field = self.code_fields.get(error.code)
        if field:
            self.add_error(field, error.message)  # type: ignore[attr-defined]
            return
        placed = False
        if isinstance(error.details, dict):
            for name, problems in error.details.items():
                field = field_map.get(name, name)
                if field in self.fields and isinstance(problems, list):  # type: ignore[attr-defined]
                    for problem in problems:
                        self.add_error(field, str(problem))  # type: ignore[attr-defined]
                    placed = True
        if not placed:
            self.add_error(None, error.message)  # type: ignore[attr-defined]

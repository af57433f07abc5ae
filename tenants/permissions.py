"""Role permissions for the API. Scoping (404 for other tenants) lives in the querysets."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from catalytic.api_errors import ApiError
from catalytic.errors import ServiceError
from tenants.context import READ, AuthContext
from tenants.models import Role, role_at_least


def auth_context(request: Any) -> AuthContext | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, AuthContext) else None


class IsTenantMember(BasePermission):
    """Authenticated through a tenant (JWT or API key); read-only keys cannot write.

    In a tenant that requires two-factor sign-in, a person who has not enrolled gets 403
    `two_factor_required` from every view but those that set `two_factor_exempt = True`
    (their own account, the enrolment, logout). API keys are programs: never asked.
    """

    def has_permission(self, request: Any, view: Any) -> bool:
        context = auth_context(request)
        if context is None:
            return False
        if context.two_factor_missing and not getattr(view, "two_factor_exempt", False):
            raise ServiceError(
                "This workspace requires two-factor sign-in: turn it on for your account "
                "first (POST /api/users/me/two-factor).",
                code="two_factor_required",
                status=403,
            )
        if request.method not in SAFE_METHODS and context.scope == READ:
            raise ApiError("This API key is read-only.", code="read_only_key", status_code=403)
        return True


def _demand_role(request: Any, minimum: str) -> bool:
    context = auth_context(request)
    assert context is not None  # IsTenantMember ran first
    if not role_at_least(context.role, minimum):
        raise ApiError(
            f"This action needs the {minimum} role or higher.",
            code="insufficient_role",
            status_code=403,
        )
    return True


def require_role(minimum: str) -> type[BasePermission]:
    """A permission class admitting `minimum` role and above (owner > admin > member > viewer)."""

    class HasRole(IsTenantMember):
        def has_permission(self, request: Any, view: Any) -> bool:
            return super().has_permission(request, view) and _demand_role(request, minimum)

    HasRole.__name__ = f"HasRole_{minimum}"
    return HasRole


class ReadOrRole(IsTenantMember):
    """Any member may read; writes need `view.write_role` (default member)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method in SAFE_METHODS:
            return True
        return _demand_role(request, getattr(view, "write_role", Role.MEMBER))


class TenantActive(BasePermission):
    """Refuses every call of a suspended tenant with 402 `tenant_suspended`.

    Product endpoints list it after their role permission. Tenant, team and
    billing endpoints leave it out on purpose: a suspended tenant must still be
    able to log in, see why it is suspended, and pay.
    """

    def has_permission(self, request: Any, view: Any) -> bool:
        context = auth_context(request)
        if context is None:
            return False
        if not context.tenant_active:
            # Only a refused call reads the tenant row, for its reason.
            tenant = context.tenant
            reason = tenant.suspended_reason or "Contact support or settle the open invoice."
            raise ApiError(
                f"This account is suspended: {reason}",
                code="tenant_suspended",
                status_code=402,
                extra={"tenant_status": context.tenant_status},
            )
        return True


IsAdmin = require_role(Role.ADMIN)

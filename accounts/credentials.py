"""The two statements that confirm a credential on every API request.

Each is one indexed SELECT (by the sign-in's primary key; by the API key's unique prefix)
that also returns the tenant's status and subscription, which the suspension check, the
per-plan rate limit and the metering need. The SQL is written once per process from the
models' metadata (table and column names, the subscription and plan reached through the
tenant's relations), like billing.usage's spend statement: building the same five-table
join through the ORM on every request cost more CPU than running it. Every value is a
bound parameter, prepared by its model field for the database in use (PostgreSQL, or
SQLite on a laptop).
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ApiKey, TokenFamily, User
from tenants.context import SubscriptionFacts
from tenants.models import Membership, Tenant


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model: type[Model], name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def _prep(db: BaseDatabaseWrapper, model: type[Model], name: str, value: Any) -> Any:
    return model._meta.get_field(name).get_db_prep_value(value, db)


@functools.cache  # from the models' metadata, which never changes in a process
def _tenant_facts() -> tuple[str, str, type[Model]]:
    """SELECT columns and JOINs for a tenant aliased `t`: its status, its subscription's
    status, plan code, whether its trial has ended (given `now`), Stripe id."""
    subscription = Tenant._meta.get_field("subscription").related_model
    plan = subscription._meta.get_field("plan").related_model
    columns = (
        f"t.{_column(Tenant, 'status')}, s.{_column(subscription, 'status')}, "
        f"p.{_column(plan, 'code')}, s.{_column(subscription, 'trial_end')} <= %s, "
        f"s.{_column(subscription, 'stripe_subscription_id')}"
    )
    joins = (
        f"LEFT JOIN {_table(subscription)} s "
        f"ON s.{_column(subscription, 'tenant')} = t.{_column(Tenant, 'id')} "
        f"LEFT JOIN {_table(plan)} p ON p.{_column(plan, 'id')} = s.{_column(subscription, 'plan')}"
    )
    return columns, joins, subscription


def _database() -> BaseDatabaseWrapper:
    # Resolved once per statement: each use of the `connection` proxy looks it up again.
    return connections[DEFAULT_DB_ALIAS]


def _first_row(db: BaseDatabaseWrapper, sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _subscription(row: tuple[Any, ...]) -> SubscriptionFacts | None:
    status, plan_code, trial_ended, stripe_id = row
    if status is None:
        return None  # no subscription row: the Free plan
    return SubscriptionFacts(status, plan_code, bool(trial_ended), stripe_id)


def _trial_param(db: BaseDatabaseWrapper, subscription: type[Model], now: datetime) -> Any:
    return _prep(db, subscription, "trial_end", now)


@dataclass(frozen=True)
class TenantFacts:
    status: str
    subscription: SubscriptionFacts | None


@dataclass(frozen=True)
class SignInFacts(TenantFacts):
    # The tenant requires two-factor sign-in and this person has no confirmed device.
    two_factor_missing: bool = False


@functools.cache
def _two_factor_missing() -> str:
    """A boolean column: the tenant `t` requires two-factor and the user `u` has no
    confirmed TOTP device (django-otp's rows, found by their indexed user column)."""
    device = TOTPDevice
    # SECURITY: only identifiers from the models' metadata are formatted in.
    return (
        f"(t.{_column(Tenant, 'require_two_factor')} = %s AND NOT EXISTS ("  # noqa: S608
        f"SELECT 1 FROM {_table(device)} d WHERE d.{_column(device, 'user')} = "
        f"u.{_column(User, 'id')} AND d.{_column(device, 'confirmed')} = %s))"
    )


@functools.cache
def _sign_in_statement() -> str:
    columns, joins, _ = _tenant_facts()
    family, membership, user = "f", "m", "u"
    # SECURITY: only identifiers from the models' metadata are formatted in.
    return (
        f"SELECT {columns}, {_two_factor_missing()} "  # noqa: S608
        f"FROM {_table(TokenFamily)} {family} "
        f"JOIN {_table(Membership)} {membership} "
        f"ON m.{_column(Membership, 'id')} = f.{_column(TokenFamily, 'membership')} "
        f"JOIN {_table(User)} {user} ON u.{_column(User, 'id')} = f.{_column(TokenFamily, 'user')} "
        f"JOIN {_table(Tenant)} t ON t.{_column(Tenant, 'id')} = m.{_column(Membership, 'tenant')} "
        f"{joins} "
        f"WHERE f.{_column(TokenFamily, 'id')} = %s "
        f"AND f.{_column(TokenFamily, 'revoked_at')} IS NULL "
        f"AND f.{_column(TokenFamily, 'user')} = %s AND m.{_column(Membership, 'user')} = %s "
        f"AND m.{_column(Membership, 'tenant')} = %s AND m.{_column(Membership, 'role')} = %s "
        f"AND m.{_column(Membership, 'is_active')} = %s AND u.{_column(User, 'is_active')} = %s "
        f"AND t.{_column(Tenant, 'status')} IN ({', '.join(['%s'] * len(Tenant.LIVE_STATUSES))})"
    )


def live_sign_in(
    *, family: uuid.UUID, user_id: uuid.UUID, tenant_id: uuid.UUID, role: str, now: datetime
) -> SignInFacts | None:
    """The tenant's facts if sign-in `family` is live and its person is still an active
    member of `tenant_id` with `role`, an active user, in a live tenant; else None."""
    _, _, subscription = _tenant_facts()
    db = _database()
    user = _prep(db, Membership, "user", user_id)
    params = [
        _trial_param(db, subscription, now),
        True,  # the tenant's require_two_factor
        True,  # a confirmed device
        _prep(db, TokenFamily, "id", family),
        user,
        user,
        _prep(db, Membership, "tenant", tenant_id),
        role,
        True,
        True,
        *Tenant.LIVE_STATUSES,
    ]
    row = _first_row(db, _sign_in_statement(), params)
    if row is None:
        return None
    return SignInFacts(row[0], _subscription(row[1:5]), two_factor_missing=bool(row[5]))


@dataclass(frozen=True)
class ApiKeyFacts:
    id: uuid.UUID
    tenant_id: uuid.UUID
    key_hash: str
    scope: str
    revoked: bool
    expired: bool
    used_recently: bool
    created_by_id: uuid.UUID | None
    tenant: TenantFacts


@functools.cache
def _api_key_statement() -> str:
    columns, joins, _ = _tenant_facts()
    key = ApiKey

    def c(name: str) -> str:
        return f"k.{_column(key, name)}"

    return (
        f"SELECT {c('id')}, {c('tenant')}, {c('key_hash')}, {c('scope')}, "  # noqa: S608
        f"{c('revoked_at')} IS NOT NULL, {c('expires_at')} <= %s, {c('last_used_at')} > %s, "
        f"{c('created_by')}, {columns} "
        f"FROM {_table(key)} k "
        f"JOIN {_table(Tenant)} t ON t.{_column(Tenant, 'id')} = {c('tenant')} "
        f"{joins} WHERE {c('prefix')} = %s"
    )


def _uuid(value: Any) -> uuid.UUID | None:
    # PostgreSQL returns UUIDs; SQLite the 32 hex digits Django stores.
    return None if value is None else uuid.UUID(str(value))


def api_key_by_prefix(prefix: str, *, now: datetime, used_since: datetime) -> ApiKeyFacts | None:
    """The key with this prefix and its tenant's facts; `used_recently` when its last use
    was recorded after `used_since`."""
    _, _, subscription = _tenant_facts()
    db = _database()
    params = [
        _prep(db, ApiKey, "expires_at", now),
        _prep(db, ApiKey, "last_used_at", used_since),
        _trial_param(db, subscription, now),
        prefix,
    ]
    row = _first_row(db, _api_key_statement(), params)
    if row is None:
        return None
    return ApiKeyFacts(
        id=_uuid(row[0]),  # type: ignore[arg-type]
        tenant_id=_uuid(row[1]),  # type: ignore[arg-type]
        key_hash=row[2],
        scope=row[3],
        revoked=bool(row[4]),
        expired=bool(row[5]),
        used_recently=bool(row[6]),
        created_by_id=_uuid(row[7]),
        tenant=TenantFacts(row[8], _subscription(row[9:])),
    )

from __future__ import annotations

from tests.accounts.conftest import _quiet_outbox, _real_services_only, login

__all__ = ["_quiet_outbox", "_real_services_only", "login"]

"""The usage history as CSV: one row per day, a column per caller (`format=csv`)."""

from __future__ import annotations

import csv
import io
from typing import Any

from rest_framework.renderers import BaseRenderer

# SECURITY: key names are chosen by users; a spreadsheet would run a cell that starts
# like a formula (CSV injection), so such cells are quoted as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _caller_columns(days: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(kind, id, header) of every caller in the range, in order of first appearance."""
    seen: dict[tuple[str, str], str] = {}
    for day in days:
        for member in day["members"]:
            seen.setdefault(("member", member["user_id"]), member["email"] or "deleted account")
        for key in day["api_keys"]:
            seen.setdefault(("api_key", key["api_key_id"]), f"api key {key['name'] or '(deleted)'}")
    headers = list(seen.values())
    return [
        (kind, ident, header if headers.count(header) == 1 else f"{header} [{ident}]")
        for (kind, ident), header in seen.items()
    ]


def history_csv(history: dict[str, Any]) -> str:
    """The history answer of /api/tenants/usage/history as CSV text, figure for figure."""
    days = history["days"]
    columns = _caller_columns(days)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["date", "api_calls", *(_cell(header) for _, _, header in columns)])
    for day in days:
        counts = {("member", m["user_id"]): m["api_calls"] for m in day["members"]}
        counts.update({("api_key", k["api_key_id"]): k["api_calls"] for k in day["api_keys"]})
        row = [counts.get((kind, ident), 0) for kind, ident, _ in columns]
        writer.writerow([day["date"], day["api_calls"], *row])
    return out.getvalue()


class UsageHistoryCSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        return history_csv(data).encode(self.charset)

"""One HTTP POST of one delivery: to an address checked just now, signed, 5 s at most,
redirects not followed, and nothing but a 2xx counts as delivered.

The connection goes to the very address `targets.resolve` approved (TLS still verifies
the certificate for the URL's host name), so a name that changes what it resolves to
between the check and the request cannot steer the request inside our network.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import urllib3
from django.conf import settings
from urllib3.util import parse_url

from webhooks import signing, targets

USER_AGENT = "Catalytic-Webhooks/1.0"
# Enough of an error answer to show the customer why their endpoint refused.
ERROR_BODY_BYTES = 500


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    error: str

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def event_body(*, event_id: Any, event_type: str, created: int, data: Any) -> bytes:
    payload = {"id": str(event_id), "type": event_type, "created": created, "data": data}
    return json.dumps(payload, separators=(",", ":")).encode()


def post(*, url: str, secret: str, event_id: Any, body: bytes) -> Outcome:
    started = time.monotonic()

    def outcome(status_code: int | None, error: str) -> Outcome:
        return Outcome(status_code, int((time.monotonic() - started) * 1000), error[:2000])

    try:
        address = targets.resolve(url)[0]
    except targets.UnsafeTarget as exc:
        return outcome(None, f"refused: {exc}")
    parts = parse_url(url)
    headers = {
        # The name (and port) the customer registered, though we connect to `address`.
        "Host": parts.host if parts.port is None else f"{parts.host}:{parts.port}",
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Catalytic-Event-Id": str(event_id),
        "Catalytic-Signature": signing.signature(secret, body, int(time.time())),
    }
    pool = _pool(url, address)
    try:
        response = pool.urlopen(
            "POST",
            parts.request_uri,
            body=body,
            headers=headers,
            redirect=False,
            retries=False,
            preload_content=False,
        )
        answer = response.read(ERROR_BODY_BYTES, decode_content=False)
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        return outcome(None, f"{type(exc).__name__}: {exc}")
    finally:
        pool.close()
    result = outcome(response.status, "")
    if result.delivered:
        return result
    text = answer.decode("utf-8", "replace").strip()
    return outcome(response.status, f"HTTP {response.status}" + (f": {text}" if text else ""))


def _pool(url: str, address: str) -> urllib3.HTTPConnectionPool:
    parts = parse_url(url)
    timeout = urllib3.Timeout(total=settings.WEBHOOK_TIMEOUT_SECONDS)
    options: dict[str, Any] = {"timeout": timeout, "maxsize": 1}
    if parts.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address,
            parts.port or 443,
            server_hostname=parts.host,
            assert_hostname=parts.host,
            cert_reqs="CERT_REQUIRED",
            **options,
        )
    return urllib3.HTTPConnectionPool(address, parts.port or 80, **options)

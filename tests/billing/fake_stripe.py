"""A fake of Stripe's HTTP API on 127.0.0.1, for the billing suite.

The app talks to it exactly as to Stripe (STRIPE_API_BASE points here), so the
code under test is the production code path: the stripe library, dj-stripe's
re-fetches and our handlers. Every call is recorded (method, path, params) for
assertions. Objects are built from Stripe's published fixtures
(fixtures/stripe_fixtures3.json) with ids, customer, status, items, periods and
metadata overridden per scenario; nothing is invented by hand.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "stripe_fixtures3.json").read_text())[
    "resources"
]
DAY = 86400
INTERVAL_SECONDS = {"month": 30 * DAY, "year": 365 * DAY}
DECLINED_LAST4 = "0002"  # Stripe's test card 4000 0000 0000 0002: generic decline
ACCOUNT_ID = "acct_1FakeCatalytic00"

COLLECTIONS = {
    "customer": "customers",
    "subscription": "subscriptions",
    "subscription_item": "subscription_items",
    "invoice": "invoices",
    "price": "prices",
    "product": "products",
    "payment_method": "payment_methods",
    "checkout.session": "checkout/sessions",
    "billing_portal.session": "billing_portal/sessions",
    "event": "events",
}


def fixture(resource: str, **overrides: Any) -> dict:
    """A deep copy of Stripe's example `resource`, with top-level fields replaced."""
    obj = copy.deepcopy(FIXTURES[resource])
    obj.update(copy.deepcopy(overrides))
    return obj


def unflatten(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding (a[b][0][c]=v, expand[]=x) back into nested values."""
    root: dict = {}
    for key, value in pairs:
        head, *rest = re.findall(r"^[^\[]+|\[[^\]]*\]", key)
        tokens = [head] + [part[1:-1] for part in rest]
        node = root
        for index, token in enumerate(tokens):
            if token == "":  # "a[]": append
                token = str(len(node))
            if index == len(tokens) - 1:
                node[token] = value
            else:
                node = node.setdefault(token, {})
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def _bool(value: Any) -> bool:
    return str(value).lower() == "true"


class StripeHTTPError(Exception):
    def __init__(self, status: int, message: str, **error: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"message": message, "type": "invalid_request_error", **error}}


def missing(kind: str, object_id: str, param: str = "id") -> StripeHTTPError:
    return StripeHTTPError(
        404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param
    )


@dataclass
class Call:
    method: str
    path: str
    params: dict
    headers: dict = field(default_factory=dict)


class FakeStripe:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None
        self.reset()

    # --- lifecycle -----------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.objects: dict[str, dict] = {}
            self.calls: list[Call] = []
            self.failures: list[tuple[str, re.Pattern, StripeHTTPError]] = []
            self.outage: StripeHTTPError | None = None
            self._ids = itertools.count(1)
            self.now = int(time.time())

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet test output
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                pairs = parse_qsl(parts.query, keep_blank_values=True)
                pairs += parse_qsl(body, keep_blank_values=True)
                status, payload = fake.handle(
                    self.command, parts.path, unflatten(pairs), dict(self.headers)
                )
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.send_header("Request-Id", f"req_fake{next(fake._ids)}")
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    # --- assertions ----------------------------------------------------------

    def calls_to(self, method: str, path: str) -> list[Call]:
        """Recorded calls whose path matches `path` (a regex anchored at both ends)."""
        pattern = re.compile(f"^{path}$")
        return [c for c in self.calls if c.method == method and pattern.match(c.path)]

    def fail_next(self, method: str, path: str, status: int, message: str, **error: Any) -> None:
        """Answer the next matching call with a Stripe error instead."""
        self.failures.append(
            (method, re.compile(f"^{path}$"), StripeHTTPError(status, message, **error))
        )

    def fail_every_call(self, status: int, message: str, **error: Any) -> None:
        """Answer every call with a Stripe error until the next reset (an outage)."""
        self.outage = StripeHTTPError(status, message, **error)

    # --- objects ---------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_Fake{next(self._ids):06d}"

    def store(self, obj: dict) -> dict:
        with self.lock:
            self.objects[obj["id"]] = obj
        return obj

    def get(self, object_id: str, kind: str | None = None) -> dict:
        obj = self.objects.get(object_id)
        if obj is None or (kind and obj.get("object") != kind):
            raise missing(kind or "object", object_id)
        return obj

    def add_product(self, product_id: str, name: str, **overrides: Any) -> dict:
        return self.store(
            fixture(
                "product",
                id=product_id,
                name=name,
                description=None,
                default_price=None,
                package_dimensions=None,
                type="service",
                created=self.now,
                updated=self.now,
                **overrides,
            )
        )

    def add_price(
        self,
        price_id: str,
        *,
        product: str,
        unit_amount: int,
        interval: str,
        lookup_key: str | None = None,
        **overrides: Any,
    ) -> dict:
        recurring = fixture("price")["recurring"] | {"interval": interval}
        return self.store(
            fixture(
                "price",
                id=price_id,
                product=product,
                unit_amount=unit_amount,
                unit_amount_decimal=str(unit_amount),
                lookup_key=lookup_key,
                recurring=recurring,
                transform_quantity=None,
                created=self.now,
                **overrides,
            )
        )

    def add_customer(self, *, email: str = "", metadata: dict | None = None, **fields: Any) -> dict:
        customer_id = fields.pop("id", None) or self.new_id("cus")
        invoice_settings = fixture("customer")["invoice_settings"]
        return self.store(
            fixture(
                "customer",
                id=customer_id,
                email=email or None,
                name=fields.pop("name", None),
                metadata=metadata or {},
                discount=None,
                default_source=None,
                invoice_settings=invoice_settings,
                created=self.now,
                **fields,
            )
        )

    def add_payment_method(self, *, last4: str = "4242", customer: str | None = None) -> dict:
        card = fixture("payment_method")["card"] | {"last4": last4}
        pm = self.store(
            fixture(
                "payment_method",
                id=self.new_id("pm"),
                card=card,
                customer=customer,
                metadata={},
                created=self.now,
            )
        )
        if customer:
            self._set_default_payment_method(customer, pm["id"])
        return pm

    def _set_default_payment_method(self, customer_id: str, payment_method_id: str) -> None:
        customer = self.get(customer_id, "customer")
        customer["invoice_settings"]["default_payment_method"] = payment_method_id

    def _item(self, subscription_id: str, price: dict, start: int, end: int) -> dict:
        return fixture(
            "subscription_item",
            id=self.new_id("si"),
            subscription=subscription_id,
            price=copy.deepcopy(price),
            plan=None,
            quantity=1,
            created=start,
            current_period_start=start,
            current_period_end=end,
            billing_thresholds=None,
        )

    def add_subscription(
        self,
        *,
        customer: str,
        price: str,
        status: str = "active",
        trial_days: int = 0,
        metadata: dict | None = None,
        default_payment_method: str | None = None,
        created: int | None = None,
        **overrides: Any,
    ) -> dict:
        price_obj = self.get(price, "price")
        start = created or self.now
        end = start + (
            trial_days * DAY if trial_days else INTERVAL_SECONDS[price_obj["recurring"]["interval"]]
        )
        subscription_id = overrides.pop("id", None) or self.new_id("sub")
        items = fixture("subscription")["items"] | {
            "data": [self._item(subscription_id, price_obj, start, end)],
            "url": f"/v1/subscription_items?subscription={subscription_id}",
        }
        sub = fixture(
            "subscription",
            id=subscription_id,
            customer=customer,
            status=status,
            items=items,
            metadata=metadata or {},
            created=start,
            start_date=start,
            billing_cycle_anchor=end if trial_days else start,
            trial_start=start if trial_days else None,
            trial_end=end if trial_days else None,
            cancel_at=None,
            cancel_at_period_end=False,
            canceled_at=None,
            cancellation_details={"comment": None, "feedback": None, "reason": None},
            ended_at=None,
            default_payment_method=default_payment_method,
            latest_invoice=None,
            next_pending_invoice_item_invoice=None,
            pause_collection=None,
            pending_invoice_item_interval=None,
            pending_update=None,
            transfer_data=None,
        )
        sub.update(overrides)
        return self.store(sub)

    def set_subscription(self, subscription_id: str, **fields: Any) -> dict:
        """Change a subscription the way Stripe would between two events."""
        sub = self.get(subscription_id, "subscription")
        sub.update(copy.deepcopy(fields))
        return sub

    def add_invoice(
        self,
        *,
        customer: str,
        subscription: str | None,
        amount: int,
        status: str = "paid",
        **overrides: Any,
    ) -> dict:
        invoice_id = overrides.pop("id", None) or self.new_id("in")
        line = fixture("invoice")["lines"]["data"][0] | {
            "id": self.new_id("il"),
            "invoice": invoice_id,
            "amount": amount,
            "subtotal": amount,
            "description": "Catalytic subscription",
            "period": {"start": self.now, "end": self.now + 30 * DAY},
            "parent": None,
        }
        paid = status == "paid"
        return self.store(
            fixture(
                "invoice",
                id=invoice_id,
                customer=customer,
                subscription=None,
                parent={
                    "type": "subscription_details",
                    "quote_details": None,
                    "subscription_details": {"subscription": subscription, "metadata": {}},
                },
                status=status,
                amount_due=amount,
                amount_paid=amount if paid else 0,
                amount_remaining=0 if paid else amount,
                subtotal=amount,
                total=amount,
                attempted=True,
                attempt_count=1,
                billing_reason="subscription_cycle",
                hosted_invoice_url=f"https://invoice.stripe.com/i/{invoice_id}",
                invoice_pdf=f"https://pay.stripe.com/invoice/{invoice_id}/pdf",
                lines={
                    "object": "list",
                    "data": [line],
                    "has_more": False,
                    "url": f"/v1/invoices/{invoice_id}/lines",
                },
                from_invoice=None,
                last_finalization_error=None,
                shipping_cost=None,
                amount_overpaid=0,
                created=self.now,
                **overrides,
            )
        )

    # --- events ----------------------------------------------------------------

    def event(
        self, event_type: str, obj: dict, *, created: int | None = None, **fields: Any
    ) -> dict:
        """A Stripe event carrying a snapshot of `obj` (as Stripe freezes it when sent)."""
        import stripe

        return fixture(
            "event",
            id=fields.pop("id", None) or self.new_id("evt"),
            type=event_type,
            created=created or int(time.time()),
            api_version=stripe.api_version,
            data={"object": copy.deepcopy(obj)},
            request={"id": None, "idempotency_key": None},
            **fields,
        )

    # --- HTTP dispatch ---------------------------------------------------------------

    def handle(self, method: str, path: str, params: dict, headers: dict) -> tuple[int, dict]:
        with self.lock:
            self.calls.append(Call(method, path, copy.deepcopy(params), headers))
            if self.outage is not None:
                return self.outage.status, self.outage.body
            for index, (fail_method, pattern, error) in enumerate(self.failures):
                if fail_method == method and pattern.match(path):
                    del self.failures[index]
                    return error.status, error.body
            try:
                result = self._route(method, path, params)
            except StripeHTTPError as exc:
                return exc.status, exc.body
            return 200, self._expand(copy.deepcopy(result), params.get("expand") or [])

    def _route(self, method: str, path: str, params: dict) -> dict:
        routes = [
            ("GET", r"/v1/account", lambda: fixture("account", id=ACCOUNT_ID)),
            ("POST", r"/v1/customers", lambda: self._create_customer(params)),
            ("POST", r"/v1/customers/([^/]+)", lambda i: self._update_customer(i, params)),
            ("POST", r"/v1/payment_methods/([^/]+)/attach", lambda i: self._attach(i, params)),
            ("POST", r"/v1/checkout/sessions", lambda: self._create_checkout(params)),
            ("POST", r"/v1/billing_portal/sessions", lambda: self._create_portal(params)),
            ("POST", r"/v1/subscriptions", lambda: self._create_subscription(params)),
            ("POST", r"/v1/subscriptions/([^/]+)", lambda i: self._update_subscription(i, params)),
            ("DELETE", r"/v1/subscriptions/([^/]+)", lambda i: self._cancel_subscription(i)),
            ("POST", r"/v1/products", lambda: self._create_product(params)),
            ("POST", r"/v1/products/([^/]+)", lambda i: self._update(i, "product", params)),
            ("GET", r"/v1/prices", lambda: self._list_prices(params)),
            ("POST", r"/v1/prices", lambda: self._create_price(params)),
            ("POST", r"/v1/prices/([^/]+)", lambda i: self._update(i, "price", params)),
            (
                "GET",
                r"/v1/[a-z_]+/([^/]+)/(?:features|sources|tax_ids)",
                lambda i: self._empty_list(),
            ),
            ("GET", r"/v1/(?:[a-z_]+/)?[a-z_]+/([^/]+)", lambda i: self.get(i)),
        ]
        for route_method, pattern, action in routes:
            match = re.fullmatch(pattern, path)
            if route_method == method and match:
                return action(*match.groups())
        raise StripeHTTPError(404, f"Unrecognized request URL ({method}: {path})")

    def _expand(self, obj: dict, paths: list[str]) -> dict:
        for dotted in paths:
            self._expand_path(obj, dotted.split("."))
        if obj.get("object") == "customer" and "sources" in paths and "sources" not in obj:
            obj["sources"] = self._empty_list()
        return obj

    def _expand_path(self, node: Any, parts: list[str]) -> None:
        if not parts or not isinstance(node, dict):
            return
        head, rest = parts[0], parts[1:]
        if head == "data" and isinstance(node.get("data"), list):
            for item in node["data"]:
                self._expand_path(item, rest)
            return
        value = node.get(head)
        if not rest:
            if isinstance(value, str) and value in self.objects:
                node[head] = copy.deepcopy(self.objects[value])
            return
        self._expand_path(value, rest)

    @staticmethod
    def _empty_list() -> dict:
        return {"object": "list", "data": [], "has_more": False, "url": "/v1/list"}

    def _update(self, object_id: str, kind: str, params: dict) -> dict:
        obj = self.get(object_id, kind)
        metadata = params.pop("metadata", None)
        params.pop("expand", None)
        for key, value in params.items():
            obj[key] = _bool(value) if value in ("true", "false") else value
        if metadata:
            obj["metadata"] = (obj.get("metadata") or {}) | metadata
        return obj

    # customers and payment methods

    def _create_customer(self, params: dict) -> dict:
        return self.add_customer(
            email=params.get("email", ""), name=params.get("name"), metadata=params.get("metadata")
        )

    def _update_customer(self, customer_id: str, params: dict) -> dict:
        customer = self.get(customer_id, "customer")
        settings_ = params.pop("invoice_settings", {}) or {}
        if "default_payment_method" in settings_:
            self.get(settings_["default_payment_method"], "payment_method")
            customer["invoice_settings"]["default_payment_method"] = settings_[
                "default_payment_method"
            ]
        return self._update(customer_id, "customer", params)

    def _attach(self, payment_method_id: str, params: dict) -> dict:
        pm = self.get(payment_method_id, "payment_method")
        customer = params.get("customer")
        self.get(customer, "customer")
        pm["customer"] = customer
        return pm

    # checkout and portal

    def _create_checkout(self, params: dict) -> dict:
        session_id = self.new_id("cs_test")
        for key in ("customer", "success_url", "cancel_url", "line_items"):
            if not params.get(key):
                raise StripeHTTPError(400, f"Missing required param: {key}.", param=key)
        self.get(params["customer"], "customer")
        price = self.get(params["line_items"][0]["price"], "price")
        return self.store(
            fixture(
                "checkout.session",
                id=session_id,
                mode=params.get("mode", "payment"),
                customer=params["customer"],
                client_reference_id=params.get("client_reference_id"),
                metadata=params.get("metadata") or {},
                success_url=params["success_url"],
                cancel_url=params["cancel_url"],
                url=f"https://checkout.stripe.com/c/pay/{session_id}",
                status="open",
                payment_status="unpaid",
                payment_intent=None,
                subscription=None,
                invoice=None,
                setup_intent=None,
                amount_subtotal=price["unit_amount"],
                amount_total=price["unit_amount"],
                currency=price["currency"],
                created=int(time.time()),
                # Not part of the object Stripe returns; kept to complete the session later.
                _request=params,
            )
        )

    def complete_checkout(self, session_id: str, *, last4: str = "4242") -> dict:
        """What the customer paying on Checkout's page makes Stripe do."""
        session = self.get(session_id, "checkout.session")
        request = session.pop("_request", {})
        pm = self.add_payment_method(last4=last4, customer=session["customer"])
        data = request.get("subscription_data") or {}
        trial_days = int(data.get("trial_period_days") or 0)
        if data.get("trial_end"):
            trial_days = max(1, round((int(data["trial_end"]) - self.now) / DAY))
        sub = self.add_subscription(
            customer=session["customer"],
            price=request["line_items"][0]["price"],
            status="trialing" if trial_days else "active",
            trial_days=trial_days,
            metadata=data.get("metadata") or {},
            default_payment_method=pm["id"],
        )
        session.update(status="complete", payment_status="paid", subscription=sub["id"])
        return session

    def _create_portal(self, params: dict) -> dict:
        self.get(params.get("customer", ""), "customer")
        session_id = self.new_id("bps")
        return self.store(
            fixture(
                "billing_portal.session",
                id=session_id,
                customer=params["customer"],
                return_url=params.get("return_url"),
                url=f"https://billing.stripe.com/p/session/{session_id}",
                flow=None,
                livemode=False,
                created=int(time.time()),
            )
        )

    # subscriptions

    def _create_subscription(self, params: dict) -> dict:
        customer = self.get(params.get("customer", ""), "customer")
        items = params.get("items") or []
        if len(items) != 1:
            raise StripeHTTPError(400, "Exactly one item is supported here.", param="items")
        price = self.get(items[0].get("price", ""), "price")
        trial_days = int(params.get("trial_period_days") or 0)
        if params.get("trial_end"):
            trial_days = max(1, round((int(params["trial_end"]) - self.now) / DAY))
        payment_method = (
            params.get("default_payment_method")
            or customer["invoice_settings"]["default_payment_method"]
        )
        if not payment_method and not trial_days:
            raise StripeHTTPError(
                400,
                "This customer has no attached payment source or default payment method.",
                code="resource_missing",
            )
        if payment_method and not trial_days:
            card = self.get(payment_method, "payment_method").get("card") or {}
            if card.get("last4") == DECLINED_LAST4:
                raise StripeHTTPError(
                    402,
                    "Your card was declined.",
                    type="card_error",
                    code="card_declined",
                    decline_code="generic_decline",
                )
        return self.add_subscription(
            customer=customer["id"],
            price=price["id"],
            status="trialing" if trial_days else "active",
            trial_days=trial_days,
            metadata=params.get("metadata") or {},
            default_payment_method=params.get("default_payment_method"),
        )

    def _update_subscription(self, subscription_id: str, params: dict) -> dict:
        sub = self.get(subscription_id, "subscription")
        for item_params in params.pop("items", None) or []:
            price = self.get(item_params.get("price", ""), "price")
            for item in sub["items"]["data"]:
                if item["id"] == item_params.get("id"):
                    item["price"] = copy.deepcopy(price)
        params.pop("proration_behavior", None)
        if "cancel_at_period_end" in params:
            cancel = _bool(params.pop("cancel_at_period_end"))
            sub["cancel_at_period_end"] = cancel
            end = sub["items"]["data"][0]["current_period_end"]
            sub["cancel_at"] = end if cancel else None
            sub["canceled_at"] = int(time.time()) if cancel else None
        return self._update(subscription_id, "subscription", params)

    def _cancel_subscription(self, subscription_id: str) -> dict:
        sub = self.get(subscription_id, "subscription")
        now = int(time.time())
        sub.update(
            status="canceled",
            canceled_at=now,
            ended_at=now,
            cancellation_details={
                "comment": None,
                "feedback": None,
                "reason": "cancellation_requested",
            },
        )
        return sub

    # products and prices

    def _create_product(self, params: dict) -> dict:
        product_id = params.get("id") or self.new_id("prod")
        if product_id in self.objects:
            raise StripeHTTPError(400, f"Product already exists: {product_id}", param="id")
        return self.add_product(
            product_id, params.get("name", ""), metadata=params.get("metadata") or {}
        )

    def _create_price(self, params: dict) -> dict:
        self.get(params.get("product", ""), "product")
        lookup_key = params.get("lookup_key")
        if lookup_key:
            holders = [
                p
                for p in self.objects.values()
                if p.get("object") == "price" and p.get("lookup_key") == lookup_key
            ]
            if holders and not _bool(params.get("transfer_lookup_key")):
                raise StripeHTTPError(
                    400, f"A price with lookup key {lookup_key} exists.", param="lookup_key"
                )
            for holder in holders:
                holder["lookup_key"] = None
        return self.add_price(
            self.new_id("price"),
            product=params["product"],
            unit_amount=int(params["unit_amount"]),
            interval=params["recurring"]["interval"],
            lookup_key=lookup_key,
            currency=params.get("currency", "usd"),
            metadata=params.get("metadata") or {},
        )

    def _list_prices(self, params: dict) -> dict:
        keys = params.get("lookup_keys") or []
        data = [
            copy.deepcopy(p)
            for p in self.objects.values()
            if p.get("object") == "price"
            and (not keys or p.get("lookup_key") in keys)
            and ("active" not in params or p.get("active") == _bool(params["active"]))
        ]
        return {"object": "list", "data": data, "has_more": False, "url": "/v1/prices"}


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """A Stripe-Signature header for `payload`, computed as Stripe does."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"

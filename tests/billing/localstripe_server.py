"""Run localstripe bound to 127.0.0.1 only, keeping its data in memory.

localstripe's own entry point listens on every interface and pickles its store to
/tmp on each write (shared by every run on the machine). The billing tests start
this instead: `python tests/billing/localstripe_server.py --port N`.
"""

from __future__ import annotations

import argparse
import logging

from aiohttp import web
from localstripe import resources
from localstripe.errors import UserError
from localstripe.server import app


def _closer_to_stripe_shapes() -> None:
    """Two gaps between localstripe's objects and Stripe's that dj-stripe trips on.

    - `expand` paths localstripe does not model (dj-stripe asks invoices for
      `discounts`) answer 400 "Bad expand": skip those paths, the fields are absent.
    - `default_tax_rates` is null where Stripe sends an empty list.
    """
    export = resources.StripeObject._export

    def usable_paths(obj, expand):  # type: ignore[no-untyped-def]
        usable = []
        for path in expand or []:
            try:
                export(obj, expand=[path])
            except UserError:
                continue
            usable.append(path)
        return usable

    def stripe_like_export(self, expand=None):  # type: ignore[no-untyped-def]
        try:
            data = export(self, expand=expand)
        except UserError:
            data = export(self, expand=usable_paths(self, expand))
        if isinstance(data, dict) and "default_tax_rates" in data:
            data["default_tax_rates"] = data["default_tax_rates"] or []
        return data

    resources.StripeObject._export = stripe_like_export


def _items_name_their_subscription() -> None:
    """Real Stripe puts `subscription` on each subscription item; dj-stripe needs it."""
    resources.SubscriptionItem.subscription = property(lambda self: self._subscription)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    resources.Store.dump_to_disk = lambda self: None  # in memory only
    _closer_to_stripe_shapes()
    _items_name_their_subscription()
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()

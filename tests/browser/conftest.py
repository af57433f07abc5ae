"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Never `playwright install`: the browser is /usr/bin/chromium (`apt-get install chromium`).
Without it the tests skip, except in CI (CI=true), where a missing browser is a failure.
The browser may reach the live server only; every other request is refused (or, for
Stripe's hosted pages, answered by a stand-in), so nothing calls the internet.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM (fixtures, asserts)
# refuses to run beside one unless told it is safe, which it is: nothing here is async.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    # The browser resolves no name but localhost. Playwright does not route the hop of a
    # redirect (our 303 to Stripe's hosted page): Chromium fetches it itself, and a real
    # lookup on this closed network can stall for seconds (a Checkout redirect timed out
    # once in CI). Refused at once, the hop fails and the error page's reload, a second
    # later, goes through the route below and gets the stand-in page.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
    "--dns-prefetch-disable",
]
STRIPE_HOSTED = re.compile(r"^https://(checkout|billing)\.stripe\.com/")


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: apt-get install chromium"
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run in CI, but {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class Screens:
    """Numbered screenshots of one test: test-artifacts/browser/<test>/<nn>-<step>.png."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def __call__(self, page: Any, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def screens(request: pytest.FixtureRequest) -> Screens:
    return Screens(ARTIFACTS / request.node.name)


def _guard_network(route: Any, live_host: str) -> None:
    """Only the live server is reachable; Stripe's hosted pages get a stand-in page."""
    url = route.request.url
    if urlsplit(url).netloc == live_host:
        route.continue_()
    elif STRIPE_HOSTED.match(url):
        route.fulfill(
            status=200,
            content_type="text/html",
            body="<!doctype html><title>Stripe (fake)</title><h1>Fake Stripe hosted page</h1>",
        )
    else:
        route.abort()


@pytest.fixture
def browser_context(chromium: Any, live_server: Any) -> Iterator[Any]:
    live_host = urlsplit(live_server.url).netloc
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    context.route("**/*", lambda route: _guard_network(route, live_host))
    yield context
    context.close()


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    page = browser_context.new_page()
    # What the browser asked for and when: pytest prints it only when the test fails, so a
    # timeout in CI says which request was slow.
    started = time.monotonic()
    timeline: list[str] = []

    def note(event: str, request: Any) -> None:
        timeline.append(
            f"{time.monotonic() - started:7.2f}s {event} {request.method} {request.url}"
        )

    page.on("request", lambda request: note("request ", request))
    page.on("requestfinished", lambda request: note("finished", request))
    page.on("requestfailed", lambda request: note(f"failed ({request.failure})", request))
    # Destructive forms ask for confirmation (static/js/app.js); a person would say yes.
    page.on("dialog", lambda dialog: dialog.accept())
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type == "error"
            else None
        ),
    )
    yield page
    print("browser timeline:", *timeline, sep="\n")
    # Our pages load no inline script or style (the CSP forbids them) and throw no errors;
    # a violation shows up here as "Refused to ...". Requests we abort on purpose, and pages
    # answered with a 4xx on purpose (a form with errors is a 400), don't count.
    expected = ("net::ERR_FAILED", "the server responded with a status of 4")
    problems = [p for p in problems if not any(text in p for text in expected)]
    assert problems == []


# The billing suite's fake Stripe (tests/billing/fake_stripe.py): Checkout sessions are
# created there; the browser is then sent to their (stand-in) hosted page.
from tests.billing.conftest import (  # noqa: E402, F401
    _fake_stripe_server,
    fake_stripe,
    stripe_account,
    stripe_plans,
    stripe_settings,
)

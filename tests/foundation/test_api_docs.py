"""GET /api/docs/: the browsable API docs, from our own static files, under our CSP."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db

STATIC = "/static/"


class Page(HTMLParser):
    """The resources a page loads, and anything inline that a strict CSP would refuse."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.stylesheets: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self._in_script = True
            if found.get("src"):
                self.scripts.append(found["src"] or "")
            else:
                self.inline.append("<script> without src")
        elif tag == "link" and found.get("rel") in ("stylesheet", "icon"):
            self.stylesheets.append(found.get("href") or "")
        elif tag == "style":
            self.inline.append("<style>")
        if "style" in found:
            self.inline.append(f"style= on <{tag}>")
        self.inline += [f"{name} on <{tag}>" for name in found if name.startswith("on")]

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("script body")


def parsed(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def test_the_docs_page_is_html_that_loads_only_our_own_static_files() -> None:
    response = Client().get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = parsed(response.content.decode())
    assert any("swagger-ui-bundle.js" in src for src in page.scripts)
    for url in page.scripts + page.stylesheets:
        assert url.startswith(STATIC), url  # same origin, no CDN
        assert finders.find(url.removeprefix(STATIC)), f"{url} is not a static file we serve"
    assert page.inline == []


def test_the_docs_page_keeps_the_strict_content_security_policy() -> None:
    response = Client().get("/api/docs/")

    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_the_docs_page_points_at_the_schema() -> None:
    html = Client().get("/api/docs/").content.decode()

    assert 'data-schema-url="/api/schema/"' in html


def test_the_page_footer_links_to_the_docs(plans: Any) -> None:
    html = Client().get("/pricing/").content.decode()

    assert 'href="/api/docs/"' in html


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def content(part: dict) -> dict:
    return part["content"]["application/json"]


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/api/tenants/register", "post", ["201", "409"]),
        ("/api/tenants/login", "post", ["200", "401"]),
        ("/api/lattices", "post", ["201"]),
        ("/api/lattices/{id}", "get", ["200"]),
        ("/api/lattices/{id}/path", "post", ["200", "400"]),
    ],
)
def test_the_schema_has_request_and_response_examples(
    schema: dict, path: str, method: str, statuses: list[str]
) -> None:
    operation = schema["paths"][path][method]
    if "requestBody" in operation:
        assert content(operation["requestBody"]).get("examples"), "no request example"
    for status in statuses:
        assert content(operation["responses"][status]).get("examples"), f"no {status} example"


def test_the_footer_links_a_schema_a_browser_shows(client):
    page = client.get("/login/").content.decode()
    assert 'href="/api/docs/"' in page and 'href="/api/schema.json"' in page
    assert page.index('href="/api/docs/"') < page.index('href="/api/schema.json"')

    browser = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}
    response = client.get("/api/schema.json", **browser)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["openapi"].startswith("3.")

"""Roles checked on the server, CSRF on every form, escaping, headers, closed test hooks."""

from __future__ import annotations

from typing import Any

import pytest

ADMIN_PAGES = [
    "/licenses",
    "/users",
    "/billing",
    "/statistics",
    "/roles",
    "/users/import/result",
    "/users/1/journals",
    "/users/import/template.csv",
    "/licenses/upgrade?from=Eco&to=Pro&holder=user14@acme.example",
]
ADMIN_POSTS = [
    ("/licenses/cart", {"tier": "Eco", "quantity": "1"}),
    ("/licenses/pay", {"line_tier": "Eco", "line_quantity": "1", "accept": "yes"}),
    ("/licenses/remove", {"tier": "Eco", "quantity": "1"}),
    ("/licenses/upgrade", {"from": "Eco", "to": "Pro", "holder": "user14@acme.example"}),
    ("/users/license/assign", {"user_id": "21", "tier": "Eco"}),
    ("/users/license/modify", {"user_id": "5", "tier": "Eco"}),
    ("/users/license/remove", {"user_id": "5"}),
    ("/users/license/transfer", {"from_user_id": "5", "to_user_id": "21"}),
    ("/users/create", {"email": "x@acme.example", "first_name": "X", "last_name": "Y", "role": "admin"}),
    ("/users/update", {"user_id": "3", "first_name": "X", "last_name": "Y", "role": "admin"}),
    ("/users/delete", {"user_id": "1"}),
]


@pytest.fixture
def standard(new_client: Any) -> Any:
    return new_client().login("user03@acme.example")


def test_standard_user_sees_no_admin_menu(standard: Any) -> None:
    page = standard.get("/").text
    assert "My account" in page and 'href="/licenses"' not in page and 'href="/users"' not in page


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_standard_user_gets_403_on_admin_pages(standard: Any, path: str) -> None:
    answer = standard.get(path)
    assert answer.status_code == 403 and "<h1>Not allowed</h1>" in answer.text


def test_standard_user_cannot_change_anything(standard: Any) -> None:
    before = standard.state()
    for path, form in ADMIN_POSTS:
        answer = standard.post(path, form)
        assert answer.status_code == 403, path
    after = standard.state()
    assert after["pool"] == before["pool"] and after["users"] == before["users"] and after["ledger"] == []


def test_anonymous_visitor_is_sent_to_login(client: Any) -> None:
    for path in ADMIN_PAGES + ["/"]:
        assert client.get(path).url.path == "/login", path
    answer = client.post("/licenses/remove", {"tier": "Eco", "quantity": "1"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"


@pytest.mark.parametrize("token", ["", "forged", None])
def test_every_post_needs_the_sessions_csrf_token(admin: Any, token: str | None) -> None:
    before = admin.state()
    for path, form in ADMIN_POSTS:
        data = dict(form) if token is None else {**form, "csrf": token}
        answer = admin.post(path, data, csrf=False)
        assert answer.status_code == 403 and "Form expired" in answer.text, path
    after = admin.state()
    assert (after["pool"], after["users"], after["ledger"]) == (before["pool"], before["users"], [])


def test_csrf_token_of_another_session_is_refused(admin: Any, new_client: Any) -> None:
    other = new_client().login("secops@acme.example")
    answer = admin.post("/licenses/remove", {"tier": "Eco", "quantity": "1", "csrf": other.csrf}, csrf=False)
    assert answer.status_code == 403
    assert admin.state()["pool"]["Eco"]["total"] == 6


def test_login_form_needs_its_csrf_token(client: Any) -> None:
    page = client.get("/login").text
    answer = client.post(
        "/login", {"email": "admin@acme.example", "captcha": client.captcha_of(page)}, csrf=False
    )
    assert answer.status_code == 403 and client.outbox() == []


def test_user_text_is_escaped_everywhere(admin: Any) -> None:
    evil = "<script>alert(1)</script>"
    admin.post(
        "/users/create",
        {"email": "evil@acme.example", "first_name": evil, "last_name": '"><img src=x>', "role": "standard"},
    )
    for path in ("/users", "/statistics"):
        page = admin.get(path).text
        assert "<script>alert" not in page and "<img src=x>" not in page
    users = admin.get("/users").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in users
    journal = admin.get(f"/users/{admin.user_id('evil@acme.example')}/journals").text
    assert "<script>alert" not in journal
    refused = admin.post(
        "/users/create", {"email": "<b>x</b>@evil.example", "first_name": "a", "last_name": "b"}
    )
    assert "<b>x</b>" not in refused.text
    sent = admin.get("/login/sent", params={"email": evil}).text
    assert "<script>alert" not in sent


def test_pages_carry_a_strict_content_security_policy(client: Any) -> None:
    headers = client.get("/login").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    page = client.get("/login").text
    assert "<script>" not in page and "style=" not in page  # nothing inline for the CSP to block


def test_test_hooks_answer_404_without_the_token(client: Any) -> None:
    for method, path in [
        ("GET", "/_test/state"),
        ("GET", "/_test/outbox"),
        ("POST", "/_test/reset"),
        ("POST", "/_test/faults"),
        ("POST", "/_test/dialect"),
        ("POST", "/_test/labels"),
        ("POST", "/_test/expire_sessions"),
        ("GET", "/_test/reset"),
        ("GET", "/_test/nothing"),
    ]:
        for headers in ({}, {"X-Test-Token": "wrong"}):
            assert client.http.request(method, path, headers=headers, json={}).status_code == 404, (
                method,
                path,
            )


def test_test_hooks_are_absent_when_the_portal_has_no_token(make_app: Any, browser_for: Any) -> None:
    browser = browser_for(make_app(test_token=None))
    assert browser.http.get("/_test/state", headers={"X-Test-Token": "unit-token"}).status_code == 404
    assert browser.http.get("/_test/state", headers={"X-Test-Token": ""}).status_code == 404

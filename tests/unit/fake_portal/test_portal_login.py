"""Sign-in: captcha, e-mailed link bound to the browser, SMS code, idle sessions, log out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ADMIN = "admin@acme.example"
SECOPS = "secops@acme.example"


def test_login_page_shows_a_six_digit_captcha_and_the_labels(client: Any) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    digits = client.captcha_of(page.text)
    assert len(digits) == 6 and digits.isdigit()
    for text in (
        "Sign in to Secure Exchanges",
        "Email address",
        "Anti-robot code",
        "New captcha",
        "Log in",
        "Sign in with Microsoft",
    ):
        assert text in page.text


def test_new_captcha_draws_other_digits_and_keeps_the_email(client: Any) -> None:
    first = client.get("/login").text
    page = client.post("/login/captcha", {"email": ADMIN, "csrf": client.csrf_of(first)}, csrf=False)
    assert page.url.path == "/login" and f'value="{ADMIN}"' in page.text
    # 1 chance in a million to draw the same digits again: acceptable.
    assert client.captcha_of(page.text) != client.captcha_of(first)


def test_wrong_captcha_shows_an_error_and_sends_nothing(client: Any) -> None:
    page = client.get("/login").text
    wrong = "".join(str((int(d) + 1) % 10) for d in client.captcha_of(page))
    answer = client.post(
        "/login", {"email": ADMIN, "captcha": wrong, "csrf": client.csrf_of(page)}, csrf=False
    )
    assert client.alerts(answer.text) == ["The anti-robot code is incorrect."]
    assert client.outbox() == []


def test_a_captcha_is_good_for_one_try_only(client: Any) -> None:
    page = client.get("/login").text
    digits, csrf = client.captcha_of(page), client.csrf_of(page)
    client.post(
        "/login",
        {"email": ADMIN, "captcha": "000000" if digits != "000000" else "111111", "csrf": csrf},
        csrf=False,
    )
    again = client.post("/login", {"email": ADMIN, "captcha": digits, "csrf": csrf}, csrf=False)
    assert client.alerts(again.text) == ["The anti-robot code is incorrect."]
    assert client.outbox() == []


def test_valid_submit_mails_a_link_titled_use_secure_exchanges_online(client: Any) -> None:
    answer = client.request_link(ADMIN)
    assert answer.url.path == "/login/sent" and "Check your email" in answer.text
    [mail] = client.outbox()
    assert mail["to"] == ADMIN and mail["kind"] == "email" and mail["code"] is None
    assert mail["link"].startswith("http://testserver/login/link/")
    assert "Use Secure Exchanges online" in client.get("/outbox").text


def test_unknown_email_gets_the_same_page_and_no_mail(client: Any) -> None:
    answer = client.request_link("nobody@acme.example")
    assert answer.url.path == "/login/sent" and "Check your email" in answer.text
    assert client.outbox() == []


def test_link_logs_in_only_the_browser_that_asked(client: Any, new_client: Callable[[], Any]) -> None:
    client.request_link(ADMIN)
    link = client.outbox()[-1]["link"]
    other = new_client()
    denied = other.get(link)
    assert denied.status_code == 403
    assert "Access validation in progress…" in denied.text
    assert other.alerts(denied.text) == ["Access denied. Error 2."]
    assert other.get("/").url.path == "/login"
    # The refusal does not burn the link: the right browser still gets in.
    assert client.get(link).url.path == "/"


def test_link_is_single_use_and_expires(client: Any, clock: Any) -> None:
    client.request_link(ADMIN)
    link = client.outbox()[-1]["link"]
    assert client.get(link).url.path == "/"
    again = client.get(link)
    assert again.status_code == 403 and client.alerts(again.text) == [
        "This link has expired or was already used."
    ]
    client.request_link(ADMIN)
    clock.advance(15 * 60 + 1)
    late = client.get(client.outbox()[-1]["link"])
    assert client.alerts(late.text) == ["This link has expired or was already used."]


def test_two_factor_user_enters_the_sms_code(client: Any) -> None:
    client.request_link(SECOPS)
    page = client.get(client.outbox()[-1]["link"])
    assert page.url.path == "/login/code" and "SMS verification code" in page.text
    [sms] = [m for m in client.outbox() if m["kind"] == "sms"]
    assert sms["to"] == SECOPS and len(sms["code"]) == 6 and sms["code"] in sms["body"]
    # Not signed in until the code is right.
    assert client.get("/licenses").url.path == "/login/code"
    wrong = "000000" if sms["code"] != "000000" else "111111"
    answer = client.post("/login/code", {"code": wrong, "csrf": client.csrf_of(page.text)}, csrf=False)
    assert client.alerts(answer.text) == ["The verification code is incorrect."]
    assert len(client.outbox()) == 2  # the link and one SMS: a wrong code sends nothing
    done = client.post("/login/code", {"code": sms["code"], "csrf": client.csrf_of(page.text)}, csrf=False)
    assert done.url.path == "/" and "My account" in done.text
    assert client.state()["audit"][-1] == {**client.state()["audit"][-1], "actor": SECOPS, "action": "login"}


def test_login_is_audited(admin: Any) -> None:
    [entry] = admin.state()["audit"]
    assert (entry["actor"], entry["action"], entry["target"]) == (ADMIN, "login", ADMIN)


def test_idle_session_expires_after_the_default_30_minutes(admin: Any, clock: Any) -> None:
    clock.advance(29 * 60)
    assert admin.get("/licenses").url.path == "/licenses"  # activity resets the idle timer
    clock.advance(29 * 60)
    assert admin.get("/licenses").url.path == "/licenses"
    clock.advance(30 * 60 + 1)
    page = admin.get("/licenses")
    assert page.url.path == "/login" and page.url.query == b"expired=1"
    assert admin.alerts(page.text) == ["Your session has expired. Please log in again."]


def test_session_ttl_is_settable_at_start(make_app: Callable[..., Any], browser_for: Any, clock: Any) -> None:
    admin = browser_for(make_app(session_ttl_s=60)).login()
    clock.advance(61)
    assert admin.get("/").url.query == b"expired=1"


def test_expire_sessions_hook_expires_everyone_now(admin: Any) -> None:
    assert admin.hook("/_test/expire_sessions", {}).json()["expired"] == 1
    assert admin.get("/users").url.query == b"expired=1"


def test_expired_session_refuses_a_post_without_change(admin: Any, clock: Any) -> None:
    before = admin.state()["pool"]
    clock.advance(31 * 60)
    answer = admin.post("/licenses/remove", {"tier": "Eco", "quantity": "1"})
    assert answer.url.path == "/login"
    assert admin.state()["pool"] == before


def test_log_out_ends_the_session(admin: Any) -> None:
    page = admin.post("/logout")
    assert page.url.path == "/login" and admin.statuses(page.text) == ["You are signed out."]
    assert admin.get("/").url.path == "/login"


def test_cookies_are_httponly_and_samesite_lax(client: Any) -> None:
    first = client.http.get("/login")
    assert _flags_ok(first.headers["set-cookie"], "se_client")
    submit = client.post(
        "/login",
        {"email": ADMIN, "captcha": client.captcha_of(first.text), "csrf": client.csrf_of(first.text)},
        csrf=False,
        follow_redirects=False,
    )
    assert _flags_ok(submit.headers["set-cookie"], "se_login")
    link = client.get(client.outbox()[-1]["link"], follow_redirects=False)
    assert _flags_ok(link.headers["set-cookie"], "se_session")


def _flags_ok(cookie: str, name: str) -> bool:
    return cookie.startswith(name + "=") and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_outbox_page_filters_by_recipient_and_keeps_the_newest(client: Any) -> None:
    client.request_link(SECOPS)
    client.get(client.outbox()[-1]["link"])  # sends the SMS
    client.request_link(ADMIN)
    page = client.get("/outbox", params={"to": SECOPS, "latest": "1"}).text
    assert page.count('data-testid="message"') == 1 and 'data-kind="sms"' in page
    code = [m["code"] for m in client.outbox() if m["kind"] == "sms"][0]
    assert f'<code data-testid="message-code">{code}</code>' in page
    assert client.get("/outbox").text.count('data-testid="message"') == 3

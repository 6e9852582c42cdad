"""Fixtures for HTTP-level tests of the fake portal: an app on a temp database with a clock the test
controls, and a client that signs in through the real flow (captcha, outbox link, SMS code)."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

TOKEN = "unit-token"
HOOKS = {"X-Test-Token": TOKEN}
# 2026-01-10 12:00 UTC: 22 days left in a 31-day month, so proration has a known value.
START = datetime(2026, 1, 10, 12, 0, tzinfo=UTC).timestamp()


def pytest_configure(config: pytest.Config) -> None:
    # Starlette 1.x nags that TestClient should use httpx2; the plain httpx client works the same here.
    config.addinivalue_line("filterwarnings", "ignore:Using `httpx` with `starlette.testclient`")


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def captcha_of(html: str) -> str:
    match = re.search(r'aria-label="Captcha ?: ([0-9 ]+)"', html)  # "Captcha : …" in fr-ca
    assert match, "no captcha on the page"
    return match.group(1).replace(" ", "")


def _texts(html: str, role: str) -> list[str]:
    """The text of each paragraph inside the flash boxes of one role."""
    boxes = re.findall(rf'role="{role}"[^>]*>(.*?)</div>', html, re.S)
    return [
        html_lib.unescape(" ".join(p.split()))
        for box in boxes
        for p in re.findall(r"<p>(.*?)</p>", box, re.S)
    ]


_open_clients: list[PortalClient] = []


class PortalClient:
    """A TestClient that behaves like one browser (its own cookie jar)."""

    csrf_of = staticmethod(csrf_of)
    captcha_of = staticmethod(captcha_of)

    @staticmethod
    def alerts(html: str) -> list[str]:
        return _texts(html, "alert")

    @staticmethod
    def statuses(html: str) -> list[str]:
        return _texts(html, "status")

    def __init__(self, app: Any) -> None:
        from starlette.testclient import TestClient

        # Entered once: one event-loop thread for all of this browser's requests, not one per request.
        self.http = TestClient(app).__enter__()
        self.csrf = ""
        _open_clients.append(self)

    def close(self) -> None:
        self.http.__exit__(None, None, None)

    def get(self, path: str, **kw: Any) -> Any:
        return self.http.get(path, **kw)

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kw: Any) -> Any:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf", self.csrf)
        return self.http.post(path, data=form, **kw)

    # --- test hooks -------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        response = self.http.get("/_test/state", headers=HOOKS)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def outbox(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.http.get("/_test/outbox", headers=HOOKS).json()
        return result

    def hook(self, path: str, body: dict[str, Any]) -> Any:
        return self.http.post(path, json=body, headers=HOOKS)

    def hook_get(self, path: str) -> Any:
        return self.http.get(path, headers=HOOKS)

    # --- sign-in ----------------------------------------------------------------------------
    def request_link(self, email: str) -> Any:
        page = self.get("/login")  # fr-ca answers from /Connexion.aspx, and its form posts there
        form = {"email": email, "captcha": captcha_of(page.text), "csrf": csrf_of(page.text)}
        return self.post(page.url.path, form)

    def login(self, email: str = "admin@acme.example") -> PortalClient:
        self.request_link(email)
        link = [m["link"] for m in self.outbox() if m["to"] == email and m["link"]][-1]
        page = self.get(link)
        if page.url.path == "/login/code":
            code = [m["code"] for m in self.outbox() if m["to"] == email and m["kind"] == "sms"][-1]
            page = self.post("/login/code", {"code": code, "csrf": csrf_of(page.text)})
        assert page.url.path == "/", page.url
        self.csrf = csrf_of(page.text)
        return self

    def user(self, email: str) -> dict[str, Any]:
        return next(u for u in self.state()["users"] if u["email"] == email)

    def user_id(self, email: str) -> int:
        page = self.get("/users").text
        match = re.search(r'data-user-id="(\d+)" data-email="' + re.escape(email) + '"', page)
        assert match, f"{email} is not on the user page"
        return int(match.group(1))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_app(tmp_path: Path, clock: FakeClock) -> Iterator[Callable[..., Any]]:
    from fake_portal.app import create_app
    from fake_portal.config import PortalConfig

    apps: list[Any] = []

    def make(**overrides: Any) -> Any:
        settings: dict[str, Any] = {"db_path": str(tmp_path / f"portal{len(apps)}.db"), "test_token": TOKEN}
        settings.update(overrides)
        app = create_app(PortalConfig(**settings), clock=clock)
        apps.append(app)
        return app

    yield make
    while _open_clients:
        _open_clients.pop().close()
    for app in apps:
        app.state.portal.close()


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Any:
    return make_app()


@pytest.fixture
def client(app: Any) -> PortalClient:
    """Not signed in."""
    return PortalClient(app)


@pytest.fixture
def admin(app: Any) -> PortalClient:
    return PortalClient(app).login("admin@acme.example")


@pytest.fixture
def browser_for() -> type[PortalClient]:
    """PortalClient(app): a browser on a portal the test made itself."""
    return PortalClient


@pytest.fixture
def new_client(app: Any) -> Callable[[], PortalClient]:
    """Another browser on the same portal."""
    return lambda: PortalClient(app)


# --- fr-ca -------------------------------------------------------------------------------------
PROVIDER_URL = "http://127.0.0.1:8471"  # no socket in these tests: the provider app is called directly


@pytest.fixture
def fr_app(make_app: Callable[..., Any]) -> Any:
    app = make_app(dialect="fr-ca")
    app.state.portal.use_provider(PROVIDER_URL)
    return app


@pytest.fixture
def fr_admin(fr_app: Any) -> PortalClient:
    return PortalClient(fr_app).login("admin@acme.example")


@pytest.fixture
def provider(fr_app: Any) -> Iterator[Any]:
    """The payment provider's app, as the browser reaches it on its own origin."""
    from starlette.testclient import TestClient

    with TestClient(fr_app.state.provider, base_url=PROVIDER_URL) as http:
        yield http

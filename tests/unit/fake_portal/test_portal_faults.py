"""Injected faults: 500 before any change, lost responses after the commit, maintenance, latency,
path prefixes, session TTL, reproducible randomness; never on /_test, /outbox, /static."""

from __future__ import annotations

import time
from typing import Any

import pytest

from fake_portal.config import FaultSettings, SettingsError


def faults(admin: Any, **settings: Any) -> Any:
    answer = admin.hook("/_test/faults", settings)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_error_rate_answers_500_before_any_change(admin: Any) -> None:
    faults(admin, error_rate=1.0)
    answer = admin.post("/licenses/remove", {"tier": "Eco", "quantity": "1"})
    assert answer.status_code == 500 and "Something went wrong" in answer.text
    assert admin.state()["pool"]["Eco"]["total"] == 6
    assert admin.get("/licenses").status_code == 200  # GETs are not failed


def test_lost_response_commits_then_answers_502(admin: Any) -> None:
    faults(admin, lost_response_rate=1.0)
    answer = admin.post("/licenses/remove", {"tier": "Eco", "quantity": "1"})
    assert answer.status_code == 502 and "Bad gateway" in answer.text
    state = admin.state()
    assert state["pool"]["Eco"]["total"] == 5 and state["ledger"][-1]["kind"] == "removal"


def test_lost_payment_still_charges(admin: Any) -> None:
    faults(admin, lost_response_rate=1.0)
    admin.post("/licenses/pay", {"line_tier": "Pro", "line_quantity": "1", "accept": "yes"})
    assert [e["kind"] for e in admin.state()["ledger"]] == ["purchase"]


def test_maintenance_answers_503_except_hooks_outbox_and_static(admin: Any) -> None:
    faults(admin, maintenance=True)
    for path in ("/", "/licenses", "/login"):
        answer = admin.get(path)
        assert answer.status_code == 503 and "Maintenance in progress" in answer.text
        assert answer.headers["retry-after"] == "60"
    assert admin.get("/outbox").status_code == 200
    assert admin.get("/static/portal.css").status_code == 200
    assert admin.state()["pool"]
    faults(admin)  # {} clears
    assert admin.get("/licenses").status_code == 200


def test_faults_limited_to_path_prefixes(admin: Any) -> None:
    faults(admin, error_rate=1.0, maintenance=False, paths=["/users"])
    assert admin.post("/licenses/cart", {"tier": "Eco", "quantity": "1"}).status_code == 200
    answer = admin.post("/users/license/remove", {"user_id": admin.user_id("user07@acme.example")})
    assert answer.status_code == 500
    assert admin.user("user07@acme.example")["license"] == "Advanced"


def test_latency_delays_matching_requests(admin: Any) -> None:
    faults(admin, latency_ms=120, jitter_ms=30, paths=["/licenses"])
    began = time.perf_counter()
    admin.get("/licenses")
    slow = time.perf_counter() - began
    began = time.perf_counter()
    admin.get("/users")
    fast = time.perf_counter() - began
    assert 0.12 <= slow < 1.0 and fast < 0.1


def test_session_ttl_fault_expires_idle_sessions(admin: Any, clock: Any) -> None:
    faults(admin, session_ttl_s=5)
    clock.advance(6)
    assert admin.get("/").url.query == b"expired=1"


def test_fault_seed_makes_failures_reproducible(admin: Any) -> None:
    def run() -> list[int]:
        faults(admin, error_rate=0.5, seed=42)
        return [admin.post("/licenses/cart", {"tier": "Eco", "quantity": "1"}).status_code for _ in range(12)]

    first, second = run(), run()
    assert first == second and 500 in first and 200 in first


@pytest.mark.parametrize(
    "body",
    [
        {"error_rate": 2},
        {"latency_ms": -1},
        {"paths": ["users"]},
        {"nope": 1},
        {"maintenance": "yes"},
        {"session_ttl_s": 0},
    ],
)
def test_invalid_fault_settings_are_refused(admin: Any, body: dict[str, Any]) -> None:
    assert admin.hook("/_test/faults", body).status_code == 400


def test_faults_given_at_start(make_app: Any, browser_for: Any) -> None:
    app = make_app(faults=FaultSettings(maintenance=True, paths=("/licenses",)))
    browser = browser_for(app)
    assert browser.get("/login").status_code == 200
    browser.login()
    assert browser.get("/licenses").status_code == 503


def test_fault_settings_parsing() -> None:
    parsed = FaultSettings.from_mapping({"paths": "/users,/licenses", "latency_ms": 5})
    assert parsed.paths == ("/users", "/licenses") and parsed.applies_to("/users/1/journals")
    assert not parsed.applies_to("/billing") and not FaultSettings().applies_to("/_test/state")
    with pytest.raises(SettingsError):
        FaultSettings.from_mapping({"lost_response_rate": -0.1})


def test_served_faults_are_counted_until_the_faults_change(admin: Any) -> None:
    faults(admin, error_rate=1.0, paths=["/licenses"])
    for _ in range(3):
        assert admin.post("/licenses/cart", {"tier": "Eco", "quantity": "1"}).status_code == 500
    admin.get("/licenses")  # a GET is never failed
    assert admin.hook_get("/_test/faults").json()["injected"] == {"server_error": 3}
    faults(admin)
    assert admin.hook_get("/_test/faults").json()["injected"] == {}

"""The /_test/* JSON contract, seeds and label dialects."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fake_portal.labels import LABELS, Labels, label_table
from fake_portal.seeds import parse_seed


def test_state_has_the_contracted_shape(admin: Any) -> None:
    admin.post("/licenses/pay", {"line_tier": "Eco", "line_quantity": "1", "accept": "yes"})
    state = admin.state()
    assert set(state) == {"users", "pool", "ledger", "monthly_bill", "audit"}
    assert state["users"][0] == {
        "email": "admin@acme.example",
        "role": "admin",
        "license": None,
        "two_factor": False,
    }
    assert {"email": "secops@acme.example", "role": "admin", "license": None, "two_factor": True} in state[
        "users"
    ]
    assert set(state["pool"]) == {"Eco", "Advanced", "Pro"}
    [entry] = state["ledger"]
    assert set(entry) == {"id", "at", "kind", "tier", "quantity", "amount"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["at"])
    assert set(state["audit"][0]) == {"at", "actor", "action", "target", "detail"}
    assert state["monthly_bill"] == 389.0


def test_outbox_has_the_contracted_shape(admin: Any) -> None:
    [mail] = admin.outbox()
    assert set(mail) == {"to", "kind", "subject", "body", "link", "code", "at"}
    assert (
        admin.http.get(
            "/_test/outbox", params={"to": "nobody@x"}, headers={"X-Test-Token": "unit-token"}
        ).json()
        == []
    )


def test_demo_seed_is_the_documented_one(admin: Any) -> None:
    state = admin.state()
    tiers = {u["email"]: u["license"] for u in state["users"]}
    assert [tiers[f"user{i:02d}@acme.example"] for i in range(1, 21)] == (
        ["Pro"] * 6 + ["Advanced"] * 7 + ["Eco"] * 5 + [None] * 2
    )
    assert tiers["user03@acme.example"] == "Pro"
    assert state["pool"] == {
        "Eco": {"total": 6, "assigned": 5, "available": 1},
        "Advanced": {"total": 8, "assigned": 7, "available": 1},
        "Pro": {"total": 6, "assigned": 6, "available": 0},
    }
    assert state["monthly_bill"] == 380.0 and state["ledger"] == []


def test_reset_to_each_seed(admin: Any) -> None:
    assert admin.hook("/_test/reset", {"seed": "bulk:12"}).status_code == 200
    state = admin.state()
    assert len(state["users"]) == 13 and state["pool"]["Pro"] == {"total": 12, "assigned": 12, "available": 0}
    assert state["pool"]["Eco"]["total"] == 0 and "user12@acme.example" in {
        u["email"] for u in state["users"]
    }
    admin.hook("/_test/reset", {"seed": "bulk:150"})
    assert "user001@acme.example" in {u["email"] for u in admin.state()["users"]}
    admin.hook("/_test/reset", {"seed": "empty"})
    state = admin.state()
    assert [u["email"] for u in state["users"]] == ["admin@acme.example"] and state["monthly_bill"] == 0
    assert state["audit"] == [] and admin.outbox() == []
    # A reset ends every session.
    assert admin.get("/").url.query == b"expired=1"


@pytest.mark.parametrize("seed", ["bulk:0", "bulk:x", "bulk", "nope", "demo:1"])
def test_unknown_seeds_are_refused(admin: Any, seed: str) -> None:
    assert admin.hook("/_test/reset", {"seed": seed}).status_code == 400
    with pytest.raises(ValueError):
        parse_seed(seed)


def test_dialect_switch_changes_the_labels(admin: Any) -> None:
    page = admin.get("/licenses").text
    assert "Management of licenses and Purchases" in page and "Proceed to checkout" in page
    assert admin.hook("/_test/dialect", {"dialect": "2024"}).status_code == 200
    page = admin.get("/licenses").text
    assert "License and Purchase Management" in page and "Validate my purchases" in page
    assert "Number of Eco licenses available: 1" in page and "Modify the quantity of this license" in page
    users = admin.get("/users").text
    assert "Management of users" in users and "Manage Licence" in users and "Delete the User" in users
    assert admin.hook("/_test/dialect", {"dialect": "1999"}).status_code == 400


def test_dialect_given_at_start(make_app: Any, browser_for: Any) -> None:
    admin = browser_for(make_app(dialect="2024")).login()
    assert "Proceed to purchase" in admin.get("/licenses").text


def test_label_overrides_rename_one_label(admin: Any) -> None:
    assert admin.hook("/_test/labels", {"overrides": {"menu_users": "People"}}).status_code == 200
    page = admin.get("/users").text
    assert "<h1>People</h1>" in page and "User Management" not in page
    assert (
        admin.http.get("/_test/labels", headers={"X-Test-Token": "unit-token"}).json()["labels"]["menu_users"]
        == "People"
    )
    assert admin.hook("/_test/labels", {"overrides": {"no_such_label": "x"}}).status_code == 400
    admin.hook("/_test/labels", {"overrides": {}})
    assert "User Management" in admin.get("/users").text


def test_label_table_has_both_dialects_for_every_key() -> None:
    new, old = label_table("2026"), label_table("2024")
    assert set(new) == set(old) == set(LABELS)
    differing = {k for k in LABELS if new[k] != old[k]}
    assert differing == {
        "menu_licenses",
        "menu_users",
        "account_license_details",
        "lic_checkout",
        "lic_pay",
        "lic_available_count",
        "lic_change_quantity",
        "lic_remove_button",
        "users_manage_license",
        "ml_remove",
        "ml_transfer",
        "edit_delete",
    }
    assert Labels("2024")("lic_available_count", tier="Pro", n=2) == "Number of Pro licenses available: 2"
    # An overridden text naming an unknown field shows it as written instead of failing.
    assert Labels("2026", {"lic_add": "Add {what}"})("lic_add", tier="Eco") == "Add {what}"

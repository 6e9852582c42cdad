"""The license page: catalogue, summary, checkout and payment, the purchased-licenses table,
upgrade with proration, removal from the pool."""

from __future__ import annotations

import re
from typing import Any

import pytest

ADMIN = "admin@acme.example"


def pay(admin: Any, lines: list[tuple[str, int]], accept: bool = True) -> Any:
    form: dict[str, Any] = {"line_tier": [t for t, _ in lines], "line_quantity": [str(q) for _, q in lines]}
    if accept:
        form["accept"] = "yes"
    return admin.post("/licenses/pay", form)


def test_catalogue_lists_three_packages_with_prices(admin: Any) -> None:
    page = admin.get("/licenses").text
    for tier, price in (("Eco", "9.00"), ("Advanced", "19.00"), ("Pro", "29.00")):
        assert f"{price} CAD / license / month" in page
        assert f'aria-label="Quantity of {tier} licenses"' not in page  # a real <label>, not aria-label
        assert f">Quantity of {tier} licenses</label>" in page
    assert page.count('min="1" max="100" value="1"') == 3


def test_add_and_remove_summary_lines(admin: Any) -> None:
    page = admin.post("/licenses/cart", {"tier": "Eco", "quantity": "2"})
    assert "Eco × 2 — 18.00 CAD / month" in page.text
    admin.post("/licenses/cart", {"tier": "Pro", "quantity": "1"})
    page = admin.get("/licenses").text
    assert "Total: 47.00 CAD / month" in page
    line_id = re.findall(r'name="line_id" value="(\d+)"', page)[0]
    page = admin.post("/licenses/cart/remove", {"line_id": line_id}).text
    assert "Eco × 2" not in page and "Pro × 1 — 29.00 CAD / month" in page
    # Nothing is bought by adding lines.
    assert admin.state()["ledger"] == []


@pytest.mark.parametrize("quantity", ["0", "101", "-3", "two", ""])
def test_quantity_must_be_1_to_100(admin: Any, quantity: str) -> None:
    page = admin.post("/licenses/cart", {"tier": "Eco", "quantity": quantity})
    assert admin.alerts(page.text) == ["The quantity must be a whole number from 1 to 100."]
    assert 'data-testid="summary-line"' not in page.text


def test_checkout_is_disabled_while_the_summary_is_empty(admin: Any) -> None:
    page = admin.get("/licenses").text
    assert re.search(r'data-testid="checkout" disabled', page)
    page = admin.post("/licenses/cart", {"tier": "Eco", "quantity": "1"}).text
    assert not re.search(r'data-testid="checkout" disabled', page)
    assert "I accept that these licenses will be added to my account" in page


def test_payment_adds_licenses_charges_the_card_and_is_audited(admin: Any) -> None:
    admin.post("/licenses/cart", {"tier": "Eco", "quantity": "3"})
    page = pay(admin, [("Eco", 3), ("Pro", 1)])
    assert admin.statuses(page.text) == [
        "Payment accepted: 3 Eco license(s) added.",
        "Payment accepted: 1 Pro license(s) added.",
    ]
    state = admin.state()
    assert state["pool"]["Eco"] == {"total": 9, "assigned": 5, "available": 4}
    assert state["pool"]["Pro"] == {"total": 7, "assigned": 6, "available": 1}
    assert [(e["kind"], e["tier"], e["quantity"], e["amount"]) for e in state["ledger"]] == [
        ("purchase", "Eco", 3, 27.0),
        ("purchase", "Pro", 1, 29.0),
    ]
    assert state["monthly_bill"] == 380 + 27 + 29
    assert [a["action"] for a in state["audit"]][-2:] == ["purchase", "purchase"]
    assert 'data-testid="summary-line"' not in admin.get("/licenses").text  # the summary is emptied


def test_payment_needs_the_acceptance_checkbox(admin: Any) -> None:
    page = pay(admin, [("Eco", 1)], accept=False)
    assert admin.alerts(page.text) == [
        "Accept that the licenses will be added to your account before paying."
    ]
    assert admin.state()["ledger"] == []


def test_paying_nothing_is_refused(admin: Any) -> None:
    page = admin.post("/licenses/pay", {"accept": "yes"})
    assert admin.alerts(page.text) == ["There is nothing to pay."]


def test_a_double_submitted_payment_buys_twice(admin: Any) -> None:
    admin.post("/licenses/cart", {"tier": "Advanced", "quantity": "2"})
    pay(admin, [("Advanced", 2)])
    pay(admin, [("Advanced", 2)])  # the same form, sent again
    state = admin.state()
    assert [e["kind"] for e in state["ledger"]] == ["purchase", "purchase"]
    assert state["pool"]["Advanced"]["total"] == 8 + 4
    assert state["monthly_bill"] == 380 + 4 * 19


def test_purchased_table_has_counts_as_buttons(admin: Any) -> None:
    page = admin.get("/licenses").text
    assert 'aria-label="Assigned Eco licenses: 5"' in page
    assert 'aria-label="Available Eco licenses: 1"' in page
    assert re.search(r'aria-label="Available Pro licenses: 0"\s*disabled', page)
    assert re.search(r'aria-label="Assigned Pro licenses: 6"\s*disabled', page)  # nothing above Pro


def test_remove_free_licenses_from_the_pool(admin: Any) -> None:
    pay(admin, [("Eco", 3)])
    page = admin.post("/licenses/remove", {"tier": "Eco", "quantity": "2"})
    assert admin.statuses(page.text) == ["2 Eco license(s) removed."]
    state = admin.state()
    assert state["pool"]["Eco"] == {"total": 7, "assigned": 5, "available": 2}
    assert state["ledger"][-1] == {
        **state["ledger"][-1],
        "kind": "removal",
        "tier": "Eco",
        "quantity": 2,
        "amount": 0.0,
    }
    assert state["monthly_bill"] == 380 + 27 - 18
    assert state["audit"][-1]["action"] == "remove_pool_licenses"


def test_removing_more_than_available_is_refused(admin: Any) -> None:
    page = admin.post("/licenses/remove", {"tier": "Eco", "quantity": "2"})
    assert admin.alerts(page.text) == [
        "Only 1 Eco license(s) are available; assigned licenses cannot be removed."
    ]
    assert admin.state()["pool"]["Eco"]["total"] == 6


def test_assigned_licenses_can_never_be_removed(admin: Any) -> None:
    page = admin.post("/licenses/remove", {"tier": "Pro", "quantity": "1"})
    assert admin.alerts(page.text) == [
        "Only 0 Pro license(s) are available; assigned licenses cannot be removed."
    ]
    admin.post("/licenses/remove", {"tier": "Advanced", "quantity": "1"})
    state = admin.state()
    assert state["pool"]["Advanced"] == {"total": 7, "assigned": 7, "available": 0}
    assert state["pool"]["Pro"] == {"total": 6, "assigned": 6, "available": 0}
    assert sum(1 for u in state["users"] if u["license"]) == 18
    page = admin.post("/licenses/remove", {"tier": "Advanced", "quantity": "1"})
    assert admin.alerts(page.text) == [
        "Only 0 Advanced license(s) are available; assigned licenses cannot be removed."
    ]


@pytest.mark.parametrize("quantity", ["0", "-1", "x"])
def test_removal_quantity_must_be_at_least_one(admin: Any, quantity: str) -> None:
    page = admin.post("/licenses/remove", {"tier": "Eco", "quantity": quantity})
    assert admin.alerts(page.text) == [
        "The number of licenses to remove must be a whole number of at least 1."
    ]


def test_upgrade_window_lists_holders_and_only_higher_tiers(admin: Any) -> None:
    page = admin.get("/licenses").text
    eco = page.split('id="upgrade-Eco"')[1].split("</dialog>")[0]
    assert eco.count('name="holder"') == 5 and "user14@acme.example" in eco
    assert re.findall(r'<option value="(\w+)">', eco) == ["Advanced", "Pro"]
    advanced = page.split('id="upgrade-Advanced"')[1].split("</dialog>")[0]
    assert re.findall(r'<option value="(\w+)">', advanced) == ["Pro"]
    assert 'id="upgrade-Pro"' not in page


def test_upgrade_quote_is_prorated_to_the_end_of_the_month(admin: Any) -> None:
    # 2026-01-10: 22 of 31 days left. (29 - 9) x 2 x 22 / 31 = 28.387 -> 28.39
    page = admin.get(
        "/licenses/upgrade",
        params=[
            ("from", "Eco"),
            ("to", "Pro"),
            ("holder", "user14@acme.example"),
            ("holder", "user15@acme.example"),
        ],
    ).text
    assert "Upgrade payment" in page and "data-open-on-load" in page
    assert "Amount due now: 28.39 CAD" in page
    assert "Renewal amount: 58.00 CAD / month" in page
    assert admin.state()["ledger"] == []  # a quote changes nothing


def test_upgrade_converts_the_license_and_charges_the_prorated_amount(admin: Any) -> None:
    page = admin.post(
        "/licenses/upgrade",
        {"from": "Eco", "to": "Pro", "holder": ["user14@acme.example", "user15@acme.example"]},
    )
    assert admin.statuses(page.text) == ["2 license(s) upgraded from Eco to Pro; 28.39 CAD charged."]
    state = admin.state()
    assert state["pool"]["Eco"] == {"total": 4, "assigned": 3, "available": 1}  # converted, not left behind
    assert state["pool"]["Pro"] == {"total": 8, "assigned": 8, "available": 0}
    assert admin.user("user14@acme.example")["license"] == "Pro"
    assert state["ledger"][-1] == {
        **state["ledger"][-1],
        "kind": "upgrade",
        "tier": "Pro",
        "quantity": 2,
        "amount": 28.39,
    }
    assert state["monthly_bill"] == 380 + 2 * 20
    assert [a["action"] for a in state["audit"][-2:]] == ["upgrade", "upgrade"]


def test_upgrade_refusals(admin: Any) -> None:
    cases = [
        (
            {"from": "Advanced", "to": "Eco", "holder": "user07@acme.example"},
            "Eco is not a higher tier than Advanced.",
        ),
        (
            {"from": "Eco", "to": "Pro", "holder": "user07@acme.example"},
            "user07@acme.example does not hold a Eco license.",
        ),
        ({"from": "Eco", "to": "Pro"}, "Select at least one user to upgrade."),
    ]
    for form, message in cases:
        assert admin.alerts(admin.post("/licenses/upgrade", form).text) == [message]
    assert admin.state()["ledger"] == []


def test_bill_page_shows_the_monthly_bill_and_the_ledger(admin: Any) -> None:
    pay(admin, [("Eco", 1)])
    page = admin.get("/billing").text
    assert "Current monthly bill: 389.00 CAD" in page
    assert "Ledger" in page and "Purchase" in page and "9.00 CAD" in page

"""The fake portal driven by hand-written Playwright steps, as a person would: sign in through the
captcha and the outbox link, then the demo downgrade (user03 Pro -> Eco) in both label dialects."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from fake_portal.testing import PortalServer

pytestmark = pytest.mark.e2e

ADMIN = "admin@acme.example"
SECOPS = "secops@acme.example"
USER = "user03@acme.example"

# The labels these steps click, per dialect (docs/portal-ui.md).
LABELS = {
    "2026": {
        "licenses": "Management of licenses and Purchases",
        "users": "User Management",
        "checkout": "Proceed to checkout",
        "pay": "Pay",
        "manage": "Manage License",
        "available_pro": "Available Pro licenses: 1",
        "change_quantity": "Change the quantity of license",
        "remove": "Remove license",
    },
    "2024": {
        "licenses": "License and Purchase Management",
        "users": "Management of users",
        "checkout": "Validate my purchases",
        "pay": "Proceed to purchase",
        "manage": "Manage Licence",
        "available_pro": "Number of Pro licenses available: 1",
        "change_quantity": "Modify the quantity of this license",
        "remove": "Remove these licenses",
    },
}


@pytest.fixture(autouse=True)
def _fail_fast(page: Page) -> None:
    page.set_default_timeout(10_000)


def request_link(page: Page, portal: PortalServer, email: str) -> None:
    page.goto(portal.url + "/login")
    page.get_by_label("Email address").fill(email)
    digits = page.get_by_test_id("captcha-digits").inner_text()
    page.get_by_label("Anti-robot code").fill(digits)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()


def open_newest_link(page: Page, portal: PortalServer, email: str) -> None:
    """Opens the mail catcher in the same browser and clicks the newest sign-in link for `email`."""
    page.goto(portal.url + "/outbox")
    row = (
        page.get_by_role("row")
        .filter(has=page.get_by_role("rowheader", name=email, exact=True))
        .filter(has=page.get_by_role("link", name="Use Secure Exchanges online"))
        .first
    )
    row.get_by_role("link", name="Use Secure Exchanges online").click()


@pytest.mark.parametrize("portal", ["2026", "2024"], indirect=True)
def test_downgrade_user03_from_pro_to_eco_by_hand(
    page: Page, portal: PortalServer, shoot: Callable[[str], Any]
) -> None:
    label = LABELS[portal.config.dialect]
    before = portal.state()

    # Step 1: sign in and open the license page from the main menu.
    request_link(page, portal, ADMIN)
    shoot("check-your-email")
    open_newest_link(page, portal, ADMIN)
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    shoot("signed-in")
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name=label["licenses"]).click()
    expect(page.get_by_role("heading", level=1, name=label["licenses"])).to_be_visible()
    shoot("license-page")

    # Step 2: buy one Eco license.
    packages = page.get_by_role("table", name="Packages")
    packages.get_by_role("spinbutton", name="Quantity of Eco licenses").fill("1")
    packages.get_by_role("row", name=re.compile(r"^Eco\b")).get_by_role("button", name="Add").click()
    expect(page.get_by_role("region", name="Purchase summary")).to_contain_text("Eco × 1")
    shoot("eco-in-summary")
    page.get_by_role("button", name=label["checkout"]).click()
    checkout = page.get_by_role("dialog", name="Confirm your purchase")
    checkout.get_by_label("I accept that these licenses will be added to my account").check()
    shoot("checkout")
    checkout.get_by_role("button", name=label["pay"], exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Payment accepted: 1 Eco license(s) added.")
    shoot("paid")

    # Step 3: Options > user page > the user's license control.
    page.get_by_role("button", name="Options").click()
    page.get_by_role("menuitem", name=label["users"]).click()
    expect(page.get_by_role("heading", level=1, name=label["users"])).to_be_visible()
    page.get_by_role("row", name=re.compile(rf"^{re.escape(USER)}\b")).get_by_role(
        "button", name=label["manage"]
    ).click()
    manage = page.get_by_role("dialog", name=f"Manage license of {USER}")
    expect(manage).to_contain_text("Current license: Pro")
    shoot("manage-license")

    # Step 4: pick the new license and save.
    manage.get_by_role("button", name="Modify License").click()
    manage.get_by_label("New license").select_option("Eco")
    shoot("new-license-chosen")
    manage.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text(f"{USER} now holds a Eco license.")
    shoot("user-on-eco")

    # Step 5: delete the old, now unused Pro license.
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name=label["licenses"]).click()
    page.get_by_role("button", name=label["available_pro"]).click()
    pool_window = page.get_by_role("dialog", name="Manage Pro licenses")
    pool_window.get_by_role("button", name=label["change_quantity"]).click()
    pool_window.get_by_role("spinbutton", name="Number of licenses to remove").fill("1")
    pool_window.get_by_role("button", name=label["remove"]).click()
    confirm = page.get_by_role("alertdialog", name="Confirm removal")
    expect(confirm).to_contain_text("Removal is permanent")
    shoot("confirm-removal")
    confirm.get_by_role("button", name="Confirm removal").click()
    expect(page.get_by_role("status")).to_have_text("1 Pro license(s) removed.")
    shoot("old-license-removed")

    after = portal.state()
    assert next(u for u in after["users"] if u["email"] == USER)["license"] == "Eco"
    assert after["pool"]["Pro"] == {
        "total": before["pool"]["Pro"]["total"] - 1,
        "assigned": 5,
        "available": 0,
    }
    assert after["monthly_bill"] == before["monthly_bill"] - (29 - 9)
    assert [e["kind"] for e in after["ledger"]] == ["purchase", "removal"]


def test_link_opened_in_another_browser_gets_error_2(
    page: Page, browser: Browser, portal: PortalServer, shoot: Callable[[str], Any]
) -> None:
    request_link(page, portal, ADMIN)
    link = portal.login_link(ADMIN)
    other = browser.new_context()
    try:
        stranger = other.new_page()
        stranger.goto(link)
        expect(stranger.get_by_role("heading", name="Access validation in progress…")).to_be_visible()
        expect(stranger.get_by_role("alert")).to_have_text("Access denied. Error 2.")
        shoot("other-browser-error-2", of=stranger)
    finally:
        other.close()
    # The browser that asked still gets in with the same link.
    page.goto(link)
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    shoot("asking-browser-signed-in")


def test_two_factor_login_with_the_sms_code(
    page: Page, portal: PortalServer, shoot: Callable[[str], Any]
) -> None:
    request_link(page, portal, SECOPS)
    open_newest_link(page, portal, SECOPS)
    expect(page.get_by_role("heading", name="Verification code")).to_be_visible()
    shoot("code-page")
    page.goto(portal.url + "/outbox")
    sms = page.get_by_role("row").filter(has_text="verification code is").first.inner_text()
    code = re.search(r"code is (\d{6})", sms)
    assert code, sms
    page.go_back()
    page.get_by_label("SMS verification code").fill("000000" if code.group(1) != "000000" else "111111")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_have_text("The verification code is incorrect.")
    page.get_by_label("SMS verification code").fill(code.group(1))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    expect(page.get_by_test_id("signed-in-user")).to_have_text(SECOPS)
    shoot("signed-in")


def sign_in(page: Page, portal: PortalServer, email: str = ADMIN) -> None:
    request_link(page, portal, email)
    open_newest_link(page, portal, email)
    expect(page.get_by_role("heading", name="My account")).to_be_visible()


def test_other_windows_work_in_the_browser(
    page: Page, portal: PortalServer, shoot: Callable[..., Any], tmp_path: Any
) -> None:
    sign_in(page, portal)

    # The Options menu by keyboard.
    page.get_by_role("button", name="Options").focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="Management of licenses and Purchases")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("menu", name="Options")).to_be_hidden()
    expect(page.get_by_role("button", name="Options")).to_have_attribute("aria-expanded", "false")

    # Upgrade one Eco holder to Advanced: quote window, then pay.
    page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Management of licenses and Purchases"
    ).click()
    page.get_by_role("button", name="Assigned Eco licenses: 5").click()
    upgrade = page.get_by_role("dialog", name="Upgrade Eco licenses")
    upgrade.get_by_label("user14@acme.example").check()
    upgrade.get_by_label("Upgrade to").select_option("Advanced")
    upgrade.get_by_role("button", name="Upgrade").click()
    payment = page.get_by_role("dialog", name="Upgrade payment")
    expect(payment).to_contain_text("Amount due now:")
    shoot("upgrade-payment")
    payment.get_by_role("button", name="Pay").click()
    expect(page.get_by_role("status")).to_contain_text("1 license(s) upgraded from Eco to Advanced")

    # Removing more than available is refused by the server with an alert.
    page.get_by_role("button", name="Available Eco licenses: 1").click()
    window = page.get_by_role("dialog", name="Manage Eco licenses")
    window.get_by_role("button", name="Change the quantity of license").click()
    window.get_by_role("spinbutton", name="Number of licenses to remove").fill("3")
    window.get_by_role("button", name="Remove license").click()
    page.get_by_role("alertdialog", name="Confirm removal").get_by_role(
        "button", name="Confirm removal"
    ).click()
    expect(page.get_by_role("alert")).to_have_text(
        "Only 1 Eco license(s) are available; assigned licenses cannot be removed."
    )

    # Assign to a user without license, then transfer a license to the other one.
    page.get_by_role("button", name="Options").click()
    page.get_by_role("menuitem", name="User Management").click()
    page.get_by_role("row", name=re.compile(r"^user19@acme\.example\b")).get_by_role(
        "button", name="Manage License"
    ).click()
    manage = page.get_by_role("dialog", name="Manage license of user19@acme.example")
    manage.get_by_label("License", exact=True).select_option("Eco")
    manage.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("user19@acme.example now holds a Eco license.")
    page.get_by_role("row", name=re.compile(r"^user01@acme\.example\b")).get_by_role(
        "button", name="Manage License"
    ).click()
    manage = page.get_by_role("dialog", name="Manage license of user01@acme.example")
    manage.get_by_role("button", name="Transfer license").click()
    manage.get_by_role("listitem").filter(has_text="user20@acme.example").get_by_role(
        "button", name="Transfer"
    ).click()
    expect(page.get_by_role("status")).to_have_text(
        "License transferred from user01@acme.example to user20@acme.example."
    )

    # Edit a user, then delete another from the edit window.
    page.get_by_role("row", name=re.compile(r"^user05@acme\.example\b")).get_by_role(
        "button", name="Edit user"
    ).click()
    edit = page.get_by_role("dialog", name="Edit user user05@acme.example")
    expect(edit.get_by_label("First name")).to_have_value("Emma")
    edit.get_by_label("Role").select_option("Administrator")
    edit.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("User user05@acme.example updated.")
    page.get_by_role("row", name=re.compile(r"^user02@acme\.example\b")).get_by_role(
        "button", name="Edit user"
    ).click()
    page.get_by_role("dialog", name="Edit user user02@acme.example").get_by_role(
        "button", name="Delete user"
    ).click()
    page.get_by_role("alertdialog", name="Delete user").get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("status")).to_have_text("User user02@acme.example deleted.")

    # Import users from a CSV file.
    csv = tmp_path / "users.csv"
    csv.write_text(
        "email,first_name,last_name,role\nnew@acme.example,New,One,standard\nx@evil.example,X,Y,standard\n"
    )
    page.get_by_role("button", name="Import users").click()
    importer = page.get_by_role("dialog", name="Import users")
    importer.get_by_label("CSV file").set_input_files(str(csv))
    importer.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", name="Import report")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("1 added, 1 refused.")
    shoot("import-report")

    state = portal.state()
    licenses = {u["email"]: u["license"] for u in state["users"]}
    assert licenses["user14@acme.example"] == "Advanced" and licenses["user19@acme.example"] == "Eco"
    assert licenses["user20@acme.example"] == "Pro" and licenses["user01@acme.example"] is None
    assert "user02@acme.example" not in licenses and licenses["new@acme.example"] is None
    assert state["pool"]["Pro"] == {"total": 6, "assigned": 5, "available": 1}  # user02's license came back

"""The pattern site checked by hand with raw Playwright: each page does what its ground truth says.

These test the site, not the engine: the engine's pattern tests rely on every behaviour here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from patterns_server import PatternSite
from playwright.sync_api import Dialog, Page, expect

pytestmark = pytest.mark.e2e

NBSP, NNBSP = "\u00a0", "\u202f"
CARD = "4242 4242 4242 4242"


def answer_dialogs(page: Page, accept: bool) -> list[tuple[str, str]]:
    """Accept (or dismiss) every dialog from now on; returns the list of (type, message) seen."""
    seen: list[tuple[str, str]] = []

    def handle(dialog: Dialog) -> None:
        seen.append((dialog.type, dialog.message))
        dialog.accept() if accept else dialog.dismiss()

    page.on("dialog", handle)
    return seen


def row_of(page: Page, table_name: str, header: str) -> Any:
    return (
        page.get_by_role("table", name=table_name)
        .get_by_role("row")
        .filter(has=page.get_by_role("rowheader", name=header, exact=True))
    )


# 1. licenses -----------------------------------------------------------------------------------


def test_licenses_delete_confirms_then_alerts(page: Page, fresh_site: PatternSite) -> None:
    page.goto(fresh_site.url + "/licenses")
    pro = row_of(page, "Licenses", "Pro")
    expect(pro.get_by_role("cell")).to_have_text(["3", "4", "Delete one Pro license"])
    seen = answer_dialogs(page, accept=True)

    pro.get_by_role("button", name="Delete one Pro license").click()

    expect(page.get_by_role("status")).to_have_text("1 Pro license deleted.")
    assert page.url == fresh_site.url + "/licenses?deleted=Pro"
    assert seen == [("confirm", "Delete one Pro license for good?"), ("alert", "1 Pro license deleted.")]
    state = fresh_site.state()
    assert state["deleted"] == ["Pro"]
    assert state["licenses"]["Pro"] == {"available": 2, "assigned": 4}
    expect(row_of(page, "Licenses", "Pro").get_by_role("link").first).to_have_text("2")


def test_licenses_bare_number_link_by_column(page: Page, fresh_site: PatternSite) -> None:
    page.goto(fresh_site.url + "/licenses")
    # Only the column tells the two links apart: Assigned is the 3rd column (2nd data cell).
    row_of(page, "Licenses", "Pro").get_by_role("cell").nth(1).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Assigned Pro licenses: 4")
    assert fresh_site.state()["clicked"] == [{"page": "licenses", "tier": "Pro", "column": "Assigned"}]


# 2-4. dialogs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "status", "archived"), [(True, "Report archived.", 1), (False, "Archive cancelled.", 0)]
)
def test_archive_timer_confirm(
    page: Page, fresh_site: PatternSite, accept: bool, status: str, archived: int
) -> None:
    page.goto(fresh_site.url + "/archive")
    seen = answer_dialogs(page, accept=accept)
    page.get_by_role("button", name="Archive the report").click()
    expect(page.get_by_role("status")).to_have_text(status)
    assert seen == [("confirm", "Archive the report?")]
    assert fresh_site.state()["archived"] == archived


def test_reset_dismissed_confirm_posts_nothing(page: Page, fresh_site: PatternSite) -> None:
    page.goto(fresh_site.url + "/reset")
    button = page.get_by_role("button", name="Reset statistics")
    # No dialog handler: Playwright dismisses the confirm, so the form is not posted.
    button.click()
    expect(page.get_by_role("status")).to_have_text("")
    assert page.url == fresh_site.url + "/reset"
    # Now accept one: the count is 1, so the dismissed click never posted (even late).
    seen = answer_dialogs(page, accept=True)
    button.click()
    expect(page.get_by_role("status")).to_have_text("Statistics reset.")
    assert seen == [("confirm", "Reset all statistics?")]
    assert fresh_site.state()["resets"] == 1


def test_draft_beforeunload_after_an_edit(page: Page, fresh_site: PatternSite) -> None:
    page.goto(fresh_site.url + "/draft")
    page.get_by_label("Draft").click()
    page.keyboard.type("Hello")
    seen: list[str] = []

    def stay(dialog: Dialog) -> None:
        seen.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", stay)
    page.get_by_role("link", name="Leave").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draft")
    assert seen == ["beforeunload"]

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("link", name="Leave").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")


def test_draft_save_posts_without_a_dialog(page: Page, fresh_site: PatternSite) -> None:
    page.goto(fresh_site.url + "/draft")
    seen = answer_dialogs(page, accept=False)
    page.get_by_label("Draft").click()
    page.keyboard.type("Hello")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_have_text("Draft saved.")
    assert seen == []
    state = fresh_site.state()
    assert (state["draft_saved"], state["draft"]) == (1, "Hello")


# 5. payment in a cross-origin frame --------------------------------------------------------------


def pay(frame: Any, number: str, expiry: str = "12/30") -> None:
    frame.get_by_label("Card number").fill(number)
    frame.get_by_label("Expiry").fill(expiry)
    frame.get_by_role("button", name="Pay 29.00 $").click()


def assert_paid_once(page: Page, site: PatternSite) -> None:
    expect(page.get_by_role("status")).to_have_text("Payment accepted: 29.00 $")
    assert page.url.startswith(site.url + "/paid")
    state = site.state()
    assert state["payments"] == [{"amount": "29.00", "last4": "4242"}]
    digits = CARD.replace(" ", "")
    for text in (json.dumps(state), page.content()):
        assert digits not in text and CARD not in text


def test_checkout_pays_in_the_cross_origin_frame(page: Page, fresh_site: PatternSite) -> None:
    assert fresh_site.provider_url.startswith("http://localhost:")
    page.goto(fresh_site.url + "/checkout")
    expect(page.get_by_text("Total: 29.00 $")).to_be_visible()
    frame_src = page.get_by_title("Payment").get_attribute("src") or ""
    assert frame_src.startswith(fresh_site.provider_url + "/card?")
    with page.expect_request(lambda r: r.method == "POST" and r.url == fresh_site.url + "/paid") as sent:
        pay(page.frame_locator('iframe[title="Payment"]'), CARD)
    assert_paid_once(page, fresh_site)
    # The token is good once: replayed, it is refused and nothing more is recorded.
    token = sent.value.post_data or ""
    assert token.startswith("token=") and CARD.replace(" ", "") not in token
    replay = page.request.post(
        fresh_site.url + "/paid", headers={"Content-Type": "application/x-www-form-urlencoded"}, data=token
    )
    assert replay.status == 400
    state = fresh_site.state()
    assert (len(state["payments"]), state["rejected_tokens"]) == (1, 1)


def test_checkout_nested_frames(page: Page, fresh_site: PatternSite) -> None:
    page.goto(fresh_site.url + "/checkout-nested")
    wallet = page.frame_locator('iframe[title="Wallet"]')
    expect(wallet.get_by_role("heading", name="Wallet")).to_be_visible()
    pay(wallet.frame_locator('iframe[title="Payment"]'), CARD)
    assert_paid_once(page, fresh_site)


@pytest.mark.parametrize(
    ("number", "error"),
    [("4000 0000 0000 0002", "Card declined."), ("4242 4242 4242 4241", "Invalid card number.")],
)
def test_checkout_refused_card(page: Page, fresh_site: PatternSite, number: str, error: str) -> None:
    page.goto(fresh_site.url + "/checkout")
    frame = page.frame_locator('iframe[title="Payment"]')
    pay(frame, number)
    expect(frame.get_by_role("alert")).to_have_text(error)
    assert page.url == fresh_site.url + "/checkout"
    assert fresh_site.state()["payments"] == []


def test_paid_refuses_a_forged_token(page: Page, fresh_site: PatternSite) -> None:
    answer = page.request.post(fresh_site.url + "/paid", form={"token": "forged.0000"}, max_redirects=0)
    assert answer.status == 400
    state = fresh_site.state()
    assert (state["payments"], state["rejected_tokens"]) == ([], 1)


# 6. new tab, download, popup ---------------------------------------------------------------------


def test_invoice_opens_in_a_new_tab(page: Page, fresh_site: PatternSite) -> None:
    page.goto(fresh_site.url + "/invoices")
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="View invoice").click()
    tab = opened.value
    expect(tab.get_by_role("heading", level=1)).to_have_text("Invoice 2026-11")
    expect(tab.get_by_test_id("invoice-total")).to_have_text(f"1{NBSP}450,00{NBSP}$")
    assert fresh_site.state()["invoice_views"] == 1


def test_invoice_csv_downloads(page: Page, fresh_site: PatternSite) -> None:
    page.goto(fresh_site.url + "/invoices")
    with page.expect_download() as started:
        page.get_by_role("link", name="Download invoice CSV").click()
    download = started.value
    assert download.suggested_filename == "invoice-2026-11.csv"
    assert Path(download.path()).read_text().splitlines()[0] == "Item,Quantity,Amount"
    assert fresh_site.state()["downloads"] == 1


def test_help_opens_a_popup(page: Page, fresh_site: PatternSite) -> None:
    page.goto(fresh_site.url + "/invoices")
    with page.expect_popup() as opened:
        page.get_by_role("button", name="Open help").click()
    expect(opened.value.get_by_role("heading", level=1)).to_have_text("Help")
    assert fresh_site.state()["help_views"] == 1


# 7. amounts --------------------------------------------------------------------------------------


def test_bill_formats_and_lowering(page: Page, fresh_site: PatternSite) -> None:
    page.goto(fresh_site.url + "/bill")
    exact = {
        "amount-fr-nbsp": f"1{NBSP}450,00{NBSP}$",
        "amount-fr-nnbsp": f"1{NNBSP}450,00{NNBSP}$",
        "amount-en": "$1,450.00",
        "credit-minus": f"\u221229,00{NBSP}$",
        "credit-hyphen": f"-29,00{NBSP}$",
        "credit-accounting": "($29.00)",
        "amount-plain": "29.00",
        "monthly": "$1,450.00",
    }
    for testid, text in exact.items():
        assert page.get_by_test_id(testid).text_content() == text, testid

    page.get_by_role("button", name="Lower the bill").click()
    expect(page.get_by_test_id("monthly")).to_have_text("$1,421.00")
    assert fresh_site.state()["bill"] == "1421.00"

    page.goto(fresh_site.url + "/bill?lang=fr")
    assert page.locator("html").get_attribute("lang") == "fr-CA"
    page.get_by_role("button", name="Réduire la facture").click()
    expect(page.get_by_test_id("monthly")).to_have_text(f"1{NBSP}392,00{NBSP}$")
    monthly_line = f"Facture mensuelle{NBSP}: 1{NBSP}392,00{NBSP}$"
    expect(page.get_by_text("Facture mensuelle")).to_have_text(monthly_line)
    assert page.get_by_test_id("monthly").text_content() == f"1{NBSP}392,00{NBSP}$"
    assert fresh_site.state()["bill"] == "1392.00"


# 8. paging ---------------------------------------------------------------------------------------


def test_users_paged_to_page_three(page: Page, fresh_site: PatternSite) -> None:
    page.goto(fresh_site.url + "/users")
    expect(page.get_by_text("Page 1 of 3")).to_be_visible()
    expect(page.get_by_role("link", name="Previous")).to_have_count(0)
    wanted = page.get_by_role("rowheader", name="user47@x.test", exact=True)
    pages = 1
    while wanted.count() == 0:
        page.get_by_role("link", name="Next").click()
        pages += 1
        expect(page.get_by_text(f"Page {pages} of 3")).to_be_visible()
    assert pages == 3
    expect(page.get_by_role("link", name="Next")).to_have_count(0)
    expect(page.get_by_role("link", name="Previous")).to_be_visible()
    row_of(page, "Users", "user47@x.test").get_by_role("button", name="Select").click()
    expect(page.get_by_role("status")).to_have_text("Selected user47@x.test.")
    assert fresh_site.state()["selected"] == ["user47@x.test"]


# 9. ARIA grid ------------------------------------------------------------------------------------


def test_grid_bare_number_button(page: Page, fresh_site: PatternSite) -> None:
    page.goto(fresh_site.url + "/grid")
    grid = page.get_by_role("grid", name="Pool")
    headers = grid.get_by_role("columnheader")
    expect(headers).to_have_text(["Tier", "Available", "Assigned"])
    row = grid.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Pro", exact=True))
    row.get_by_role("gridcell").nth(1).get_by_role("button").click()  # the Assigned column
    expect(page.get_by_role("status")).to_have_text("Clicked Pro Assigned.")
    assert fresh_site.state()["clicked"] == [{"page": "grid", "tier": "Pro", "column": "Assigned"}]


# 10. wrapping label, details/summary -------------------------------------------------------------


def test_form_wrapping_label_and_details_menu(page: Page, fresh_site: PatternSite) -> None:
    page.goto(fresh_site.url + "/form")
    page.get_by_label("Action").select_option("Delete")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status")).to_have_text("Applied: Delete.")
    assert fresh_site.state()["applied"] == ["Delete"]

    export = page.get_by_role("link", name="Export")
    expect(page.get_by_text("Export")).to_be_hidden()
    page.get_by_text("Options").click()
    expect(export).to_be_visible()
    export.click()
    expect(page.get_by_text("Export ready.")).to_be_visible()
    assert fresh_site.state()["exported"] == 1


# 11. session expiry ------------------------------------------------------------------------------


def test_expired_session_redirects_to_login_and_back(page: Page, fresh_site: PatternSite) -> None:
    page.goto(fresh_site.url + "/")
    page.get_by_role("button", name="End the session").click()
    expect(page).to_have_url(fresh_site.url + "/Login.aspx?ReturnUrl=%2F")
    assert fresh_site.state()["session_expired"] is True

    page.goto(fresh_site.url + "/users?page=2")
    expect(page).to_have_url(fresh_site.url + "/Login.aspx?ReturnUrl=%2Fusers%3Fpage%3D2")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("alert")).to_have_text("Your session has expired. Please sign in again.")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(fresh_site.url + "/users?page=2")
    expect(page.get_by_text("Page 2 of 3")).to_be_visible()
    state = fresh_site.state()
    assert (state["session_expired"], state["logins"]) == (False, 1)


def test_reset_restores_the_start_state(fresh_site: PatternSite) -> None:
    fresh_site.expire()
    assert fresh_site.state()["session_expired"] is True
    fresh_site.reset()
    state = fresh_site.state()
    assert state["session_expired"] is False
    assert state["bill"] == "1450.00"
    assert state["licenses"] == {
        "Eco": {"available": 2, "assigned": 5},
        "Advanced": {"available": 1, "assigned": 3},
        "Pro": {"available": 3, "assigned": 4},
    }

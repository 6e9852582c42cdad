"""fr-ca checkout: the card form of a stand-in payment provider, on another origin, in an iframe.
The provider checks the card; the portal redeems its signed approval once and buys exactly like "Pay"."""

from __future__ import annotations

import base64
import html
import json
import re
import socket
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from babel.numbers import format_currency

from fake_portal.provider import card_digits, expiry_problem, luhn_ok
from fake_portal.testing import PortalProcess, PortalServer

PROVIDER_URL = "http://127.0.0.1:8471"  # the `provider` fixture's origin (conftest.py)

CARD = "4012 8888 8888 1881"  # Luhn-valid, distinctive digits to look for afterwards
DECLINED = "4000 0000 0000 0002"
COMPLETE = "/licenses/pay/complete"


def cad(amount: float) -> str:
    return format_currency(amount, "CAD", locale="fr_CA")


def checkout_page(admin: Any, lines: list[tuple[str, int]]) -> str:
    for tier, quantity in lines:
        admin.post("/licenses/cart", {"tier": tier, "quantity": str(quantity)})
    return str(admin.get("/licenses").text)


def frame_src(page: str) -> str:
    match = re.search(r'<iframe id="payment-frame"[^>]*data-src="([^"]+)"', page)
    assert match, "no payment frame on the page"
    return html.unescape(match.group(1))


def open_form(provider: Any, src: str) -> Any:
    parts = urlsplit(src)
    assert f"{parts.scheme}://{parts.netloc}" == PROVIDER_URL
    return provider.get(f"{parts.path}?{parts.query}")


def submit_card(provider: Any, form_page: str, number: str, expiry: str = "12/30") -> Any:
    order = re.search(r'name="commande" value="([^"]+)"', form_page)
    assert order
    return provider.post(
        "/paiement", data={"commande": order.group(1), "numero": number, "expiration": expiry}
    )


def approval_of(page: str) -> str:
    match = re.search(r'name="payment_token" value="([^"]+)"', page)
    assert match, "the provider did not approve"
    return match.group(1)


def pay(admin: Any, provider: Any, lines: list[tuple[str, int]], number: str = CARD) -> tuple[str, Any]:
    """Checkout through the provider up to its approval; returns the approval and the approved page."""
    form = open_form(provider, frame_src(checkout_page(admin, lines)))
    approved = submit_card(provider, form.text, number)
    return approval_of(approved.text), approved


def alert_in(page: str) -> list[str]:
    return re.findall(r'role="alert"[^>]*>([^<]*)<', page)


# --- the checkout window -------------------------------------------------------------------------


def test_checkout_window_frames_the_provider_once_accepted(fr_admin: Any) -> None:
    response = fr_admin.post("/licenses/cart", {"tier": "Eco", "quantity": "1"})
    page = response.text
    assert ">Valider mes achats</button>" in page
    dialog = page.split('<dialog id="checkout-dialog"')[1].split("</dialog>")[0]
    assert '<h2 id="checkout-h">Confirmez votre achat</h2>' in dialog
    assert f"Éco × 1 — {cad(9)} / mois" in dialog and f"Total : {cad(9)} / mois" in dialog
    assert '<input type="checkbox" id="accept" data-shows="payment-frame" data-testid="accept">' in dialog
    assert ">J’accepte que ces licences soient ajoutées à mon compte</label>" in dialog
    frame = re.search(r"<iframe[^>]*>", dialog)
    assert frame and 'title="Paiement sécurisé"' in frame.group(0)
    assert " hidden " in frame.group(0) and " src=" not in frame.group(0)  # blank until accepted
    assert frame_src(page).startswith(PROVIDER_URL + "/paiement?commande=")
    assert f"frame-src {PROVIDER_URL}" in response.headers["content-security-policy"]
    assert 'action="/licenses/pay"' not in dialog and "carte au dossier" not in dialog.lower()


def test_no_frame_while_the_summary_is_empty(fr_admin: Any) -> None:
    page = fr_admin.get("/licenses")
    assert "<iframe" not in page.text and "frame-src" not in page.headers["content-security-policy"]


def test_the_provider_form_has_its_own_look_and_the_amount(fr_admin: Any, provider: Any) -> None:
    form = open_form(provider, frame_src(checkout_page(fr_admin, [("Pro", 1)])))
    assert form.status_code == 200 and '<html lang="fr-CA">' in form.text
    assert "Paiements Démo" in form.text and "/static/provider.css" in form.text
    assert "Marchand : Secure Exchanges" in form.text and f"Montant : {cad(29)}" in form.text
    assert '<label for="numero">Numéro de carte</label>' in form.text
    assert '<label for="expiration">Expiration (MM/AA)</label>' in form.text
    assert f'data-testid="provider-pay">Payer {cad(29)}</button>' in form.text
    # Framed by the portal only; it may send the browser back to the portal only.
    policy = form.headers["content-security-policy"]
    assert (
        "frame-ancestors http://testserver;" in policy and "form-action 'self' http://testserver;" in policy
    )
    assert "x-frame-options" not in form.headers
    assert provider.get("/static/provider.css").status_code == 200
    assert provider.get("/static/portal.js").status_code == 404  # not the portal's files


# --- paying ---------------------------------------------------------------------------------------


def test_an_accepted_card_buys_like_pay(fr_admin: Any, provider: Any) -> None:
    token, approved = pay(fr_admin, provider, [("Eco", 3), ("Pro", 1)])
    assert "Paiement approuvé" in approved.text and "Carte se terminant par 1881." in approved.text
    assert re.search(
        rf'<form id="return-to-merchant" method="post" action="http://testserver{COMPLETE}" target="_top">',
        approved.text,
    )
    assert '<script src="/static/provider-return.js"></script>' in approved.text
    assert fr_admin.state()["ledger"] == []  # nothing is bought until the portal redeems the approval
    done = fr_admin.post(COMPLETE, {"payment_token": token}, csrf=False)
    assert done.url.path == "/licenses"
    assert fr_admin.statuses(done.text) == [
        "Paiement accepté : 3 licence(s) Éco ajoutée(s).",
        "Paiement accepté : 1 licence(s) Pro ajoutée(s).",
    ]
    state = fr_admin.state()
    assert [(e["kind"], e["tier"], e["quantity"], e["amount"]) for e in state["ledger"]] == [
        ("purchase", "Eco", 3, 27.0),
        ("purchase", "Pro", 1, 29.0),
    ]
    assert state["pool"]["Eco"] == {"total": 9, "assigned": 5, "available": 4}
    assert state["monthly_bill"] == 380 + 27 + 29
    assert [a["action"] for a in state["audit"]][-2:] == ["purchase", "purchase"]
    assert 'data-testid="summary-line"' not in done.text  # the summary is emptied
    [payment] = fr_admin.hook_get("/_test/payments").json()["payments"]
    assert payment["amount"] == 56.0 and payment["card_last4"] == "1881"


def test_a_declined_card_buys_nothing(fr_admin: Any, provider: Any) -> None:
    form = open_form(provider, frame_src(checkout_page(fr_admin, [("Eco", 1)])))
    declined = submit_card(provider, form.text, DECLINED)
    assert alert_in(declined.text) == ["Carte refusée par l’émetteur."]
    assert "payment_token" not in declined.text
    assert 'value="12/30"' in declined.text  # the expiry is kept for the next try...
    number = re.search(r'<input id="numero"[^>]*>', declined.text)
    assert number and "value=" not in number.group(0)  # ...the card number never is
    assert fr_admin.state()["ledger"] == []
    # The same form accepts another card afterwards.
    assert approval_of(submit_card(provider, declined.text, "4242424242424242").text)


@pytest.mark.parametrize(
    ("number", "expiry", "error"),
    [
        ("4242 4242 4242 4241", "12/30", "Numéro de carte invalide."),  # Luhn fails
        ("1234", "12/30", "Numéro de carte invalide."),
        ("4242-4242-4242-4242x", "12/30", "Numéro de carte invalide."),
        ("", "12/30", "Numéro de carte invalide."),
        ("4242 4242 4242 4242", "13/30", "Date d’expiration invalide : utilisez le format MM/AA."),
        ("4242 4242 4242 4242", "1230", "Date d’expiration invalide : utilisez le format MM/AA."),
        ("4242 4242 4242 4242", "12/25", "Cette carte est expirée."),  # the clock is 2026-01-10
    ],
)
def test_the_provider_checks_the_card(
    fr_admin: Any, provider: Any, number: str, expiry: str, error: str
) -> None:
    form = open_form(provider, frame_src(checkout_page(fr_admin, [("Eco", 1)])))
    answer = submit_card(provider, form.text, number, expiry)
    assert alert_in(answer.text) == [error] and "payment_token" not in answer.text


def test_card_rules() -> None:
    assert luhn_ok("4242424242424242") and not luhn_ok("4242424242424241")
    assert card_digits("4000 0000 0000 0002") == "4000000000000002"
    assert card_digits("４２４２４２４２４２４２４２４２") is None  # full-width digits are not digits here
    from datetime import date

    today = date(2026, 1, 10)
    assert expiry_problem("01/26", today) is None  # valid to the end of its month
    assert expiry_problem("1/2031", today) is None
    assert expiry_problem("12/25", today) == "card_expired"
    assert expiry_problem("00/27", today) == "expiry_invalid"


def test_a_replayed_approval_does_not_buy_twice(fr_admin: Any, provider: Any) -> None:
    token, _ = pay(fr_admin, provider, [("Advanced", 2)])
    fr_admin.post(COMPLETE, {"payment_token": token}, csrf=False)
    again = fr_admin.post(COMPLETE, {"payment_token": token}, csrf=False)
    assert fr_admin.alerts(again.text) == ["Ce paiement a déjà été traité : rien n’a été acheté de nouveau."]
    assert fr_admin.statuses(again.text) == []
    state = fr_admin.state()
    assert [e["kind"] for e in state["ledger"]] == ["purchase"]
    assert state["pool"]["Advanced"]["total"] == 8 + 2


def test_one_order_is_paid_once_even_with_two_cards(fr_admin: Any, provider: Any) -> None:
    form = open_form(provider, frame_src(checkout_page(fr_admin, [("Eco", 1)])))
    first = approval_of(submit_card(provider, form.text, CARD).text)
    second = approval_of(submit_card(provider, form.text, "4242 4242 4242 4242").text)
    fr_admin.post(COMPLETE, {"payment_token": first}, csrf=False)
    refused = fr_admin.post(COMPLETE, {"payment_token": second}, csrf=False)
    assert fr_admin.alerts(refused.text) == [
        "Ce paiement a déjà été traité : rien n’a été acheté de nouveau."
    ]
    assert len(fr_admin.state()["ledger"]) == 1


def test_an_approval_is_good_for_its_session_only(
    fr_admin: Any, provider: Any, fr_app: Any, browser_for: Any
) -> None:
    token, _ = pay(fr_admin, provider, [("Eco", 1)])
    other = browser_for(fr_app).login()  # the same admin, another browser
    refused = other.post(COMPLETE, {"payment_token": token}, csrf=False)
    assert other.alerts(refused.text) == ["Le paiement n’a pas pu être vérifié : aucun achat n’a été fait."]
    assert fr_admin.state()["ledger"] == []


@pytest.mark.parametrize("forge", ["", "garbage", "flip-amount"])
def test_a_forged_approval_buys_nothing(fr_admin: Any, provider: Any, forge: str) -> None:
    token, _ = pay(fr_admin, provider, [("Eco", 1)])
    if forge == "flip-amount":
        body, mac = token.split(".")
        payload = json.loads(base64.urlsafe_b64decode(body + "=="))
        payload["amount"] = 1
        token = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=") + "." + mac
    else:
        token = forge
    refused = fr_admin.post(COMPLETE, {"payment_token": token}, csrf=False)
    assert fr_admin.alerts(refused.text) == [
        "Le paiement n’a pas pu être vérifié : aucun achat n’a été fait."
    ]
    assert fr_admin.state()["ledger"] == [] and fr_admin.hook_get("/_test/payments").json()["payments"] == []


def test_orders_and_approvals_expire(fr_admin: Any, provider: Any, clock: Any) -> None:
    src = frame_src(checkout_page(fr_admin, [("Eco", 1)]))
    clock.advance(20 * 60)
    fr_admin.get("/")  # the session stays alive (30 min idle); the order does not (30 min in all)
    clock.advance(11 * 60)
    stale = open_form(provider, src)
    assert stale.status_code == 400
    assert alert_in(stale.text) == [
        "Cette demande de paiement n’est plus valide. Retournez chez le marchand pour recommencer."
    ]
    assert (
        "frame-ancestors http://testserver;" in stale.headers["content-security-policy"]
    )  # still shown in the frame
    token, _ = pay(fr_admin, provider, [])  # a fresh order for the same summary
    clock.advance(11 * 60)
    late = fr_admin.post(COMPLETE, {"payment_token": token}, csrf=False)
    assert fr_admin.alerts(late.text) == ["Le paiement n’a pas pu être vérifié : aucun achat n’a été fait."]


def test_the_completion_needs_a_signed_in_admin(
    fr_admin: Any, provider: Any, fr_app: Any, browser_for: Any
) -> None:
    token, _ = pay(fr_admin, provider, [("Eco", 1)])
    anonymous = browser_for(fr_app).post(
        COMPLETE, {"payment_token": token}, csrf=False, follow_redirects=False
    )
    assert anonymous.headers["location"] == "/Connexion.aspx"
    standard = browser_for(fr_app).login("user03@acme.example")
    assert standard.post(COMPLETE, {"payment_token": token}, csrf=False).status_code == 403
    assert fr_admin.state()["ledger"] == []


def test_the_card_number_is_never_kept_or_shown(fr_admin: Any, provider: Any, fr_app: Any) -> None:
    digits = CARD.replace(" ", "")
    seen: list[str] = []
    form = open_form(provider, frame_src(checkout_page(fr_admin, [("Eco", 1)])))
    seen.append(submit_card(provider, form.text, DECLINED).text)
    approved = submit_card(provider, form.text, CARD)
    token = approval_of(approved.text)
    payload = base64.urlsafe_b64decode(token.split(".")[0] + "==").decode()
    done = fr_admin.post(COMPLETE, {"payment_token": token}, csrf=False)
    seen += [approved.text, payload, done.text, fr_admin.get("/licenses").text, fr_admin.get("/billing").text]
    seen.append(json.dumps(fr_admin.state()) + json.dumps(fr_admin.outbox()))
    seen.append(fr_admin.hook_get("/_test/payments").text + fr_admin.get("/outbox").text)
    db = sqlite3.connect(fr_app.state.portal.db.path)
    seen.append("\n".join(db.iterdump()))
    db.close()
    for text in seen:
        for secret in (digits, CARD, digits[6:12], "0000000000000002", "4000 0000"):
            assert secret not in text
    assert '"last4":"1881"' in payload  # the last 4 digits are all that travels


def test_faults_apply_to_the_completion_like_any_portal_post(fr_admin: Any, provider: Any) -> None:
    token, _ = pay(fr_admin, provider, [("Pro", 1)])
    fr_admin.hook("/_test/faults", {"error_rate": 1.0, "paths": [COMPLETE]})
    failed = fr_admin.post(COMPLETE, {"payment_token": token}, csrf=False)
    assert failed.status_code == 500 and "<h1>Une erreur est survenue</h1>" in failed.text
    assert fr_admin.state()["ledger"] == []  # refused before it ran: the approval is still good
    fr_admin.hook("/_test/faults", {"lost_response_rate": 1.0, "paths": [COMPLETE]})
    lost = fr_admin.post(COMPLETE, {"payment_token": token}, csrf=False)
    assert lost.status_code == 502 and "<h1>Passerelle incorrecte</h1>" in lost.text
    assert [e["tier"] for e in fr_admin.state()["ledger"]] == ["Pro"]  # committed all the same
    fr_admin.hook("/_test/faults", {})
    retried = fr_admin.post(COMPLETE, {"payment_token": token}, csrf=False)
    assert fr_admin.alerts(retried.text) == [
        "Ce paiement a déjà été traité : rien n’a été acheté de nouveau."
    ]
    assert len(fr_admin.state()["ledger"]) == 1
    assert (
        fr_admin.statuses(fr_admin.get("/licenses").text) == []
    )  # the lost answer's status was shown... once


def test_english_checkout_still_pays_with_the_card_on_file(admin: Any) -> None:
    page = admin.post("/licenses/cart", {"tier": "Eco", "quantity": "1"}).text
    assert "<iframe" not in page and "The card on file (Visa ending in 4242) is charged now." in page
    assert 'action="/licenses/pay"' in page and ">Pay</button>" in page


# --- another origin: the provider's own port ----------------------------------------------------


def _refused(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=1).close()
    except OSError:
        return True
    return False


def test_the_provider_answers_on_its_own_port(tmp_path: Path) -> None:
    with PortalServer(db_path=tmp_path / "p.db", dialect="fr-ca") as portal:
        portal_parts, provider_parts = urlsplit(portal.url), urlsplit(portal.provider_url)
        assert provider_parts.hostname == portal_parts.hostname == "127.0.0.1"
        assert provider_parts.port != portal_parts.port  # same host, another origin
        assert portal.payments() == {"provider_url": portal.provider_url, "payments": []}
        with httpx.Client(trust_env=False) as http:
            bad = http.get(portal.provider_url + "/paiement?commande=forged")
            assert bad.status_code == 400 and "Paiements Démo" in bad.text
            assert "frame-ancestors 'none'" in bad.headers["content-security-policy"]
            assert http.get(portal.provider_url + "/Connexion.aspx").status_code == 404  # no portal there
            assert http.get(portal.url + "/paiement").status_code == 404  # and no provider here
            assert "Connexion à Secure Exchanges" in http.get(portal.url + "/Connexion.aspx").text
        provider_url = portal.provider_url
    assert _refused(provider_url)  # it stops with the portal


def test_the_cli_prints_the_provider_url_second(tmp_path: Path) -> None:
    with PortalProcess(db_path=tmp_path / "c.db", dialect="fr-ca") as portal:
        assert portal.url.startswith("http://127.0.0.1:") and portal.provider_url.startswith(
            "http://127.0.0.1:"
        )
        assert portal.url != portal.provider_url
        assert portal.payments()["provider_url"] == portal.provider_url
        portal.set_dialect("2026")
        portal.set_dialect("fr-ca")


def test_a_token_is_good_for_its_own_purpose_only() -> None:
    from fake_portal.signing import BadToken, sign, verify
    from fake_portal.webforms import read_viewstate, viewstate

    key = b"k" * 32
    state = viewstate(key, {"page": 2})
    assert read_viewstate(key, state) == {"page": 2}
    with pytest.raises(BadToken):
        verify(key, "payment", state)  # a __VIEWSTATE is no payment
    with pytest.raises(BadToken):
        read_viewstate(b"other key" * 4, state)
    expiring = sign(key, "order", {"exp": 100.0})
    assert verify(key, "order", expiring, now=99.0) == {"exp": 100.0}
    with pytest.raises(BadToken):
        verify(key, "order", expiring, now=101.0)
    with pytest.raises(BadToken):
        verify(key, "order", expiring)  # an expiring token needs a clock

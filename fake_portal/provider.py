"""Paiements Démo: a stand-in for the card-payment provider whose hosted form the fr-ca checkout frames.

It runs inside the fake-portal process but answers on its own port, so the browser treats it as another
origin (same host, other port): the portal's page cannot script the card form, and a runbook has to
reach into the iframe as it would with a real provider. It is French only, like the provider a
French-Canadian merchant would embed, and keeps no state at all: it reads the portal's signed order,
checks the card, and signs the approval (payments.py describes the exchange).

Card rules: the number (spaces optional) must pass the Luhn check; "Expiration (MM/AA)" must be a month
that has not ended; 4000 0000 0000 0002 is declined by the issuer. The number is never stored, logged,
signed or echoed back: an error re-renders the form with the number field empty.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from . import amounts, payments
from .csp import origin_of
from .db import Clock
from .signing import BadToken, verify
from .web import read_form, template_env

STATIC = Path(__file__).parent / "static"
DECLINED_CARDS = frozenset({"4000000000000002"})  # the issuer says no (a common test number)
# A card the provider accepts, for demos and tests (a common test number; any Luhn-valid number
# but the declined ones is accepted).
TEST_CARD = "4242 4242 4242 4242"

TEXTS = {
    "brand": "Paiements Démo",
    "title": "Paiement par carte",
    "merchant": "Marchand : {merchant}",
    "amount": "Montant : {amount}",
    "card_number": "Numéro de carte",
    "expiry": "Expiration (MM/AA)",
    "pay": "Payer {amount}",
    "demo_note": "Paiement de démonstration : aucune carte n’est réellement débitée.",
    "card_invalid": "Numéro de carte invalide.",
    "expiry_invalid": "Date d’expiration invalide : utilisez le format MM/AA.",
    "card_expired": "Cette carte est expirée.",
    "card_declined": "Carte refusée par l’émetteur.",
    "approved_title": "Paiement approuvé",
    "approved_card": "Carte se terminant par {last4}.",
    "approved_return": "Retour chez le marchand…",
    "return_button": "Retourner chez le marchand",
    "order_invalid": "Cette demande de paiement n’est plus valide. Retournez chez le marchand pour recommencer.",
}
_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def card_digits(raw: str) -> str | None:
    """The card number without its spaces, or None when it is not a plausible, Luhn-valid number."""
    digits = "".join(raw.split())
    if not digits.isascii() or not digits.isdigit() or not 12 <= len(digits) <= 19 or not luhn_ok(digits):
        return None
    return digits


def expiry_problem(raw: str, today: date) -> str | None:
    """The text key of what is wrong with an MM/AA expiry, or None when the card is still valid."""
    match = _EXPIRY.match(raw)
    if not match or not 1 <= int(match.group(1)) <= 12:
        return "expiry_invalid"
    month, year = int(match.group(1)), int(match.group(2))
    year += 2000 if year < 100 else 0
    return "card_expired" if (year, month) < (today.year, today.month) else None


def brand_of(digits: str) -> str:
    return {"4": "Visa", "5": "Mastercard", "3": "Amex"}.get(digits[0], "Carte")


class Provider:
    def __init__(self, merchant_key: bytes, clock: Clock) -> None:
        self.key = merchant_key
        self.clock = clock
        self.env = template_env()

    # --- pages -------------------------------------------------------------------------------
    def _page(
        self, template: str, context: dict[str, Any], status: int, portal_origin: str | None
    ) -> Response:
        html = self.env.get_template(template).render({"texts": TEXTS} | context)
        response = HTMLResponse(html, status_code=status)
        # Framed by the portal only, and it may send the top window back to the portal only.
        ancestors = portal_origin or "'none'"
        actions = f"'self' {portal_origin}" if portal_origin else "'self'"
        response.headers["content-security-policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"frame-ancestors {ancestors}; form-action {actions}; base-uri 'none'"
        )
        response.headers["cache-control"] = "no-store"
        response.headers["x-content-type-options"] = "nosniff"
        response.headers["referrer-policy"] = "no-referrer"
        return response

    def _order(self, token: str) -> tuple[dict[str, Any] | None, str | None]:
        """The order if it is valid now, and the portal's origin whenever the signature holds."""
        try:
            order = verify(self.key, payments.ORDER, token, expired_ok=True)
        except BadToken:
            return None, None
        origin = origin_of(str(order.get("return", "")))
        try:
            verify(self.key, payments.ORDER, token, now=self.clock())
        except BadToken:
            return None, origin
        return order, origin

    def _form(
        self,
        order_token: str,
        order: dict[str, Any],
        origin: str | None,
        error: str = "",
        expiration: str = "",
    ) -> Response:
        amount = amounts.FRENCH_CANADA.in_text(int(order["amount"]))
        context = {
            "order": order_token,
            "merchant": order.get("merchant", ""),
            "amount": amount,
            "error": error,
            "expiration": expiration,  # kept after an error; the card number never is
        }
        return self._page("provider/form.html", context, 200, origin)

    async def form(self, request: Request) -> Response:
        token = request.query_params.get("commande", "")
        order, origin = self._order(token)
        if order is None:
            return self._page("provider/invalid.html", {}, 400, origin)
        return self._form(token, order, origin)

    async def pay(self, request: Request) -> Response:
        fields, _ = await read_form(request)
        token = (fields.get("commande") or [""])[0]
        order, origin = self._order(token)
        if order is None:
            return self._page("provider/invalid.html", {}, 400, origin)
        expiration = (fields.get("expiration") or [""])[0].strip()
        digits = card_digits((fields.get("numero") or [""])[0])
        today = datetime.fromtimestamp(self.clock(), UTC).date()
        if digits is None:
            return self._form(token, order, origin, TEXTS["card_invalid"], expiration)
        problem = expiry_problem(expiration, today) or ("card_declined" if digits in DECLINED_CARDS else None)
        if problem:
            return self._form(token, order, origin, TEXTS[problem], expiration)
        approval = payments.payment_token(
            self.key,
            order=token,
            amount_cents=int(order["amount"]),
            last4=digits[-4:],
            brand=brand_of(digits),
            now=self.clock(),
        )
        context = {"return_url": order["return"], "token": approval, "last4": digits[-4:]}
        context["token_field"] = payments.TOKEN_FIELD
        return self._page("provider/approved.html", context, 200, origin)

    async def asset(self, request: Request) -> Response:
        # Its own two files only, not the portal's static folder.
        name = request.path_params["name"]
        if name not in ASSETS:
            return HTMLResponse("", status_code=404)
        return FileResponse(STATIC / name, headers={"x-content-type-options": "nosniff"})


ASSETS = frozenset({"provider.css", "provider-return.js"})


def create_provider_app(merchant_key: bytes, clock: Clock) -> Starlette:
    provider = Provider(merchant_key, clock)
    return Starlette(
        routes=[
            Route(payments.PROVIDER_FORM_PATH, provider.form, methods=["GET"]),
            Route(payments.PROVIDER_FORM_PATH, provider.pay, methods=["POST"]),
            Route("/static/{name:str}", provider.asset, methods=["GET"]),
        ]
    )

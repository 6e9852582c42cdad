"""The portal's side of the hosted card payment (fr-ca checkout).

1. The license page signs an *order* (the summary lines, the total, where to come back) and frames the
   provider's card form with it: {provider}/paiement?commande=<order>.
2. The provider (provider.py) checks the card and, on approval, signs a *payment* that embeds the order,
   then sends the top window back to the portal: POST /licenses/pay/complete, payment_token=<payment>.
3. The portal redeems the payment once: it checks both signatures, that the order was made for this
   session and that neither the payment nor the order was redeemed before, then buys the order's lines.

The portal and the provider share a merchant key (as a real merchant shares a secret with its payment
provider), so neither token can be forged by the browser. No card number reaches the portal: the
payment carries the card's last 4 digits, and that is all the portal keeps (table `payments`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .billing import CURRENCY
from .db import Tx
from .labels import Labels
from .rules import RuleViolation
from .signing import BadToken, sign, verify

ORDER = "order"
PAYMENT = "payment"
ORDER_TTL_S = 30 * 60  # how long the framed card form stays usable
PAYMENT_TTL_S = 10 * 60  # how long an approval may take to come back to the portal
PROVIDER_FORM_PATH = "/paiement"
COMPLETION_PATH = "/licenses/pay/complete"
TOKEN_FIELD = "payment_token"


def session_tag(secret: bytes, session_id: str) -> str:
    """Binds an order to the session that made it without handing the session id to the provider."""
    return hmac.new(secret, f"order-session:{session_id}".encode(), hashlib.sha256).hexdigest()[:32]


def order_token(
    key: bytes,
    *,
    session: str,
    lines: list[tuple[str, int]],
    amount_cents: int,
    merchant: str,
    return_url: str,
    now: float,
) -> str:
    order: dict[str, Any] = {
        "id": "ord_" + secrets.token_urlsafe(12),
        "session": session,
        "lines": [[tier, quantity] for tier, quantity in lines],
        "amount": amount_cents,
        "currency": CURRENCY,
        "merchant": merchant,
        "return": return_url,
        "exp": now + ORDER_TTL_S,
    }
    return sign(key, ORDER, order)


def form_url(provider_url: str, order: str) -> str:
    return f"{provider_url}{PROVIDER_FORM_PATH}?{urlencode({'commande': order})}"


def payment_token(key: bytes, *, order: str, amount_cents: int, last4: str, brand: str, now: float) -> str:
    """What the provider signs when it approves a card (provider.py)."""
    payment = {
        "id": "pay_" + secrets.token_urlsafe(12),
        "order": order,
        "amount": amount_cents,
        "last4": last4,
        "brand": brand,
        "approved_at": now,
        "exp": now + PAYMENT_TTL_S,
    }
    return sign(key, PAYMENT, payment)


@dataclass(frozen=True)
class Payment:
    id: str
    order_id: str
    lines: list[tuple[str, object]]
    amount_cents: int
    last4: str


def redeem(tx: Tx, key: bytes, token: str, session: str) -> Payment:
    """Record an approved payment once and return the lines it pays for. A payment that does not
    verify, or was made for another session, or was already redeemed (a replayed token, or a second
    payment of the same order) is refused and nothing is recorded."""
    try:
        payment = verify(key, PAYMENT, token, now=tx.now)
        # The order had to be valid when the provider approved it, not now.
        order = verify(key, ORDER, str(payment["order"]), now=float(payment["approved_at"]))
    except (BadToken, KeyError, TypeError, ValueError):
        raise RuleViolation("lic_payment_invalid") from None
    if (
        not hmac.compare_digest(str(order.get("session", "")), session)
        or payment["amount"] != order["amount"]
    ):
        raise RuleViolation("lic_payment_invalid")
    if tx.scalar("SELECT 1 FROM payments WHERE id = ? OR order_id = ?", (payment["id"], order["id"])):
        raise RuleViolation("lic_payment_replayed")
    last4 = str(payment["last4"])
    tx.execute(
        "INSERT INTO payments (id, order_id, at, amount_cents, card_last4) VALUES (?, ?, ?, ?, ?)",
        (payment["id"], order["id"], tx.now, int(order["amount"]), last4),
    )
    lines = [(str(tier), quantity) for tier, quantity in order["lines"]]
    return Payment(str(payment["id"]), str(order["id"]), lines, int(order["amount"]), last4)


def recorded(tx: Tx) -> list[dict[str, object]]:
    return [dict(r) for r in tx.all("SELECT * FROM payments ORDER BY at, id")]


_STORED_CARD = re.compile(r"^(?P<brand>\w+) ending in (?P<last4>\d{4})$")


def card_on_file(labels: Labels, stored: str) -> str:
    """The account's card in the page's words. The seeds store it in English ("Visa ending in 4242")."""
    match = _STORED_CARD.match(stored)
    return labels("card_on_file", **match.groupdict()) if match else stored

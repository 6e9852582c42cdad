"""The "payment provider": a card form served from another origin (http://localhost:<port B>) that the
site embeds in an iframe titled "Payment".

The provider checks the card (format, Luhn, expiry format, the declined test number) without a page
change, then sends the *top* window back to the site: a `<form target="_top" method="post">` to the
return URL, submitted by script with a signed one-time token that carries the amount and the last four
digits only. The full card number is never stored, logged or echoed back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

DECLINED_NUMBER = "4000000000000002"  # Luhn-valid, always declined
AMOUNT = re.compile(r"^\d{1,7}\.\d{2}$")
EXPIRY = re.compile(r"^(0[1-9]|1[0-2])/\d{2}$")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_digits(text: str) -> str | None:
    """The digits of a card number typed with optional spaces, or None when it is not one."""
    digits = re.sub(r"[ \u00a0]", "", text)
    if not re.fullmatch(r"\d{13,19}", digits) or not luhn_ok(digits):
        return None
    return digits


# --- the one-time token the provider hands the site (shared secret, HMAC-SHA256) ------------------


def sign_token(secret: bytes, amount: str, last4: str) -> str:
    payload = json.dumps({"amount": amount, "last4": last4, "nonce": secrets.token_hex(8)}).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    mac = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def read_token(secret: bytes, token: str) -> dict[str, str] | None:
    """The token's {amount, last4, nonce}, or None when it is malformed or not signed by us."""
    body, _, mac = token.partition(".")
    expected = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
    if not body or not hmac.compare_digest(mac, expected):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    if not isinstance(data, dict) or set(data) != {"amount", "last4", "nonce"}:
        return None
    return {k: str(v) for k, v in data.items()}


# --- the provider's pages ---------------------------------------------------------------------------

CARD_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Card payment</title>
<style>body {{ font-family: sans-serif; margin: 1rem; background: #f4f7ff; }}</style></head>
<body>
<h1>Card payment</h1>
<p>Amount: {amount} $</p>
<form id="pay" novalidate>
  <p><label for="card">Card number</label>
     <input id="card" name="card" inputmode="numeric" autocomplete="cc-number"></p>
  <p><label for="expiry">Expiry</label>
     <input id="expiry" name="expiry" placeholder="MM/YY" autocomplete="cc-exp"
            aria-describedby="expiry-hint">
     <small id="expiry-hint">MM/YY</small></p>
  <p><button>Pay {amount} $</button></p>
  <div id="errors"></div>
</form>
<form id="back" method="post" action="{return_url}" target="_top"><input type="hidden" name="token"></form>
<script>
  const pay = document.getElementById('pay');
  pay.addEventListener('submit', async (event) => {{
    event.preventDefault();
    const errors = document.getElementById('errors');
    errors.replaceChildren();
    const answer = await fetch('/card/authorize', {{
      method: 'POST',
      headers: {{'Content-Type': 'application/json'}},
      body: JSON.stringify({{card: pay.card.value, expiry: pay.expiry.value, amount: {amount_js}}}),
    }}).then((r) => r.json());
    if (!answer.ok) {{
      const alert = document.createElement('p');
      alert.setAttribute('role', 'alert');
      alert.textContent = answer.error;
      errors.appendChild(alert);
      return;
    }}
    const back = document.getElementById('back');
    back.token.value = answer.token;
    back.submit();  // the top window goes back to the site
  }});
</script>
</body></html>"""


def create_provider_app(secret: bytes, site_url: str) -> Starlette:
    """The provider only sends the top window back to `site_url` (no open redirect)."""

    async def card(request: Request) -> Response:
        amount = request.query_params.get("amount", "")
        return_url = request.query_params.get("return", "")
        if not AMOUNT.match(amount) or not return_url.startswith(site_url + "/"):
            return HTMLResponse("<!doctype html><h1>Bad payment request</h1>", status_code=400)
        return HTMLResponse(
            CARD_PAGE.format(
                amount=amount,
                amount_js=json.dumps(amount),
                return_url=html.escape(return_url, quote=True),
            )
        )

    async def authorize(request: Request) -> Response:
        try:
            data: Any = await request.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return JSONResponse({"ok": False, "error": "Bad request."}, status_code=400)
        amount = str(data.get("amount", ""))
        digits = card_digits(str(data.get("card", "")))
        if not AMOUNT.match(amount):
            return JSONResponse({"ok": False, "error": "Bad request."}, status_code=400)
        if digits is None:
            return JSONResponse({"ok": False, "error": "Invalid card number."})
        if not EXPIRY.match(str(data.get("expiry", "")).strip()):
            return JSONResponse({"ok": False, "error": "Invalid expiry date."})
        if digits == DECLINED_NUMBER:
            return JSONResponse({"ok": False, "error": "Card declined."})
        return JSONResponse({"ok": True, "token": sign_token(secret, amount, digits[-4:])})

    return Starlette(routes=[Route("/card", card), Route("/card/authorize", authorize, methods=["POST"])])

"""Tamper-proof tokens: a JSON payload, base64url-encoded, with an HMAC-SHA256 over a purpose and the
payload. The purpose keeps a token minted for one use (a __VIEWSTATE, an order, a payment) from being
accepted as another."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any


class BadToken(ValueError):
    """A token that is malformed, signed for another purpose or with another key, or expired."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, purpose: str, body: str) -> str:
    return _b64(hmac.new(key, f"{purpose}\n{body}".encode(), hashlib.sha256).digest())


def sign(key: bytes, purpose: str, payload: dict[str, Any]) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_mac(key, purpose, body)}"


def verify(
    key: bytes, purpose: str, token: str, *, now: float | None = None, expired_ok: bool = False
) -> dict[str, Any]:
    """The payload of a good token. A payload with "exp" (epoch seconds) needs `now` before it, unless
    expired_ok (to read who sent an expired token, e.g. to answer them)."""
    body, _, mac = token.partition(".")
    if not body or not hmac.compare_digest(mac.encode(), _mac(key, purpose, body).encode()):
        raise BadToken(f"not a valid {purpose} token")
    try:
        payload = json.loads(_unb64(body))
    except (binascii.Error, ValueError):
        raise BadToken(f"not a valid {purpose} token") from None
    if not isinstance(payload, dict):
        raise BadToken(f"not a valid {purpose} token")
    if "exp" in payload and not expired_ok and (now is None or now > float(payload["exp"])):
        raise BadToken(f"the {purpose} token has expired")
    return payload


def derive_key(secret: bytes, use: str) -> bytes:
    """A key for one use, so that the session CSRF secret is never used as is elsewhere."""
    return hmac.new(secret, f"key:{use}".encode(), hashlib.sha256).digest()

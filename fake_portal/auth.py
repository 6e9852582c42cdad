"""Passwordless sign-in: captcha, e-mailed single-use links bound to the submitting browser,
SMS codes for 2FA, idle-expiring sessions, flash messages and CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from enum import Enum

from .db import Tx
from .directory import find_user, get_user
from .rules import RuleViolation

SESSION_COOKIE = "se_session"
CLIENT_COOKIE = "se_client"  # anonymous browser id: keys the captcha and the login form's CSRF token
LOGIN_COOKIE = "se_login"  # nonce set on login submit; the e-mailed link only works with it
CAPTCHA_LENGTH = 6
CODE_LENGTH = 6
LOGIN_LINK_TTL_S = 15 * 60


def random_id() -> str:
    return secrets.token_urlsafe(24)


def _digits(n: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(n))


# --- CSRF ----------------------------------------------------------------------------------------
# The token is an HMAC of the session (or anonymous client) id, so it needs no storage and a token
# stolen from one browser is useless in another.


def csrf_token(secret: bytes, scope: str) -> str:
    return hmac.new(secret, scope.encode(), hashlib.sha256).hexdigest()[:40]


def csrf_ok(secret: bytes, scope: str, given: object) -> bool:
    return isinstance(given, str) and hmac.compare_digest(csrf_token(secret, scope), given)


# --- captcha --------------------------------------------------------------------------------------


def issue_captcha(tx: Tx, client_id: str) -> str:
    digits = _digits(CAPTCHA_LENGTH)
    tx.execute(
        "INSERT INTO captchas (client_id, digits, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (client_id) DO UPDATE SET digits = excluded.digits, created_at = excluded.created_at",
        (client_id, digits, tx.now),
    )
    return digits


def current_captcha(tx: Tx, client_id: str) -> str:
    digits = tx.scalar("SELECT digits FROM captchas WHERE client_id = ?", (client_id,))
    return str(digits) if digits else issue_captcha(tx, client_id)


def check_captcha(tx: Tx, client_id: str, answer: str) -> bool:
    """One try per captcha: right or wrong, the next attempt gets new digits."""
    expected = tx.scalar("SELECT digits FROM captchas WHERE client_id = ?", (client_id,))
    issue_captcha(tx, client_id)
    given = "".join(answer.split())
    return bool(expected) and hmac.compare_digest(str(expected), given)


# --- login links ----------------------------------------------------------------------------------


def issue_login_link(tx: Tx, email: str, nonce: str) -> str | None:
    """A token for a known user, None for an unknown e-mail (the caller shows the same page)."""
    user = find_user(tx, email)
    if user is None:
        return None
    token = secrets.token_urlsafe(32)
    tx.execute(
        "INSERT INTO login_tokens (token, nonce, email, created_at) VALUES (?, ?, ?, ?)",
        (token, nonce, user["email"], tx.now),
    )
    return token


class LinkOutcome(Enum):
    OK = "ok"
    OTHER_BROWSER = "other_browser"  # "Error 2": the token stays usable in the right browser
    INVALID = "invalid"


def redeem_login_link(tx: Tx, token: str, nonce: str | None) -> tuple[LinkOutcome, dict[str, object] | None]:
    row = tx.one("SELECT * FROM login_tokens WHERE token = ?", (token,))
    if row is None or row["used"] or tx.now - row["created_at"] > LOGIN_LINK_TTL_S:
        return LinkOutcome.INVALID, None
    if not nonce or not hmac.compare_digest(row["nonce"], nonce):
        return LinkOutcome.OTHER_BROWSER, None
    user = find_user(tx, row["email"])
    if user is None:
        return LinkOutcome.INVALID, None
    tx.execute("UPDATE login_tokens SET used = 1 WHERE token = ?", (token,))
    return LinkOutcome.OK, user


# --- sessions -------------------------------------------------------------------------------------


class SessionMissing(Exception):
    """No session cookie: send to the login page."""


class SessionExpired(Exception):
    """A session cookie that is unknown, reset or idle too long: send to /login?expired=1."""


@dataclass
class Session:
    id: str
    stage: str  # "code" until the 2FA code is entered, then "active"
    user: dict[str, object]
    flash: list[dict[str, str]] = field(default_factory=list)

    @property
    def email(self) -> str:
        return str(self.user["email"])

    @property
    def is_admin(self) -> bool:
        return self.user["role"] == "admin"


def start_session(tx: Tx, user: dict[str, object]) -> tuple[str, str | None]:
    """Returns the session id and, for a 2FA user, the SMS code to send."""
    sid = secrets.token_urlsafe(32)
    code = _digits(CODE_LENGTH) if user["two_factor"] else None
    tx.execute(
        "INSERT INTO sessions (id, user_id, stage, sms_code, created_at, last_seen)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (sid, user["id"], "code" if code else "active", code, tx.now, tx.now),
    )
    return sid, code


def resolve(tx: Tx, sid: str | None, ttl_s: float, pop_flash: bool) -> Session:
    if not sid:
        raise SessionMissing
    row = tx.one("SELECT * FROM sessions WHERE id = ?", (sid,))
    if row is None:
        raise SessionExpired
    if tx.now - row["last_seen"] > ttl_s:
        end_session(tx, sid)
        raise SessionExpired
    flash = json.loads(row["flash"]) if pop_flash else []
    tx.execute(
        "UPDATE sessions SET last_seen = ?, flash = CASE WHEN ? THEN '[]' ELSE flash END WHERE id = ?",
        (tx.now, pop_flash, sid),
    )
    try:
        user = get_user(tx, row["user_id"])
    except RuleViolation:
        raise SessionExpired from None
    return Session(sid, row["stage"], user, flash)


def verify_code(tx: Tx, session: Session, code: str) -> bool:
    expected = tx.scalar("SELECT sms_code FROM sessions WHERE id = ? AND stage = 'code'", (session.id,))
    if not expected or not hmac.compare_digest(str(expected), "".join(code.split())):
        return False
    tx.execute("UPDATE sessions SET stage = 'active', sms_code = NULL WHERE id = ?", (session.id,))
    return True


def end_session(tx: Tx, sid: str) -> None:
    tx.execute("DELETE FROM cart_lines WHERE session_id = ?", (sid,))
    tx.execute("DELETE FROM sessions WHERE id = ?", (sid,))


def expire_all(tx: Tx) -> int:
    return tx.execute("UPDATE sessions SET last_seen = 0").rowcount


def push_flash(tx: Tx, sid: str, kind: str, text: str) -> None:
    raw = tx.scalar("SELECT flash FROM sessions WHERE id = ?", (sid,))
    messages = json.loads(raw) if raw else []
    messages.append({"kind": kind, "text": text})
    tx.execute("UPDATE sessions SET flash = ? WHERE id = ?", (json.dumps(messages), sid))

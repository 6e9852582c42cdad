"""The local mail catcher: e-mails and SMS the portal 'sends' are stored here and shown at /outbox.

SMS are stored with the user's e-mail address as recipient (the phone number is in the body), so a
test can find every message for a user with one key.
"""

from __future__ import annotations

from .db import Tx


def send_email(tx: Tx, to: str, subject: str, body: str, link: str | None = None) -> None:
    tx.execute(
        "INSERT INTO outbox (at, recipient, kind, subject, body, link) VALUES (?, ?, 'email', ?, ?, ?)",
        (tx.now, to, subject, body, link),
    )


def send_sms(tx: Tx, to: str, subject: str, body: str, code: str) -> None:
    tx.execute(
        "INSERT INTO outbox (at, recipient, kind, subject, body, code) VALUES (?, ?, 'sms', ?, ?, ?)",
        (tx.now, to, subject, body, code),
    )


def messages(tx: Tx, to: str | None = None, newest_first: bool = False) -> list[dict[str, object]]:
    order = "DESC" if newest_first else "ASC"
    where, params = ("WHERE recipient = ?", (to,)) if to else ("", ())
    rows = tx.all(f"SELECT * FROM outbox {where} ORDER BY id {order}", params)  # noqa: S608 - fixed fragments
    return [dict(r) for r in rows]

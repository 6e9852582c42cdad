"""The audit log (who did what, when) and the billing ledger."""

from __future__ import annotations

from .db import Tx

# Audit action names, used by /_test/state and the Journals page.
ACTIONS = (
    "login",
    "purchase",
    "upgrade",
    "remove_pool_licenses",
    "assign_license",
    "modify_license",
    "remove_license",
    "transfer_license",
    "create_user",
    "import_users",
    "update_user",
    "delete_user",
)


def audit(tx: Tx, actor: str, action: str, target: str, detail: str = "") -> None:
    assert action in ACTIONS, action
    tx.execute(
        "INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        (tx.now, actor, action, target, detail),
    )


def charge(tx: Tx, actor: str, kind: str, tier: str, quantity: int, amount_cents: int) -> int:
    cur = tx.execute(
        "INSERT INTO ledger (at, actor, kind, tier, quantity, amount_cents) VALUES (?, ?, ?, ?, ?, ?)",
        (tx.now, actor, kind, tier, quantity, amount_cents),
    )
    return int(cur.lastrowid or 0)


def journal_of(tx: Tx, email: str) -> list[dict[str, object]]:
    rows = tx.all(
        "SELECT at, actor, action, target, detail FROM audit"
        " WHERE target = ? OR actor = ? OR instr(detail, ?) > 0 ORDER BY id DESC",
        (email, email, email),
    )
    return [dict(r) for r in rows]


def ledger(tx: Tx) -> list[dict[str, object]]:
    return [dict(r) for r in tx.all("SELECT * FROM ledger ORDER BY id")]


def audit_log(tx: Tx) -> list[dict[str, object]]:
    return [dict(r) for r in tx.all("SELECT at, actor, action, target, detail FROM audit ORDER BY id")]

"""The license pool and every operation on it. One row of `licenses` is one license: it is in the
pool from purchase to removal, billed monthly the whole time, and held by at most one user."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import history
from .billing import MAX_PURCHASE_QUANTITY, PRICE_CENTS, TIERS, money, prorated_upgrade_cents, rank
from .db import Tx
from .directory import find_user, get_user
from .rules import RuleViolation


@dataclass(frozen=True)
class PoolLine:
    tier: str
    total: int
    assigned: int

    @property
    def available(self) -> int:
        return self.total - self.assigned


def pool(tx: Tx) -> dict[str, PoolLine]:
    rows = tx.all("SELECT tier, COUNT(*) AS total, COUNT(user_id) AS assigned FROM licenses GROUP BY tier")
    found = {r["tier"]: PoolLine(r["tier"], r["total"], r["assigned"]) for r in rows}
    return {tier: found.get(tier, PoolLine(tier, 0, 0)) for tier in TIERS}


def available_tiers(tx: Tx) -> list[str]:
    return [line.tier for line in pool(tx).values() if line.available > 0]


def holders(tx: Tx, tier: str) -> list[dict[str, object]]:
    rows = tx.all(
        "SELECT u.id, u.email FROM licenses l JOIN users u ON u.id = l.user_id"
        " WHERE l.tier = ? ORDER BY u.email",
        (tier,),
    )
    return [dict(r) for r in rows]


def check_tier(tier: str) -> str:
    if tier not in TIERS:
        raise RuleViolation("err_unknown_tier")
    return tier


def check_purchase_quantity(raw: object) -> int:
    try:
        quantity = int(str(raw).strip())
    except ValueError:
        raise RuleViolation("lic_quantity_invalid") from None
    if not 1 <= quantity <= MAX_PURCHASE_QUANTITY:
        raise RuleViolation("lic_quantity_invalid")
    return quantity


def _add_to_pool(tx: Tx, tier: str, quantity: int) -> None:
    tx.conn.executemany("INSERT INTO licenses (tier, acquired_at) VALUES (?, ?)", [(tier, tx.now)] * quantity)


def purchase(tx: Tx, actor: str, lines: Sequence[tuple[str, object]]) -> list[tuple[str, int]]:
    """Charge the card on file for each line and add the licenses. Every call is a new purchase:
    nothing here recognises a repeated submission (the real portal does not either)."""
    if not lines:
        raise RuleViolation("lic_nothing_to_pay")
    checked = [(check_tier(tier), check_purchase_quantity(qty)) for tier, qty in lines]
    for tier, quantity in checked:
        _add_to_pool(tx, tier, quantity)
        amount = PRICE_CENTS[tier] * quantity
        history.charge(tx, actor, "purchase", tier, quantity, amount)
        history.audit(tx, actor, "purchase", tier, f"{quantity} × {tier}, {money(amount)} CAD charged")
    return checked


@dataclass(frozen=True)
class UpgradeQuote:
    from_tier: str
    to_tier: str
    emails: tuple[str, ...]
    amount_cents: int
    renewal_cents: int


def quote_upgrade(tx: Tx, from_tier: str, to_tier: str, emails: list[str]) -> UpgradeQuote:
    check_tier(from_tier)
    check_tier(to_tier)
    if not emails:
        raise RuleViolation("err_upgrade_none_selected")
    if rank(to_tier) <= rank(from_tier):
        raise RuleViolation("err_upgrade_not_higher", tier=to_tier, from_tier=from_tier)
    unique = tuple(dict.fromkeys(emails))
    for email in unique:
        user = find_user(tx, email)
        if user is None or user["tier"] != from_tier:
            raise RuleViolation("err_upgrade_holder", email=email, tier=from_tier)
    amount = prorated_upgrade_cents(from_tier, to_tier, len(unique), tx.today)
    return UpgradeQuote(from_tier, to_tier, unique, amount, PRICE_CENTS[to_tier] * len(unique))


def upgrade(tx: Tx, actor: str, from_tier: str, to_tier: str, emails: list[str]) -> UpgradeQuote:
    """Convert the holders' licenses in place: the lower-tier license does not stay in the pool."""
    quote = quote_upgrade(tx, from_tier, to_tier, emails)
    for email in quote.emails:
        tx.execute(
            "UPDATE licenses SET tier = ? WHERE user_id = (SELECT id FROM users WHERE email = ?)",
            (to_tier, email),
        )
        history.audit(tx, actor, "upgrade", email, f"{from_tier} → {to_tier}")
    history.charge(tx, actor, "upgrade", to_tier, len(quote.emails), quote.amount_cents)
    return quote


def remove_from_pool(tx: Tx, actor: str, tier: str, raw_quantity: object) -> int:
    """Delete unassigned licenses for good. Assigned ones can never be removed. No refund is given:
    the ledger records the removal with amount 0 and the monthly bill drops."""
    check_tier(tier)
    try:
        quantity = int(str(raw_quantity).strip())
    except ValueError:
        raise RuleViolation("err_remove_quantity") from None
    if quantity < 1:
        raise RuleViolation("err_remove_quantity")
    available = pool(tx)[tier].available
    if quantity > available:
        raise RuleViolation("err_remove_too_many", n=available, tier=tier)
    tx.execute(
        "DELETE FROM licenses WHERE id IN"
        " (SELECT id FROM licenses WHERE tier = ? AND user_id IS NULL ORDER BY id DESC LIMIT ?)",
        (tier, quantity),
    )
    history.charge(tx, actor, "removal", tier, quantity, 0)
    history.audit(tx, actor, "remove_pool_licenses", tier, f"{quantity} × {tier} removed permanently")
    return quantity


def _take_free(tx: Tx, tier: str) -> int:
    license_id = tx.scalar(
        "SELECT id FROM licenses WHERE tier = ? AND user_id IS NULL ORDER BY id LIMIT 1", (tier,)
    )
    if license_id is None:
        raise RuleViolation("err_no_available", tier=tier)
    return int(license_id)


def _choose(tier: str) -> str:
    if not tier:
        raise RuleViolation("err_choose_license")
    return check_tier(tier)


def assign(tx: Tx, actor: str, user_id: int, tier: str) -> dict[str, object]:
    user = get_user(tx, user_id)
    tier = _choose(tier)
    if user["tier"]:
        raise RuleViolation("err_already_holds", email=user["email"])
    tx.execute("UPDATE licenses SET user_id = ? WHERE id = ?", (user_id, _take_free(tx, tier)))
    history.audit(tx, actor, "assign_license", str(user["email"]), tier)
    return user


def modify(tx: Tx, actor: str, user_id: int, tier: str) -> dict[str, object]:
    """Give the user a free license of another tier; the old one goes back to the pool, still billed."""
    user = get_user(tx, user_id)
    tier = _choose(tier)
    if not user["tier"]:
        raise RuleViolation("err_holds_none", email=user["email"])
    if user["tier"] == tier:
        raise RuleViolation("err_same_tier", email=user["email"], tier=tier)
    new_id = _take_free(tx, tier)
    tx.execute("UPDATE licenses SET user_id = NULL WHERE user_id = ?", (user_id,))
    tx.execute("UPDATE licenses SET user_id = ? WHERE id = ?", (user_id, new_id))
    history.audit(tx, actor, "modify_license", str(user["email"]), f"{user['tier']} → {tier}")
    return user


def unassign(tx: Tx, actor: str, user_id: int) -> dict[str, object]:
    user = get_user(tx, user_id)
    if not user["tier"]:
        raise RuleViolation("err_holds_none", email=user["email"])
    tx.execute("UPDATE licenses SET user_id = NULL WHERE user_id = ?", (user_id,))
    history.audit(tx, actor, "remove_license", str(user["email"]), f"{user['tier']} returned to the pool")
    return user


def transfer(tx: Tx, actor: str, from_id: int, to_id: int) -> tuple[dict[str, object], dict[str, object]]:
    source, target = get_user(tx, from_id), get_user(tx, to_id)
    if not source["tier"]:
        raise RuleViolation("err_holds_none", email=source["email"])
    if target["tier"]:
        raise RuleViolation("err_already_holds", email=target["email"])
    tx.execute("UPDATE licenses SET user_id = ? WHERE user_id = ?", (to_id, from_id))
    history.audit(
        tx, actor, "transfer_license", str(source["email"]), f"{source['tier']} to {target['email']}"
    )
    return source, target

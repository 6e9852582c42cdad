"""The portal's state as a bulk run sees it: who holds which tier, and the license pool.

Built from the tables `runbooks/_bulk/read_portal.yaml` extracts (`extract what: table` of entries
whose `columns` the catalogue declares): rows keyed by the catalogue's column names, tiers as
canonical values and numbers already read in the page's locale. Every wording of the portal
("Licence", "Éco", "29,00 $") is the catalogue's business, none is named here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


class StateError(ValueError):
    """A table does not look like the one expected (a changed page): stop, do not guess."""


@dataclass(frozen=True)
class PoolLine:
    tier: str
    price_cents: int
    total: int
    assigned: int
    available: int


@dataclass(frozen=True)
class PortalState:
    users: Mapping[str, str | None] = field(default_factory=dict)  # email (lower case) -> tier or None
    pool: Mapping[str, PoolLine] = field(default_factory=dict)  # by tier, cheapest first

    def tier_of(self, email: str) -> str | None:
        return self.users.get(email.lower())

    def has_user(self, email: str) -> bool:
        return email.lower() in self.users

    def rank(self, tier: str) -> int:
        """Tiers rank by price: a downgrade goes to a cheaper one."""
        order = sorted(self.pool.values(), key=lambda p: p.price_cents)
        return next(i for i, p in enumerate(order) if p.tier == tier)

    def bill_cents(self, totals: Mapping[str, int] | None = None) -> int:
        counts = totals if totals is not None else {t: p.total for t, p in self.pool.items()}
        return sum(self.pool[t].price_cents * n for t, n in counts.items())

    def as_json(self) -> dict[str, Any]:
        return {
            "pool": {
                t: {"price_cents": p.price_cents, "total": p.total, "assigned": p.assigned, "available": p.available}
                for t, p in self.pool.items()
            },
            "users": dict(self.users),
        }


def _key(row: Mapping[str, Any], key: str, table: str) -> Any:
    if key not in row:
        raise StateError(f"the {table} table has no {key!r} column (columns: {', '.join(map(str, row))})")
    return row[key]


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or int(value) != value:
        raise StateError(f"{what}: {value!r} is not one whole number")
    return int(value)


def _cents(value: Any, what: str) -> int:
    if not isinstance(value, Decimal) or value != value.quantize(Decimal("0.01")):
        raise StateError(f"{what}: {value!r} is not an amount in cents")
    return int(value * 100)


def parse_users(rows: Sequence[Mapping[str, Any]]) -> dict[str, str | None]:
    """`users.table` rows as the catalogue's columns give them: {email, tier}; tier "" is none."""
    users: dict[str, str | None] = {}
    for row in rows:
        tier = str(_key(row, "tier", "users"))
        users[str(_key(row, "email", "users")).strip().lower()] = tier or None
    return users


def parse_pool(rows: Sequence[Mapping[str, Any]]) -> dict[str, PoolLine]:
    """`licenses.purchased` rows as the catalogue's columns give them: {tier, price (a number in
    the page's locale), total, assigned, available}."""
    if not rows:
        raise StateError("the purchased-licenses table is empty")
    lines = []
    for row in rows:
        tier = str(_key(row, "tier", "pool"))
        lines.append(
            PoolLine(
                tier=tier,
                price_cents=_cents(_key(row, "price", "pool"), f"{tier} price"),
                total=_int(_key(row, "total", "pool"), f"{tier} total"),
                assigned=_int(_key(row, "assigned", "pool"), f"{tier} assigned"),
                available=_int(_key(row, "available", "pool"), f"{tier} available"),
            )
        )
    for line in lines:
        if line.total != line.assigned + line.available:
            raise StateError(f"{line.tier}: total {line.total} is not assigned + available")
    return {line.tier: line for line in sorted(lines, key=lambda p: p.price_cents)}


def from_outputs(outputs: Mapping[str, Any]) -> PortalState:
    """The state from a read job's outputs (`users` and/or `pool` tables)."""
    users = parse_users(outputs["users"]) if outputs.get("users") is not None else {}
    pool = parse_pool(outputs["pool"]) if outputs.get("pool") is not None else {}
    return PortalState(users=users, pool=pool)

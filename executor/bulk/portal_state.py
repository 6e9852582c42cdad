"""The portal's state as a bulk run sees it: who holds which tier, and the license pool.

Built from the tables `runbooks/_bulk/read_portal.yaml` extracts (`extract what: table`: a list of
{column header: cell text}). Columns are found by their header's meaning, not their position,
and both dialects' spellings are accepted ("License" / "Licence").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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


def _column(row: Mapping[str, str], pattern: str, what: str) -> str:
    for header in row:
        if re.search(pattern, header, re.IGNORECASE):
            return header
    raise StateError(f"the {what} table has no column like /{pattern}/ (columns: {', '.join(row)})")


def _int(text: str, what: str) -> int:
    found = re.findall(r"\d+", text)
    if len(found) != 1:
        raise StateError(f"{what}: {text!r} is not one whole number")
    return int(found[0])


def _cents(text: str) -> int:
    found = re.search(r"(\d+)[.,](\d{2})", text)
    if found is None:
        raise StateError(f"price {text!r} has no amount with two decimals")
    return int(found.group(1)) * 100 + int(found.group(2))


def parse_users(rows: Sequence[Mapping[str, str]]) -> dict[str, str | None]:
    if not rows:
        return {}
    email = _column(rows[0], r"^e-?mail", "users")
    tier = _column(rows[0], r"^licen[cs]e$", "users")
    users: dict[str, str | None] = {}
    for row in rows:
        value = row[tier].strip()
        users[row[email].strip().lower()] = None if re.match(r"^no licen[cs]e", value, re.I) or not value else value
    return users


def parse_pool(rows: Sequence[Mapping[str, str]]) -> dict[str, PoolLine]:
    if not rows:
        raise StateError("the purchased-licenses table is empty")
    first = rows[0]
    tier, price = _column(first, r"^licen[cs]e$", "pool"), _column(first, r"^price", "pool")
    total, assigned = _column(first, r"^total", "pool"), _column(first, r"^assigned", "pool")
    available = _column(first, r"available", "pool")
    lines = [
        PoolLine(
            tier=row[tier].strip(),
            price_cents=_cents(row[price]),
            total=_int(row[total], f"{row[tier]} total"),
            assigned=_int(row[assigned], f"{row[tier]} assigned"),
            available=_int(row[available], f"{row[tier]} available"),
        )
        for row in rows
    ]
    for line in lines:
        if line.total != line.assigned + line.available:
            raise StateError(f"{line.tier}: total {line.total} is not assigned + available")
    return {line.tier: line for line in sorted(lines, key=lambda p: p.price_cents)}


def from_outputs(outputs: Mapping[str, Any]) -> PortalState:
    """The state from a read job's outputs (`users` and/or `pool` tables)."""
    users = parse_users(outputs["users"]) if outputs.get("users") is not None else {}
    pool = parse_pool(outputs["pool"]) if outputs.get("pool") is not None else {}
    return PortalState(users=users, pool=pool)

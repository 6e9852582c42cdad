"""Tiers, prices and the arithmetic of money. Amounts are integer cents everywhere inside the portal."""

from __future__ import annotations

import calendar
from datetime import date

TIERS = ("Eco", "Advanced", "Pro")  # low to high
PRICE_CENTS = {"Eco": 900, "Advanced": 1900, "Pro": 2900}  # per license per month, CAD
CURRENCY = "CAD"
MAX_PURCHASE_QUANTITY = 100


def rank(tier: str) -> int:
    return TIERS.index(tier)


def higher_tiers(tier: str) -> tuple[str, ...]:
    return TIERS[rank(tier) + 1 :]


def money(cents: int) -> str:
    """Two decimals, no thousands separator: 2900 -> '29.00'."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def as_number(cents: int) -> float:
    return round(cents / 100, 2)


def month_days(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def remaining_days(day: date) -> int:
    """Days left in the month, today included: an upgrade on the last day still pays one day."""
    return month_days(day) - day.day + 1


def prorated_upgrade_cents(from_tier: str, to_tier: str, quantity: int, day: date) -> int:
    """(new price - old price) x quantity x remaining days / days in month, rounded half up to the cent."""
    numerator = (PRICE_CENTS[to_tier] - PRICE_CENTS[from_tier]) * quantity * remaining_days(day)
    days = month_days(day)
    return (2 * numerator + days) // (2 * days)


def monthly_bill_cents(totals: dict[str, int]) -> int:
    """Every license in the pool is billed, assigned or not."""
    return sum(PRICE_CENTS[tier] * totals.get(tier, 0) for tier in TIERS)

"""How each dialect writes an amount of money. Amounts are integer cents inside the portal (billing.py);
only the pages, messages and files turn them into text, through one of these.

The English dialects keep the portal's historical form: "29.00" inside texts that add " CAD" themselves.
fr-ca writes what a French-Canadian ASP.NET site prints for the fr-CA culture, "1 450,00 $" (no-break
spaces as group separator and before the symbol). That comes from Babel's CLDR data, never from a
hand-written pattern, so it matches real fr-CA formatting.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency, format_decimal

from .billing import CURRENCY, money


def _decimal(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


@dataclass(frozen=True)
class Amounts:
    """The three places an amount appears, and the CSV separator that goes with its decimal mark."""

    locale: str | None  # a Babel locale, or None for the English dialects' fixed form
    csv_delimiter: str

    def in_text(self, cents: int) -> str:
        """Fills the {amount}/{price} field of a label: English texts carry " CAD" themselves."""
        if self.locale is None:
            return money(cents)
        return format_currency(_decimal(cents), CURRENCY, locale=self.locale)

    def alone(self, cents: int) -> str:
        """An amount on its own, in a table cell: "29.00 CAD" / "29,00 $"."""
        if self.locale is None:
            return f"{money(cents)} {CURRENCY}"
        return self.in_text(cents)

    def in_csv(self, cents: int) -> str:
        """A number a spreadsheet of that locale reads as a number: no symbol, no group separator."""
        if self.locale is None:
            return money(cents)
        return format_decimal(_decimal(cents), format="0.00", locale=self.locale)


ENGLISH = Amounts(locale=None, csv_delimiter=",")
# A decimal comma needs another field separator; French Excel reads ";" by default.
FRENCH_CANADA = Amounts(locale="fr_CA", csv_delimiter=";")

"""The monthly invoice as a CSV file: a line per tier (license, count, unit price, monthly amount) and
the total, in the dialect's number format.

The file is meant for a spreadsheet of the admin's language: fr-ca writes decimal commas, so its fields
are separated by ";" (what French Excel expects); English writes "," and ".". It starts with a UTF-8
byte-order mark, without which Excel mis-reads the accents of "Éco" and "Avancé".
"""

from __future__ import annotations

import csv
import io
from datetime import date

from .amounts import Amounts
from .billing import PRICE_CENTS, TIERS, monthly_bill_cents
from .labels import Labels

BOM = "\ufeff"
HEADER_KEYS = ("invoice_col_license", "invoice_col_count", "invoice_col_unit_price", "invoice_col_monthly")


def invoice_csv(labels: Labels, amounts: Amounts, totals: dict[str, int]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=amounts.csv_delimiter, lineterminator="\r\n")
    writer.writerow([labels(key) for key in HEADER_KEYS])
    for tier in TIERS:
        count = totals.get(tier, 0)
        price = PRICE_CENTS[tier]
        writer.writerow([labels.tier(tier), count, amounts.in_csv(price), amounts.in_csv(price * count)])
    writer.writerow([labels("invoice_total"), "", "", amounts.in_csv(monthly_bill_cents(totals))])
    return BOM + out.getvalue()


def invoice_filename(labels: Labels, month: date) -> str:
    return labels("invoice_file", month=f"{month:%Y-%m}")

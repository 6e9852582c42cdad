"""The monthly invoice CSV on the billing page, in every dialect's number format."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest


def test_billing_page_links_the_invoice(admin: Any, fr_admin: Any) -> None:
    link = '<a href="/billing/invoice.csv" download data-testid="invoice-csv">'
    assert link + "Download the invoice (CSV)</a>" in admin.get("/billing").text
    assert link + "Télécharger la facture (CSV)</a>" in fr_admin.get("/billing").text


@pytest.mark.parametrize("dialect", ["2026", "2024"])
def test_english_invoice_uses_commas_and_points(make_app: Any, browser_for: Any, dialect: str) -> None:
    admin = browser_for(make_app(dialect=dialect)).login()
    admin.post("/licenses/pay", {"line_tier": "Pro", "line_quantity": "44", "accept": "yes"})
    answer = admin.get("/billing/invoice.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="invoice-2026-01.csv"'
    assert answer.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, for Excel
    assert answer.text.lstrip("\ufeff") == (
        "License,Licenses,Unit price,Monthly amount\r\n"
        "Eco,6,9.00,54.00\r\n"
        "Advanced,8,19.00,152.00\r\n"
        "Pro,50,29.00,1450.00\r\n"
        "Total,,,1656.00\r\n"
    )


def test_french_invoice_uses_semicolons_and_decimal_commas(fr_admin: Any) -> None:
    fr_admin.post("/licenses/remove", {"tier": "Eco", "quantity": "1"})
    answer = fr_admin.get("/billing/invoice.csv")
    assert answer.headers["content-disposition"] == 'attachment; filename="facture-2026-01.csv"'
    assert answer.text.lstrip("\ufeff") == (
        "Licence;Licences;Prix unitaire;Montant mensuel\r\n"
        "Éco;5;9,00;45,00\r\n"
        "Avancé;8;19,00;152,00\r\n"
        "Pro;6;29,00;174,00\r\n"
        "Total;;;371,00\r\n"
    )
    # What a French spreadsheet reads: one cell per field, numbers with a decimal comma.
    rows = list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff")), delimiter=";"))
    assert rows[-1] == ["Total", "", "", "371,00"]


def test_large_french_amounts_have_no_group_separator_in_the_csv(fr_admin: Any, browser_for: Any) -> None:
    fr_admin.hook("/_test/reset", {"seed": "bulk:50"})
    admin = browser_for(fr_admin.http.app).login()
    assert admin.get("/billing/invoice.csv").text.endswith("Total;;;1450,00\r\n")


def test_the_invoice_is_for_admins_only(new_client: Any) -> None:
    standard = new_client().login("user03@acme.example")
    assert standard.get("/billing/invoice.csv").status_code == 403

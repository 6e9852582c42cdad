"""fr-ca: a French text for every label, the documented French labels, tier display names, and fr-CA
amounts formatted by Babel."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

import pytest
from babel.numbers import format_currency

from fake_portal.config import ALL_DIALECTS, DIALECTS
from fake_portal.dialects import DIALECT_TRAITS
from fake_portal.labels import LABELS, Labels, label_table
from fake_portal.labels_fr import FRENCH, QUOTED

DOCS = Path(__file__).resolve().parents[3] / "docs" / "portal-ui.md"
NBSP = "\u00a0"


def cad(amount: float) -> str:
    return format_currency(amount, "CAD", locale="fr_CA")


def plain(text: str) -> str:
    """As the flash helpers read texts: any run of white space (NBSP included) as one space."""
    return " ".join(text.split())


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_label_key_has_a_french_text_with_the_same_fields() -> None:
    french = label_table("fr-ca")
    assert set(french) == set(LABELS)
    assert all(text.strip() for text in french.values())
    english = label_table("2026")
    mismatched = {key for key in LABELS if _fields(french[key]) != _fields(english[key])}
    assert mismatched == set()


def test_the_french_labels_quoted_by_the_knowledge_base_are_copied_exactly() -> None:
    assert set(QUOTED) <= set(FRENCH)
    expected = {
        "menu_options": "Options",
        "menu_licenses": "Gestion des licences et achats",
        "menu_users": "Gestion des utilisateurs",
        "menu_statistics": "Statistiques utilisateur",
        "menu_roles": "Rôles et permissions",
        "menu_billing": "Factures",
        "lic_add": "Ajouter",
        "lic_checkout": "Valider mes achats",
        "lic_pay": "Procéder à l’achat",
        "users_manage_license": "Gérer la licence",
        "ml_modify": "Modifier",
        "ml_remove": "Retirer",
        "ml_transfer": "Transférer la licence",
        "ml_save": "Sauvegarder",
        "create_title": "Créer un utilisateur",
        "import_button": "Importer des utilisateurs",
        "stats_get": "Obtenir les statistiques",
        "roles_add": "Ajouter un groupe de rôle",
    }
    assert {key: FRENCH[key] for key in expected} == expected
    t = Labels("fr-ca")
    assert [t("lic_package_name", tier=tier) for tier in ("Eco", "Advanced", "Pro")] == [
        "Forfait Éco",
        "Forfait Avancé",
        "Forfait Pro",
    ]


def test_docs_list_every_french_label_and_mark_the_chosen_ones() -> None:
    """docs/portal-ui.md carries the whole fr-ca column; a label the knowledge base does not quote is
    marked "(not documented: chosen)", and only those."""
    rows = {}
    for line in DOCS.read_text().splitlines():
        match = re.match(r"^\| `([a-z0-9_A-Z]+)` \| (.*) \| (.*) \|$", line)
        if match:
            rows[match.group(1)] = (match.group(2), match.group(3))
    assert set(rows) == set(LABELS), set(LABELS) ^ set(rows)
    for key, (_english, french) in rows.items():
        chosen = "(not documented: chosen)" in french
        assert chosen == (key not in QUOTED), key
        assert f"“{FRENCH[key]}”" in french, key


def test_the_runbook_suite_runs_in_every_dialect() -> None:
    # executor/qa runs every example in config.DIALECTS: the catalogue knows the French words too.
    assert DIALECTS == ALL_DIALECTS == ("2026", "2024", "fr-ca")
    assert tuple(DIALECT_TRAITS) == ALL_DIALECTS


def test_labels_show_tier_display_names_in_fields() -> None:
    t = Labels("fr-ca")
    assert t.tier("Eco") == "Éco" and t.tier("Advanced") == "Avancé" and t.tier("Pro") == "Pro"
    assert t("lic_paid", qty=1, tier="Eco") == "Paiement accepté : 1 licence(s) Éco ajoutée(s)."
    assert t.tier("Gold") == "Gold"  # not a tier: shown as given
    assert Labels("2026")("lic_paid", qty=1, tier="Eco") == "Payment accepted: 1 Eco license(s) added."


def test_pages_show_french_tier_names_and_keep_canonical_values(fr_admin: Any) -> None:
    page = fr_admin.get("/licenses").text
    assert '<html lang="fr-CA">' in page
    assert "<h1>Gestion des licences et achats</h1>" in page
    for tier, shown in (("Eco", "Éco"), ("Advanced", "Avancé"), ("Pro", "Pro")):
        package = page.split(f'data-testid="package-{tier}"')[1].split("</tr>")[0]
        assert f">Forfait {shown}</span></th>" in package and ">Ajouter</button>" in package
        assert f">Quantité de licences {shown}</label>" in package
        purchased = page.split(f'data-testid="licenses-{tier}"')[1].split("</tr>")[0]
        assert f">{shown}</span></th>" in purchased  # the row's name starts with the display name
    assert 'aria-label="Licences Éco disponibles : 1"' in page
    assert 'aria-label="Licences Avancé attribuées : 7"' in page
    eco = page.split('id="upgrade-Eco"')[1].split("</dialog>")[0]
    assert re.findall(r'<option value="(\w+)">([^<]+)</option>', eco) == [
        ("Advanced", "Avancé"),
        ("Pro", "Pro"),
    ]
    users = fr_admin.get("/users").text
    row = users.split('data-testid="user-user14@acme.example"')[1].split("</tr>")[0]
    assert ">Éco</span>" in row and "Gérer la licence" in row and "Éditer l’utilisateur" in row
    assert 'data-tier-names=\'{"Advanced": "Avanc\\u00e9", "Eco": "\\u00c9co", "Pro": "Pro"}\'' in users
    assert fr_admin.user("user14@acme.example")["license"] == "Eco"  # the data keeps the canonical name


def test_english_pages_have_no_tier_name_map(admin: Any) -> None:
    assert "data-tier-names" not in admin.get("/users").text


def test_amounts_are_fr_ca_currency_everywhere(fr_admin: Any) -> None:
    page = fr_admin.post("/licenses/cart", {"tier": "Eco", "quantity": "1"}).text
    assert f"{cad(9)} / licence / mois" in page and cad(9) == f"9,00{NBSP}$"
    assert f"Éco × 1 — {cad(9)} / mois" in page
    assert f"Total : {cad(9)} / mois" in page
    assert fr_admin.statuses(page) == ["Ligne Éco × 1 ajoutée au panier."]
    assert "CAD" not in page.split("<main>")[1]
    bill = fr_admin.get("/billing").text
    assert f"Facture mensuelle actuelle : {cad(380)}" in bill
    assert f"<td>{cad(29)}</td>" in bill and f"<td>{cad(174)}</td>" in bill
    assert "Carte au dossier : Visa se terminant par 4242" in bill


def test_amounts_use_a_thousands_separator_from_babel(fr_admin: Any) -> None:
    fr_admin.hook("/_test/reset", {"seed": "bulk:50"})
    admin = type(fr_admin)(fr_admin.http.app).login()
    assert cad(1450) == f"1{NBSP}450,00{NBSP}$"
    assert f"Facture mensuelle actuelle : {cad(1450)}" in admin.get("/billing").text


def test_upgrade_amounts_and_messages_in_french(fr_admin: Any) -> None:
    quote = fr_admin.get(
        "/licenses/upgrade", params=[("from", "Eco"), ("to", "Pro"), ("holder", "user14@acme.example")]
    ).text
    # 2026-01-10: (29 - 9) x 22 / 31 = 14.19
    assert f"Montant dû maintenant : {cad(14.19)}" in quote
    assert f"Montant du renouvellement : {cad(29)} / mois" in quote
    assert "1 licence(s) du forfait Éco au forfait Pro :" in quote
    assert ">Procéder à l’achat</button>" in quote
    done = fr_admin.post("/licenses/upgrade", {"from": "Eco", "to": "Pro", "holder": "user14@acme.example"})
    assert fr_admin.statuses(done.text) == [
        plain(f"1 licence(s) mise(s) à niveau du forfait Éco au forfait Pro. Montant débité : {cad(14.19)}.")
    ]


def test_refusals_are_french_with_display_names(fr_admin: Any) -> None:
    user = fr_admin.user_id("user14@acme.example")
    page = fr_admin.post("/users/license/modify", {"user_id": user, "tier": "Pro"}).text
    assert fr_admin.alerts(page) == [
        "Aucune licence Pro disponible : achetez-en une sur la page des licences."
    ]
    page = fr_admin.post("/users/license/modify", {"user_id": user, "tier": "Eco"}).text
    assert fr_admin.alerts(page) == ["user14@acme.example détient déjà une licence Éco."]
    page = fr_admin.post("/licenses/remove", {"tier": "Advanced", "quantity": "5"}).text
    assert fr_admin.alerts(page) == [
        "Seulement 1 licence(s) Avancé disponible(s). Les licences attribuées ne peuvent pas être supprimées."
    ]


@pytest.mark.parametrize("dialect", ["2026", "2024"])
def test_english_amounts_are_unchanged(make_app: Any, browser_for: Any, dialect: str) -> None:
    admin = browser_for(make_app(dialect=dialect)).login()
    page = admin.post("/licenses/cart", {"tier": "Pro", "quantity": "50"}).text
    assert "29.00 CAD / license / month" in page and "Pro × 50 — 1450.00 CAD / month" in page
    assert "Current monthly bill: 380.00 CAD" in admin.get("/billing").text

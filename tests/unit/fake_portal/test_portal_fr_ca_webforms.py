"""fr-ca behaves like an ASP.NET WebForms site: native confirm() on the destructive buttons, an alert()
after a pool removal, AutoPostBack selects with a signed __VIEWSTATE, a paged user list, and the Forms
authentication login page /Connexion.aspx?ReturnUrl=…"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from typing import Any

import pytest

CONFIRMS = {
    "pool removal": "return confirm('Supprimer définitivement ces licences Éco? Cette action est irréversible.');",
    "remove license": "return confirm('Retirer la licence de cet utilisateur?');",
    "delete user": "return confirm('Supprimer définitivement cet utilisateur et tous ses journaux?');",
}


def onclicks(page: str) -> dict[str, str]:
    """data-testid -> the (decoded) onclick handler of every element that has one."""
    found = re.findall(r'data-testid="([^"]+)"\s+onclick="([^"]+)"', page)
    return {testid: html.unescape(handler) for testid, handler in found}


def csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def viewstate_of(page: str) -> str:
    match = re.search(r'name="__VIEWSTATE" value="([^"]+)"', page)
    assert match, "no __VIEWSTATE on the page"
    return match.group(1)


# --- confirm() and alert() -----------------------------------------------------------------------


def test_destructive_confirm_buttons_raise_a_native_confirm(fr_admin: Any) -> None:
    licenses = fr_admin.get("/licenses")
    handlers = onclicks(licenses.text)
    assert handlers == {
        "confirm-removal-Eco": CONFIRMS["pool removal"],
        "confirm-removal-Advanced": CONFIRMS["pool removal"].replace("Éco", "Avancé"),
    }
    # Same page structure as English: the in-page alertdialog, in French, with the permanence warning.
    assert '<dialog id="confirm-remove-Eco" role="alertdialog"' in licenses.text
    dialog = licenses.text.split('id="confirm-remove-Eco"')[1].split("</dialog>")[0]
    assert "La suppression est définitive : une licence supprimée ne peut pas être récupérée." in dialog
    assert ">Confirmer la suppression</button>" in dialog
    users = fr_admin.get("/users").text
    assert onclicks(users) == {
        "rl-confirm": CONFIRMS["remove license"],
        "du-confirm": CONFIRMS["delete user"],
    }


def test_the_csp_allows_exactly_the_inline_handlers_of_the_page(fr_admin: Any) -> None:
    response = fr_admin.get("/licenses")
    policy = response.headers["content-security-policy"]
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
    expected = {csp_hash(h) for h in onclicks(response.text).values()}
    assert set(re.findall(r"'sha256-[^']+'", script_src)) == expected
    assert "'unsafe-hashes'" in script_src and "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy


def test_english_buttons_have_no_inline_script(admin: Any) -> None:
    for path in ("/licenses", "/users"):
        response = admin.get(path)
        assert "onclick=" not in response.text and "onchange=" not in response.text
        assert "script-src 'self';" in response.headers["content-security-policy"]


def test_a_pool_removal_answers_with_an_alert_and_the_status(fr_admin: Any) -> None:
    fr_admin.post("/licenses/cart", {"tier": "Pro", "quantity": "1"})
    response = fr_admin.post("/licenses/remove", {"tier": "Eco", "quantity": "1"})
    assert fr_admin.statuses(response.text) == ["1 licence(s) Éco supprimée(s)."]
    [script] = re.findall(r'<script nonce="([^"]+)">(.*?)</script>', response.text)
    nonce, source = script
    assert source == "alert('1 licence(s) Éco supprimée(s).');"
    assert f"'nonce-{nonce}'" in response.headers["content-security-policy"]
    assert fr_admin.state()["pool"]["Eco"]["total"] == 5
    # Shown once, like the status: the next page load has neither.
    again = fr_admin.get("/licenses")
    assert "<script nonce" not in again.text and "nonce-" not in again.headers["content-security-policy"]


def test_a_refused_removal_raises_no_alert(fr_admin: Any) -> None:
    response = fr_admin.post("/licenses/remove", {"tier": "Eco", "quantity": "9"})
    assert fr_admin.alerts(response.text) and "<script nonce" not in response.text


def test_an_alert_text_cannot_break_out_of_its_script(fr_admin: Any) -> None:
    fr_admin.hook("/_test/labels", {"overrides": {"lic_removed_alert": "</script><b>x</b>'\\"}})
    page = fr_admin.post("/licenses/remove", {"tier": "Eco", "quantity": "1"}).text
    [source] = re.findall(r"<script nonce=\"[^\"]+\">(.*?)</script>", page)
    assert source == "alert('\\x3C/script\\x3E\\x3Cb\\x3Ex\\x3C/b\\x3E\\'\\\\');"


def test_english_pool_removal_raises_no_alert(admin: Any) -> None:
    page = admin.post("/licenses/remove", {"tier": "Eco", "quantity": "1"}).text
    assert admin.statuses(page) == ["1 Eco license(s) removed."] and "<script nonce" not in page


# --- AutoPostBack --------------------------------------------------------------------------------


def manage_dialog(page: str) -> str:
    return page.split('<dialog id="manage-license-dialog"')[1].split("</dialog>")[0]


def test_the_license_selects_post_back_and_save_starts_disabled(fr_admin: Any) -> None:
    page = fr_admin.get("/users").text
    dialog = manage_dialog(page)
    for control in ("ml-new", "ml-assign"):
        select = re.search(rf'<select id="{control}"[^>]*>', dialog)
        assert select and "data-autopostback" in select.group(0)
        assert f'onchange="__doPostBack(&#39;{control}&#39;,&#39;&#39;)"' in select.group(0)
    assert re.search(r'data-testid="ml-save" disabled>Sauvegarder<', dialog)
    assert re.search(r'data-testid="ml-assign-save" disabled>Sauvegarder<', dialog)
    assert 'data-postback-url="/users?page=1"' in dialog and 'name="__EVENTTARGET"' in dialog
    assert '<script src="/static/webforms.js"></script>' in page
    assert "data-open-on-load" not in dialog


def test_a_postback_reopens_the_window_with_the_license_chosen(fr_admin: Any) -> None:
    page = fr_admin.get("/users").text
    user = fr_admin.user_id("user03@acme.example")
    answer = fr_admin.post(
        "/users?page=1",
        {"__VIEWSTATE": viewstate_of(page), "__EVENTTARGET": "ml-new", "user_id": str(user), "tier": "Eco"},
    )
    assert answer.status_code == 200 and answer.url.path == "/users"  # the page itself, not a redirect
    dialog = manage_dialog(answer.text)
    assert "data-open-on-load" in dialog.split(">")[0]
    assert '<h2 id="ml-h">Gérer la licence de user03@acme.example</h2>' in dialog
    assert "Licence actuelle : Pro" in dialog
    assert re.search(r'<form id="ml-modify"[^>]*novalidate data-step', dialog)  # shown, not hidden
    assert re.findall(
        r'<option value="(\w*)"( selected)?>([^<]+)</option>', dialog.split('id="ml-new"')[1]
    ) == [
        ("", "", "Choisir une licence"),
        ("Eco", " selected", "Éco"),
        ("Advanced", "", "Avancé"),
    ]
    assert re.search(r'data-testid="ml-save">Sauvegarder<', dialog)  # enabled by the server
    assert f'name="user_id" data-fill="user-id" value="{user}"' in dialog
    assert fr_admin.user("user03@acme.example")["license"] == "Pro"  # a postback saves nothing
    # Saving then works as in English.
    saved = fr_admin.post(
        "/users/license/modify", {"user_id": user, "tier": "Eco", "__VIEWSTATE": viewstate_of(answer.text)}
    )
    assert fr_admin.statuses(saved.text) == ["user03@acme.example détient maintenant une licence Éco."]
    assert fr_admin.user("user03@acme.example")["license"] == "Eco"


def test_posting_back_the_empty_choice_keeps_save_disabled(fr_admin: Any) -> None:
    page = fr_admin.get("/users").text
    user = fr_admin.user_id("user19@acme.example")  # no license: the assign select
    answer = fr_admin.post(
        "/users",
        {"__VIEWSTATE": viewstate_of(page), "__EVENTTARGET": "ml-assign", "user_id": user, "tier": ""},
    ).text
    dialog = manage_dialog(answer)
    assert re.search(r"<div data-holder-only hidden>", dialog)
    assert re.search(r'data-testid="ml-assign-save" disabled>', dialog)
    assert '<option value="Eco">Éco</option>' in dialog
    chosen = fr_admin.post(
        "/users",
        {"__VIEWSTATE": viewstate_of(page), "__EVENTTARGET": "ml-assign", "user_id": user, "tier": "Eco"},
    ).text
    assert re.search(r'data-testid="ml-assign-save">Sauvegarder<', manage_dialog(chosen))


def test_a_tampered_viewstate_is_refused(fr_admin: Any) -> None:
    page = fr_admin.get("/users").text
    forged = viewstate_of(page)[:-2] + "xx"
    user = fr_admin.user_id("user03@acme.example")
    answer = fr_admin.post("/users", {"__VIEWSTATE": forged, "__EVENTTARGET": "ml-new", "user_id": user})
    assert answer.status_code == 403 and "<h1>Formulaire expiré</h1>" in answer.text


def test_a_postback_still_needs_the_csrf_token(fr_admin: Any) -> None:
    page = fr_admin.get("/users").text
    answer = fr_admin.post("/users", {"__VIEWSTATE": viewstate_of(page), "csrf": "forged"}, csrf=False)
    assert answer.status_code == 403


def test_english_pages_do_not_post_back(admin: Any) -> None:
    assert admin.post("/users", {"__EVENTTARGET": "ml-new"}).status_code == 405
    page = admin.get("/users").text
    assert "__VIEWSTATE" not in page and "webforms.js" not in page
    assert re.search(r'data-testid="ml-save">Save<', page)  # enabled by portal.js as before


# --- paging --------------------------------------------------------------------------------------


def rows(page: str) -> list[str]:
    return re.findall(r'<tr data-testid="user-([^"]+)">', page)


@pytest.fixture
def fr_bulk_admin(fr_admin: Any, browser_for: Any) -> Any:
    fr_admin.hook("/_test/reset", {"seed": "bulk:100"})
    return browser_for(fr_admin.http.app).login()


def test_the_user_list_is_paged_25_a_page(fr_bulk_admin: Any) -> None:
    # bulk:100 is admin + user001..user100: 101 users, so 5 pages (the last holds user100 alone).
    first = fr_bulk_admin.get("/users").text
    assert rows(first) == ["admin@acme.example"] + [f"user{i:03d}@acme.example" for i in range(1, 25)]
    assert '<span data-testid="users-page">Page 1 de 5</span>' in first
    assert '<a href="/users?page=2" rel="next" data-testid="users-next">Suivant</a>' in first
    assert '<span class="muted" aria-disabled="true">Précédent</span>' in first
    assert 'aria-label="Pages de la liste des utilisateurs"' in first
    third = fr_bulk_admin.get("/users?page=3").text
    assert rows(third) == [f"user{i:03d}@acme.example" for i in range(50, 75)]
    assert '<a href="/users?page=2" rel="prev" data-testid="users-previous">Précédent</a>' in third
    assert '<a href="/users?page=4" rel="next" data-testid="users-next">Suivant</a>' in third
    assert "Page 3 de 5" in third
    last = fr_bulk_admin.get("/users?page=5").text
    assert rows(last) == ["user100@acme.example"]
    assert '<span class="muted" aria-disabled="true">Suivant</span>' in last


@pytest.mark.parametrize(("asked", "shown"), [("0", 1), ("-2", 1), ("abc", 1), ("99", 5), ("", 1)])
def test_a_page_number_out_of_range_shows_the_nearest_page(
    fr_bulk_admin: Any, asked: str, shown: int
) -> None:
    assert f"Page {shown} de 5" in fr_bulk_admin.get(f"/users?page={asked}").text


def test_a_change_returns_to_the_page_it_was_made_on(fr_bulk_admin: Any) -> None:
    page = fr_bulk_admin.get("/users?page=3").text
    user = re.search(r'data-user-id="(\d+)" data-email="user060@acme.example"', page)
    assert user
    answer = fr_bulk_admin.post(
        "/users/license/remove", {"user_id": user.group(1), "__VIEWSTATE": viewstate_of(page)}
    )
    assert answer.url.path == "/users" and answer.url.query == b"page=3"
    assert fr_bulk_admin.statuses(answer.text) == [
        "Licence retirée de user060@acme.example. Elle reste dans le compte et est toujours facturée."
    ]
    # Without a viewstate (or with a bad one) the list starts over at page 1.
    other = fr_bulk_admin.post("/users/license/remove", {"user_id": user.group(1)})
    assert other.url.query == b""


def test_english_user_list_is_not_paged(admin: Any, browser_for: Any) -> None:
    admin.hook("/_test/reset", {"seed": "bulk:100"})
    page = browser_for(admin.http.app).login().get("/users").text
    assert len(rows(page)) == 101 and "users-pager" not in page


# --- sign-in: /Connexion.aspx ---------------------------------------------------------------------


def test_an_expired_session_goes_to_connexion_aspx_with_the_return_url(fr_admin: Any) -> None:
    fr_admin.hook("/_test/expire_sessions", {})
    answer = fr_admin.get("/users?page=2", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/Connexion.aspx?ReturnUrl=%2Fusers%3Fpage%3D2"
    page = fr_admin.get(answer.headers["location"])
    assert page.status_code == 200 and "<h1>Connexion à Secure Exchanges</h1>" in page.text
    assert fr_admin.alerts(page.text) == ["Votre session a expiré. Veuillez vous reconnecter."]
    assert 'action="/Connexion.aspx"' in page.text


def test_an_expired_post_also_names_its_page(fr_admin: Any) -> None:
    fr_admin.hook("/_test/expire_sessions", {})
    answer = fr_admin.post("/licenses/remove", {"tier": "Eco", "quantity": "1"}, follow_redirects=False)
    assert answer.headers["location"] == "/Connexion.aspx?ReturnUrl=%2Flicenses%2Fremove"
    assert fr_admin.state()["pool"]["Eco"]["total"] == 6


def test_login_redirects_to_connexion_aspx_keeping_the_query(fr_app: Any, browser_for: Any) -> None:
    visitor = browser_for(fr_app)
    answer = visitor.get("/login?expired=1&email=a%40b.example", follow_redirects=False)
    assert answer.headers["location"] == "/Connexion.aspx?expired=1&email=a%40b.example"
    assert visitor.get("/users", follow_redirects=False).headers["location"] == "/Connexion.aspx"
    fresh = visitor.get("/Connexion.aspx").text
    assert visitor.alerts(fresh) == []  # no ReturnUrl, no expiry message
    assert "Adresse courriel" in fresh and "Code anti-robot" in fresh and ">Se connecter</button>" in fresh
    assert ">Sign in with Microsoft</button>" in fresh  # English even on the French portal (EN@FR)


def test_the_whole_login_works_in_french_with_2fa(fr_app: Any, browser_for: Any) -> None:
    visitor = browser_for(fr_app)
    page = visitor.get("/Connexion.aspx")
    wrong = visitor.post(
        "/Connexion.aspx",
        {"email": "secops@acme.example", "captcha": "x", "csrf": visitor.csrf_of(page.text)},
    )
    assert visitor.alerts(wrong.text) == ["Le code anti-robot est incorrect."]
    sent = visitor.request_link("secops@acme.example")
    assert sent.url.path == "/login/sent" and "<h1>Consultez vos courriels</h1>" in sent.text
    [mail] = visitor.outbox()
    assert mail["subject"] == "Votre lien de connexion Secure Exchanges"
    assert "Utiliser Secure Exchanges en ligne" in visitor.get("/outbox").text
    code_page = visitor.get(mail["link"])
    assert code_page.url.path == "/login/code" and "Code de vérification SMS" in code_page.text
    sms = visitor.outbox()[-1]
    assert (
        sms["body"]
        == f"SMS au +1 514-555-0142 : votre code de vérification Secure Exchanges est {sms['code']}."
    )
    home = visitor.post("/login/code", {"code": sms["code"], "csrf": visitor.csrf_of(code_page.text)})
    assert home.url.path == "/" and "<h1>Mon compte</h1>" in home.text
    out = visitor.post("/logout", {"csrf": visitor.csrf_of(home.text)}, follow_redirects=False)
    assert out.headers["location"] == "/Connexion.aspx?signed_out=1"
    assert visitor.statuses(visitor.get(out.headers["location"]).text) == ["Vous êtes déconnecté."]


def test_english_login_urls_are_unchanged(admin: Any, client: Any) -> None:
    admin.hook("/_test/expire_sessions", {})
    assert admin.get("/users", follow_redirects=False).headers["location"] == "/login?expired=1"
    assert client.get("/Connexion.aspx").status_code == 404
    assert client.post("/Connexion.aspx", {}).status_code == 404

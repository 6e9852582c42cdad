"""The pattern site: small pages with the idioms of a real ASP.NET WebForms admin portal, with ground
truth. Everything a page changes lives in one SiteState, served as JSON at GET /_state and reset by
POST /_reset; POST /_expire ends the session. (role "name"; [state keys]; NBSP = U+00A0.)

/                 heading "Home"; navigation "Main menu" (links to every page); button "End the session"
                  (POSTs /_expire).
/licenses         table "Licenses" (caption), columnheaders "License" "Available" "Assigned" and an empty
                  one; per tier Eco/Advanced/Pro a rowheader "<tier>", two bare number links ("2", "5"...)
                  to /licenses/<tier>/available|assigned (heading "Available Pro licenses: 3"), a button
                  "Delete one <tier> license" with confirm "Delete one <tier> license for good?"; the POST
                  redirects to /licenses?deleted=<tier>, which raises alert "1 <tier> license deleted."
                  while parsing and shows status "1 <tier> license deleted." [licenses {tier: {available,
                  assigned}}, deleted [tier], clicked [{page: "licenses", tier, column: "Available"|...}]]
/archive          button "Archive the report"; 300 ms later confirm "Archive the report?"; status
                  "Report archived." (POST /archive) or "Archive cancelled." [archived]
/reset            heading "Statistics"; button "Reset statistics", confirm "Reset all statistics?"; status
                  "Statistics reset." [resets]
/draft            textbox "Draft" (an edit arms beforeunload); link "Leave" to /; button "Save draft"
                  (disarms it, status "Draft saved.") [draft_saved, draft]
/checkout         heading "Checkout", text "Total: 29.00 $", iframe title "Payment" from the provider
                  (http://localhost:<B>): heading "Card payment", textbox "Card number", textbox "Expiry"
                  (MM/YY), button "Pay 29.00 $", alert "Card declined." (4000 0000 0000 0002) / "Invalid card
                  number." / "Invalid expiry date."; success sends the top window to POST /paid -> /paid?
                  payment=N: heading "Receipt", status "Payment accepted: 29.00 $", "Card ending in 4242."
                  [payments [{amount: "29.00", last4}], rejected_tokens]
/checkout-nested  the same, the provider frame inside iframe title "Wallet" (same origin, heading "Wallet").
/invoices         link "View invoice" (target=_blank: /invoice/2026-11, heading "Invoice 2026-11", test id
                  invoice-total "1 450,00 $" with NBSP), link "Download invoice CSV" (invoice-2026-11.csv),
                  button "Open help" (window.open('/help'), heading "Help") [invoice_views, downloads,
                  help_views]
/bill[?lang=fr]   heading "Bill" | "Facture"; test id monthly in "Monthly bill: $1,450.00" | "Facture
                  mensuelle : 1 450,00 $"; button "Lower the bill" | "Réduire la facture" (-29.00, status
                  "Bill lowered by $29.00." | "Facture réduite de 29,00 $."); test ids amount-fr-nbsp,
                  amount-fr-nnbsp, amount-en, credit-minus, credit-hyphen, credit-accounting, amount-plain
                  [bill "1450.00"]
/users?page=N     table "Users", rowheader "userNN@x.test", button "Select" per row; links "Previous"
                  "Next" in navigation "Pages", text "Page N of 3"; status "Selected <email>." [selected]
/grid             grid "Pool": columnheaders "Tier" "Available" "Assigned", rowheader "<tier>", gridcells
                  holding bare number buttons; status "Clicked Pro Assigned." [clicked [{page: "grid",
                  tier, column}]]
/form             heading "Bulk action"; combobox "Action:" (label wraps the select: Archive, Delete);
                  button "Apply" (status "Applied: Delete."); details "Options" hiding link "Export"
                  (/export: heading "Export", "Export ready.") [applied [action], exported]
/Login.aspx       while the session is expired every other page redirects (302) to /Login.aspx?ReturnUrl=
                  <percent-encoded path and query>: heading "Sign in", alert "Your session has expired.
                  Please sign in again.", button "Sign in" (back to ReturnUrl) [session_expired, logins]
"""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

from patterns_provider import read_token
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

TIERS = ("Eco", "Advanced", "Pro")
START_LICENSES = {"Eco": (2, 5), "Advanced": (1, 3), "Pro": (3, 4)}  # (available, assigned)
COLUMNS = {"available": "Available", "assigned": "Assigned"}
USERS = tuple(f"user{i:02d}@x.test" for i in range(1, 61))
PAGE_SIZE = 20
ACTIONS = ("Archive", "Delete")
CHECKOUT_AMOUNT = "29.00"
BILL_START = Decimal("1450.00")
BILL_STEP = Decimal("29.00")
INVOICE = "2026-11"
INVOICE_CSV = "Item,Quantity,Amount\r\nPro license,50,1450.00\r\nTotal,,1450.00\r\n"
NBSP, NNBSP, MINUS = "\u00a0", "\u202f", "\u2212"


class SiteState:
    """What the site did. Lists keep order; counts are ints; `bill` is a string like "1450.00"."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.licenses = {t: {"available": a, "assigned": s} for t, (a, s) in START_LICENSES.items()}
        self.deleted: list[str] = []  # tiers, one entry per license deleted
        self.clicked: list[dict[str, str]] = []  # {"page": "licenses"|"grid", "tier", "column"}
        self.archived = 0
        self.resets = 0
        self.draft_saved = 0
        self.draft = ""
        self.payments: list[dict[str, str]] = []  # {"amount": "29.00", "last4": "4242"}
        self.rejected_tokens = 0
        self.used_nonces: set[str] = set()  # not exposed
        self.downloads = 0
        self.invoice_views = 0
        self.help_views = 0
        self.bill = BILL_START
        self.selected: list[str] = []
        self.applied: list[str] = []
        self.exported = 0
        self.session_expired = False
        self.logins = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "licenses": {t: dict(v) for t, v in self.licenses.items()},
            "deleted": list(self.deleted),
            "clicked": [dict(c) for c in self.clicked],
            "archived": self.archived,
            "resets": self.resets,
            "draft_saved": self.draft_saved,
            "draft": self.draft,
            "payments": [dict(p) for p in self.payments],
            "rejected_tokens": self.rejected_tokens,
            "downloads": self.downloads,
            "invoice_views": self.invoice_views,
            "help_views": self.help_views,
            "bill": f"{self.bill:.2f}",
            "selected": list(self.selected),
            "applied": list(self.applied),
            "exported": self.exported,
            "session_expired": self.session_expired,
            "logins": self.logins,
        }


# --- formatting ---------------------------------------------------------------------------------


def en_ca(amount: Decimal) -> str:
    """$1,450.00 (negative: -$29.00)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def fr_ca(amount: Decimal, space: str = NBSP) -> str:
    """1 450,00 $ with `space` as the thousands separator and a no-break space before the $."""
    sign = MINUS if amount < 0 else ""
    whole, cents = f"{abs(amount):,.2f}".split(".")
    return f"{sign}{whole.replace(',', space)},{cents}{NBSP}$"


STYLE = """body { font-family: sans-serif; margin: 2rem; } table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; }
[role=grid] { display: inline-block; border: 1px solid #ccc; } [role=row] { display: flex; }
[role=row] > * { width: 7rem; padding: .3rem .6rem; border-bottom: 1px solid #eee; }
iframe { border: 1px solid #999; width: 460px; height: 340px; }"""


def layout(title: str, body: str, *, lang: str = "en", status: int = 200) -> HTMLResponse:
    page = (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>"
    )
    return HTMLResponse(page, status_code=status)


def status_line(text: str) -> str:
    return f'<p role="status" id="status">{html.escape(text)}</p>'


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def form_of(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


# --- session expiry, the ASP.NET forms-authentication way -----------------------------------------


class ExpiryGate:
    """While the session is expired, every request but the login page and the /_ hooks is redirected
    (302) to /Login.aspx?ReturnUrl=<encoded path and query>."""

    def __init__(self, app: ASGIApp, state: SiteState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] == "http"
            and self.state.session_expired
            and path != "/Login.aspx"
            and not path.startswith("/_")
            and path != "/favicon.ico"
        ):
            query = scope.get("query_string", b"").decode("latin-1")
            target = path + (f"?{query}" if query else "")
            response = RedirectResponse("/Login.aspx?ReturnUrl=" + quote(target, safe=""), status_code=302)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


# --- the app ------------------------------------------------------------------------------------


def create_site_app(state: SiteState, *, secret: bytes, site_url: str, provider_url: str) -> ASGIApp:
    paid_url = site_url + "/paid"
    payment_src = f"{provider_url}/card?" + urlencode({"amount": CHECKOUT_AMOUNT, "return": paid_url})

    # hooks

    async def get_state(request: Request) -> Response:
        return JSONResponse(state.as_json())

    async def post_reset(request: Request) -> Response:
        state.reset()
        return JSONResponse({"reset": True})

    async def post_expire(request: Request) -> Response:
        state.session_expired = True
        if "text/html" in request.headers.get("accept", ""):  # the button on the home page
            return see_other("/")
        return JSONResponse({"session_expired": True})

    # 11. home and sign-in

    async def home(request: Request) -> Response:
        links = [
            ("/licenses", "Licenses"),
            ("/archive", "Archive"),
            ("/reset", "Statistics"),
            ("/draft", "Draft"),
            ("/checkout", "Checkout"),
            ("/checkout-nested", "Checkout in a wallet"),
            ("/invoices", "Invoices"),
            ("/bill", "Bill"),
            ("/users", "Users"),
            ("/grid", "Pool"),
            ("/form", "Bulk action"),
        ]
        items = "".join(f'<li><a href="{href}">{name}</a></li>' for href, name in links)
        return layout(
            "Home",
            f'<h1>Home</h1>\n<nav aria-label="Main menu"><ul>{items}</ul></nav>\n'
            '<form method="post" action="/_expire"><button>End the session</button></form>',
        )

    async def login_page(request: Request) -> Response:
        query = request.url.query
        action = "/Login.aspx" + (f"?{query}" if query else "")
        notice = (
            '<p role="alert">Your session has expired. Please sign in again.</p>'
            if state.session_expired
            else ""
        )
        return layout(
            "Sign in",
            f"<h1>Sign in</h1>\n{notice}\n"
            f'<form method="post" action="{html.escape(action)}"><button>Sign in</button></form>',
        )

    async def login_post(request: Request) -> Response:
        state.session_expired = False
        state.logins += 1
        target = request.query_params.get("ReturnUrl", "/")
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        return RedirectResponse(target, status_code=302)

    # 1. licenses grid

    async def licenses(request: Request) -> Response:
        deleted = request.query_params.get("deleted")
        empty = request.query_params.get("empty")
        rows = []
        for tier in TIERS:
            counts = state.licenses[tier]
            cells = "".join(
                f'<td><a href="/licenses/{tier}/{key}">{counts[key]}</a></td>' for key in COLUMNS
            )
            rows.append(
                f'<tr><th scope="row">{tier}</th>{cells}<td>'
                f'<form method="post" action="/licenses/{tier}/delete">'
                f"<button onclick=\"return confirm('Delete one {tier} license for good?')\">"
                f"Delete one {tier} license</button></form></td></tr>"
            )
        message, script = "", ""
        if deleted in TIERS:
            message = f"1 {deleted} license deleted."
            script = f"<script>alert('{message}');</script>"  # RegisterStartupScript: runs while parsing
        elif empty in TIERS:
            message = f"No {empty} license left to delete."
        body = (
            "<h1>Licenses</h1>\n<table>\n<caption>Licenses</caption>\n"
            "<tr><th>License</th><th>Available</th><th>Assigned</th><th></th></tr>\n"
            + "\n".join(rows)
            + f"\n</table>\n{status_line(message)}\n{script}"
        )
        return layout("Licenses", body)

    async def license_count(request: Request) -> Response:
        tier, key = request.path_params["tier"], request.path_params["column"]
        if tier not in TIERS or key not in COLUMNS:
            return layout("Not found", "<h1>Not found</h1>", status=404)
        state.clicked.append({"page": "licenses", "tier": tier, "column": COLUMNS[key]})
        count = state.licenses[tier][key]
        return layout(
            f"{COLUMNS[key]} {tier} licenses",
            f"<h1>{COLUMNS[key]} {tier} licenses: {count}</h1>\n"
            '<p><a href="/licenses">Back to licenses</a></p>',
        )

    async def license_delete(request: Request) -> Response:
        tier = request.path_params["tier"]
        if tier not in TIERS:
            return layout("Not found", "<h1>Not found</h1>", status=404)
        if state.licenses[tier]["available"] <= 0:
            return see_other(f"/licenses?empty={tier}")
        state.licenses[tier]["available"] -= 1
        state.deleted.append(tier)
        return see_other(f"/licenses?deleted={tier}")

    # 2. a confirm() raised by a timer after the click

    async def archive_page(request: Request) -> Response:
        return layout(
            "Archive",
            """<h1>Archive</h1>
<p><button type="button" id="archive">Archive the report</button></p>
<p role="status" id="status"></p>
<script>
  const say = (text) => { document.getElementById('status').textContent = text; };
  document.getElementById('archive').addEventListener('click', () => {
    setTimeout(async () => {
      if (!confirm('Archive the report?')) { say('Archive cancelled.'); return; }
      const answer = await fetch('/archive', {method: 'POST'});
      say(answer.ok && !answer.redirected ? 'Report archived.' : 'The report could not be archived.');
    }, 300);
  });
</script>""",
        )

    async def archive_post(request: Request) -> Response:
        state.archived += 1
        return JSONResponse({"archived": state.archived})

    # 3. a confirm() on a postback button (the test leaves it undeclared: dismissed)

    async def reset_page(request: Request) -> Response:
        message = "Statistics reset." if request.query_params.get("done") else ""
        return layout(
            "Statistics",
            '<h1>Statistics</h1>\n<form method="post" action="/reset">'
            "<button onclick=\"return confirm('Reset all statistics?')\">Reset statistics</button></form>\n"
            + status_line(message),
        )

    async def reset_post(request: Request) -> Response:
        state.resets += 1
        return see_other("/reset?done=1")

    # 4. beforeunload after an edit

    async def draft_page(request: Request) -> Response:
        message = "Draft saved." if request.query_params.get("saved") else ""
        return layout(
            "Draft",
            f"""<h1>Draft</h1>
<form method="post" action="/draft" id="draft-form">
  <p><label for="draft">Draft</label><br><textarea id="draft" name="draft" rows="4" cols="40"></textarea></p>
  <p><button>Save draft</button></p>
</form>
<p><a href="/">Leave</a></p>
{status_line(message)}
<script>
  const guard = (event) => {{ event.preventDefault(); event.returnValue = ''; }};
  document.getElementById('draft').addEventListener('input',
    () => window.addEventListener('beforeunload', guard));
  document.getElementById('draft-form').addEventListener('submit',
    () => window.removeEventListener('beforeunload', guard));
</script>""",
        )

    async def draft_post(request: Request) -> Response:
        state.draft = (await form_of(request)).get("draft", "")
        state.draft_saved += 1
        return see_other("/draft?saved=1")

    # 5. checkout with the provider's cross-origin frame (and a nested variant)

    def payment_frame() -> str:
        return f'<iframe title="Payment" src="{html.escape(payment_src)}"></iframe>'

    async def checkout(request: Request) -> Response:
        return layout(
            "Checkout", f"<h1>Checkout</h1>\n<p>Total: {CHECKOUT_AMOUNT} $</p>\n{payment_frame()}"
        )

    async def checkout_nested(request: Request) -> Response:
        return layout(
            "Checkout",
            f"<h1>Checkout</h1>\n<p>Total: {CHECKOUT_AMOUNT} $</p>\n"
            '<iframe title="Wallet" src="/wallet" style="width: 520px; height: 480px"></iframe>',
        )

    async def wallet(request: Request) -> Response:
        return layout("Wallet", f"<h1>Wallet</h1>\n{payment_frame()}")

    async def paid_post(request: Request) -> Response:
        data = read_token(secret, (await form_of(request)).get("token", ""))
        if data is None or data["nonce"] in state.used_nonces:
            state.rejected_tokens += 1
            return layout(
                "Payment rejected",
                '<h1>Payment rejected</h1>\n<p role="alert">This payment token is not valid.</p>',
                status=400,
            )
        state.used_nonces.add(data["nonce"])
        state.payments.append({"amount": data["amount"], "last4": data["last4"]})
        return see_other(f"/paid?payment={len(state.payments)}")

    async def paid_page(request: Request) -> Response:
        number = request.query_params.get("payment", "")
        if not number.isdigit() or not 1 <= int(number) <= len(state.payments):
            return layout("Receipt", "<h1>Receipt</h1>\n<p>No payment.</p>", status=404)
        payment = state.payments[int(number) - 1]
        return layout(
            "Receipt",
            f"<h1>Receipt</h1>\n{status_line('Payment accepted: ' + payment['amount'] + ' $')}\n"
            f"<p>Card ending in {payment['last4']}.</p>",
        )

    # 6. new tab, download, popup

    async def invoices(request: Request) -> Response:
        return layout(
            "Invoices",
            f"""<h1>Invoices</h1>
<ul><li>November 2026:
  <a href="/invoice/{INVOICE}" target="_blank">View invoice</a>
  <a href="/invoice/{INVOICE}.csv">Download invoice CSV</a></li></ul>
<p><button type="button" id="help">Open help</button></p>
<script>document.getElementById('help').addEventListener('click', () => window.open('/help'));</script>""",
        )

    async def invoice(request: Request) -> Response:
        if request.path_params["month"] != INVOICE:
            return layout("Not found", "<h1>Not found</h1>", status=404)
        state.invoice_views += 1
        total = fr_ca(BILL_START)
        return layout(
            f"Invoice {INVOICE}",
            f'<h1>Invoice {INVOICE}</h1>\n<p>Total: <span data-testid="invoice-total">{total}</span></p>',
        )

    async def invoice_csv(request: Request) -> Response:
        if request.path_params["month"] != INVOICE:
            return layout("Not found", "<h1>Not found</h1>", status=404)
        state.downloads += 1
        return Response(
            INVOICE_CSV,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="invoice-{INVOICE}.csv"'},
        )

    async def help_page(request: Request) -> Response:
        state.help_views += 1
        return layout("Help", "<h1>Help</h1>\n<p>Invoices are issued on the first day of each month.</p>")

    # 7. amounts in several formats; the monthly bill in the page's locale

    async def bill_page(request: Request) -> Response:
        fr = request.query_params.get("lang") == "fr"
        lowered = bool(request.query_params.get("lowered"))
        samples = [
            ("amount-fr-nbsp", "Montant (espaces insécables)", "Amount, French (no-break spaces)",
             fr_ca(BILL_START)),
            ("amount-fr-nnbsp", "Montant (espaces fines insécables)",
             "Amount, French (narrow no-break spaces)", fr_ca(BILL_START, NNBSP).replace(NBSP, NNBSP)),
            ("amount-en", "Montant en anglais", "Amount, English", en_ca(BILL_START)),
            ("credit-minus", "Crédit (signe moins)", "Credit (minus sign)", fr_ca(-BILL_STEP)),
            ("credit-hyphen", "Crédit (trait d'union)", "Credit (hyphen)", f"-29,00{NBSP}$"),
            ("credit-accounting", "Crédit (comptabilité)", "Credit (accounting)", "($29.00)"),
            ("amount-plain", "Montant simple", "Plain amount", "29.00"),
        ]
        items = "\n".join(
            f'<dt>{html.escape(fr_label if fr else en_label)}</dt><dd data-testid="{testid}">{value}</dd>'
            for testid, fr_label, en_label, value in samples
        )
        if fr:
            amount = fr_ca(state.bill)
            monthly = f'<p>Facture mensuelle{NBSP}: <span data-testid="monthly">{amount}</span></p>'
            title, button = "Facture", "Réduire la facture"
            message = f"Facture réduite de {fr_ca(BILL_STEP)}." if lowered else ""
            other = '<p><a href="/bill" lang="en">English</a></p>'
        else:
            monthly = f'<p>Monthly bill: <span data-testid="monthly">{en_ca(state.bill)}</span></p>'
            title, button = "Bill", "Lower the bill"
            message = f"Bill lowered by {en_ca(BILL_STEP)}." if lowered else ""
            other = '<p><a href="/bill?lang=fr" lang="fr-CA">Français</a></p>'
        lang_field = '<input type="hidden" name="lang" value="fr">' if fr else ""
        return layout(
            title,
            f"<h1>{title}</h1>\n{monthly}\n"
            f'<form method="post" action="/bill">{lang_field}<button>{button}</button></form>\n'
            f"{status_line(message)}\n<dl>\n{items}\n</dl>\n{other}",
            lang="fr-CA" if fr else "en",
        )

    async def bill_post(request: Request) -> Response:
        fr = (await form_of(request)).get("lang") == "fr"
        if state.bill >= BILL_STEP:
            state.bill -= BILL_STEP
        return see_other("/bill?lang=fr&lowered=1" if fr else "/bill?lowered=1")

    # 8. a paged list

    async def users(request: Request) -> Response:
        pages = (len(USERS) + PAGE_SIZE - 1) // PAGE_SIZE
        raw = request.query_params.get("page", "1")
        number = min(max(int(raw) if raw.isdigit() else 1, 1), pages)
        rows = "\n".join(
            f'<tr><th scope="row">{email}</th><td><form method="post" action="/users/select">'
            f'<input type="hidden" name="email" value="{email}">'
            f'<input type="hidden" name="page" value="{number}">'
            "<button>Select</button></form></td></tr>"
            for email in USERS[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
        )
        previous = f'<a href="/users?page={number - 1}">Previous</a>' if number > 1 else ""
        following = f'<a href="/users?page={number + 1}">Next</a>' if number < pages else ""
        chosen = request.query_params.get("selected", "")
        message = f"Selected {chosen}." if chosen in USERS else ""
        return layout(
            "Users",
            "<h1>Users</h1>\n<table>\n<caption>Users</caption>\n"
            '<tr><th scope="col">Email</th><th scope="col">Action</th></tr>\n'
            f"{rows}\n</table>\n"
            f'<nav aria-label="Pages">{previous} <span>Page {number} of {pages}</span> {following}</nav>\n'
            + status_line(message),
        )

    async def users_select(request: Request) -> Response:
        form = await form_of(request)
        email, number = form.get("email", ""), form.get("page", "1")
        if email not in USERS:
            return layout("Not found", "<h1>Not found</h1>", status=404)
        state.selected.append(email)
        number = number if number.isdigit() else "1"
        return see_other("/users?" + urlencode({"page": number, "selected": email}))

    # 9. an ARIA grid of bare number buttons

    async def grid(request: Request) -> Response:
        rows = "\n".join(
            f'<div role="row"><span role="rowheader">{tier}</span>'
            + "".join(
                f'<span role="gridcell"><button type="button" data-tier="{tier}" data-column="{name}">'
                f"{state.licenses[tier][key]}</button></span>"
                for key, name in COLUMNS.items()
            )
            + "</div>"
            for tier in TIERS
        )
        return layout(
            "Pool",
            f"""<h1>Pool</h1>
<div role="grid" aria-label="Pool">
<div role="row"><span role="columnheader">Tier</span><span role="columnheader">Available</span>
  <span role="columnheader">Assigned</span></div>
{rows}
</div>
<p role="status" id="status"></p>
<script>
  for (const button of document.querySelectorAll('[role=grid] button')) {{
    button.addEventListener('click', async () => {{
      const {{tier, column}} = button.dataset;
      const answer = await fetch('/grid/click', {{
        method: 'POST', headers: {{'Content-Type': 'application/json'}},
        body: JSON.stringify({{tier, column}}),
      }});
      document.getElementById('status').textContent =
        answer.ok && !answer.redirected ? `Clicked ${{tier}} ${{column}}.` : 'The click was not recorded.';
    }});
  }}
</script>""",
        )

    async def grid_click(request: Request) -> Response:
        try:
            data = await request.json()
        except ValueError:
            data = None
        if (
            not isinstance(data, dict)
            or data.get("tier") not in TIERS
            or data.get("column") not in COLUMNS.values()
        ):
            return JSONResponse({"error": "bad click"}, status_code=400)
        state.clicked.append({"page": "grid", "tier": data["tier"], "column": data["column"]})
        return JSONResponse({"clicked": len(state.clicked)})

    # 10. a label wrapping its select; a details/summary menu

    async def form_page(request: Request) -> Response:
        applied = request.query_params.get("applied", "")
        message = f"Applied: {applied}." if applied in ACTIONS else ""
        options = "".join(f"<option>{a}</option>" for a in ACTIONS)
        return layout(
            "Bulk action",
            "<h1>Bulk action</h1>\n"
            '<form method="post" action="/form">\n'
            f'<p><label>Action: <select name="action">{options}</select></label></p>\n'
            "<p><button>Apply</button></p></form>\n"
            '<details><summary>Options</summary><a href="/export">Export</a></details>\n'
            + status_line(message),
        )

    async def form_post(request: Request) -> Response:
        action = (await form_of(request)).get("action", "")
        if action not in ACTIONS:
            return layout("Bad request", "<h1>Bad request</h1>", status=400)
        state.applied.append(action)
        return see_other(f"/form?applied={action}")

    async def export(request: Request) -> Response:
        state.exported += 1
        return layout("Export", "<h1>Export</h1>\n<p>Export ready.</p>")

    routes = [
        Route("/_state", get_state),
        Route("/_reset", post_reset, methods=["POST"]),
        Route("/_expire", post_expire, methods=["POST"]),
        Route("/", home),
        Route("/Login.aspx", login_page),
        Route("/Login.aspx", login_post, methods=["POST"]),
        Route("/licenses", licenses),
        Route("/licenses/{tier}/delete", license_delete, methods=["POST"]),
        Route("/licenses/{tier}/{column}", license_count),
        Route("/archive", archive_page),
        Route("/archive", archive_post, methods=["POST"]),
        Route("/reset", reset_page),
        Route("/reset", reset_post, methods=["POST"]),
        Route("/draft", draft_page),
        Route("/draft", draft_post, methods=["POST"]),
        Route("/checkout", checkout),
        Route("/checkout-nested", checkout_nested),
        Route("/wallet", wallet),
        Route("/paid", paid_page),
        Route("/paid", paid_post, methods=["POST"]),
        Route("/invoices", invoices),
        Route("/invoice/{month}.csv", invoice_csv),
        Route("/invoice/{month}", invoice),
        Route("/help", help_page),
        Route("/bill", bill_page),
        Route("/bill", bill_post, methods=["POST"]),
        Route("/users", users),
        Route("/users/select", users_select, methods=["POST"]),
        Route("/grid", grid),
        Route("/grid/click", grid_click, methods=["POST"]),
        Route("/form", form_page),
        Route("/form", form_post, methods=["POST"]),
        Route("/export", export),
    ]
    return ExpiryGate(Starlette(routes=routes), state)

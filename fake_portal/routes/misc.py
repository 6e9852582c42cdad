"""The account page, billing, statistics, roles and the local outbox."""

from __future__ import annotations

from datetime import date, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import history, licensing, outbox, payments
from ..billing import PRICE_CENTS, TIERS, monthly_bill_cents
from ..directory import list_users
from ..invoice import invoice_csv, invoice_filename
from ..web import Ctx, page, portal_of


def _renewal_date(today: date) -> date:
    first_of_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first_of_next - timedelta(days=1)


@page()
def account(ctx: Ctx) -> Response:
    with ctx.portal.db.read() as tx:
        renewal = _renewal_date(tx.today)
    return ctx.render("account.html", {"nav": "account", "renewal": renewal.isoformat()})


@page(admin=True)
def billing(ctx: Ctx) -> Response:
    with ctx.portal.db.read() as tx:
        pool = licensing.pool(tx)
        entries = history.ledger(tx)
        card = tx.scalar("SELECT card FROM account WHERE id = 1") or ""
    totals = {tier: line.total for tier, line in pool.items()}
    return ctx.render(
        "billing.html",
        {
            "nav": "billing",
            "pool": pool,
            "tiers": TIERS,
            "prices": PRICE_CENTS,
            "bill": monthly_bill_cents(totals),
            "ledger": list(reversed(entries)),
            "card": payments.card_on_file(ctx.t, card),
        },
    )


@page(admin=True)
def invoice(ctx: Ctx) -> Response:
    """This month's invoice as a CSV download (the billing page links it)."""
    with ctx.portal.db.read() as tx:
        totals = {tier: line.total for tier, line in licensing.pool(tx).items()}
        month = tx.today
    filename = invoice_filename(ctx.t, month)
    return Response(
        invoice_csv(ctx.t, ctx.site.amounts, totals),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@page(admin=True)
def statistics(ctx: Ctx) -> Response:
    with ctx.portal.db.read() as tx:
        users = list_users(tx)
    # Deterministic made-up figures: the fake sends no messages, but the page should not look empty.
    rows = [
        {"email": u["email"], "messages": (int(str(u["id"])) * 7) % 23, "files": (int(str(u["id"])) * 3) % 11}
        for u in users
    ]
    return ctx.render("statistics.html", {"nav": "statistics", "rows": rows})


@page(admin=True)
def roles(ctx: Ctx) -> Response:
    with ctx.portal.db.read() as tx:
        users = list_users(tx)
    admins = sum(1 for u in users if u["role"] == "admin")
    return ctx.render("roles.html", {"nav": "roles", "admins": admins, "standard": len(users) - admins})


async def outbox_page(request: Request) -> Response:
    portal = portal_of(request)
    with portal.db.read() as tx:
        messages = outbox.messages(tx, request.query_params.get("to") or None, newest_first=True)
    if request.query_params.get("latest"):
        messages = messages[:1]
    return portal.render("outbox.html", {"messages": messages})


ROUTES = [
    Route("/", account, methods=["GET"]),
    Route("/billing", billing, methods=["GET"]),
    Route("/billing/invoice.csv", invoice, methods=["GET"]),
    Route("/statistics", statistics, methods=["GET"]),
    Route("/roles", roles, methods=["GET"]),
    Route("/outbox", outbox_page, methods=["GET"]),
]

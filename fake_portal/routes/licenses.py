"""The license and purchase page: catalogue, purchase summary, checkout, purchased-licenses table,
upgrade and removal from the pool.

Checkout pays with the card on file in the English dialects (POST /licenses/pay). In fr-ca it frames
the payment provider's card form and the provider sends the browser back to POST /licenses/pay/complete
(payments.py)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from .. import csp, licensing, payments
from ..billing import PRICE_CENTS, TIERS, higher_tiers, month_days, remaining_days
from ..rules import RuleViolation
from ..web import Ctx, page, redirect


def _hosted_payment(ctx: Ctx, cart: list[dict[str, Any]], total: int, now: float) -> dict[str, Any]:
    """The provider's card form for this summary, as the checkout window frames it (fr-ca)."""
    if not (ctx.site.hosted_payment and cart):
        return {"payment_url": ""}
    order = payments.order_token(
        ctx.portal.merchant_key,
        session=payments.session_tag(ctx.portal.secret, ctx.session.id),
        lines=[(line["tier"], line["quantity"]) for line in cart],
        amount_cents=total,
        merchant=ctx.t("app_name"),
        return_url=str(ctx.request.base_url).rstrip("/") + payments.COMPLETION_PATH,
        now=now,
    )
    provider = ctx.portal.provider_url
    return {"payment_url": payments.form_url(provider, order), "frame_origins": (csp.origin_of(provider),)}


def _page_context(ctx: Ctx) -> dict[str, Any]:
    with ctx.portal.db.read() as tx:
        pool = licensing.pool(tx)
        cart = [
            dict(r)
            for r in tx.all(
                "SELECT id, tier, quantity FROM cart_lines WHERE session_id = ? ORDER BY id",
                (ctx.session.id,),
            )
        ]
        holders = {tier: licensing.holders(tx, tier) for tier in TIERS[:-1]}
        card = tx.scalar("SELECT card FROM account WHERE id = 1") or ""
        now = tx.now
    for line in cart:
        line["amount"] = PRICE_CENTS[line["tier"]] * line["quantity"]
    total = sum(line["amount"] for line in cart)
    return {
        "nav": "licenses",
        "tiers": TIERS,
        "prices": PRICE_CENTS,
        "pool": pool,
        "cart": cart,
        "cart_total": total,
        "holders": holders,
        "higher": {tier: higher_tiers(tier) for tier in TIERS},
        "card": payments.card_on_file(ctx.t, card),
        "quote": None,
    } | _hosted_payment(ctx, cart, total, now)


@page(admin=True)
def license_page(ctx: Ctx) -> Response:
    return ctx.render("licenses.html", _page_context(ctx))


@page(admin=True)
def upgrade_quote(ctx: Ctx) -> Response:
    """Shows the payment window for an upgrade. A GET: nothing changes until the admin pays."""
    params = ctx.request.query_params
    context = _page_context(ctx)
    try:
        with ctx.portal.db.read() as tx:
            quote = licensing.quote_upgrade(
                tx, params.get("from", ""), params.get("to", ""), params.getlist("holder")
            )
            today = tx.today
    except RuleViolation as refusal:
        return ctx.render(
            "licenses.html", context, extra_flash=[{"kind": "error", "text": refusal.message(ctx.t)}]
        )
    context["quote"] = quote
    context["quote_days"] = (remaining_days(today), month_days(today))
    return ctx.render("licenses.html", context)


@page(admin=True)
def add_line(ctx: Ctx) -> Response:
    with ctx.change() as tx:
        tier = licensing.check_tier(ctx.field("tier"))
        quantity = licensing.check_purchase_quantity(ctx.field("quantity"))
        tx.execute(
            "INSERT INTO cart_lines (session_id, tier, quantity) VALUES (?, ?, ?)",
            (ctx.session.id, tier, quantity),
        )
        ctx.flash(tx, "status", "lic_line_added", tier=tier, qty=quantity)
    return redirect("/licenses")


@page(admin=True)
def remove_line(ctx: Ctx) -> Response:
    with ctx.change() as tx:
        tx.execute(
            "DELETE FROM cart_lines WHERE id = ? AND session_id = ?", (ctx.field("line_id"), ctx.session.id)
        )
        ctx.flash(tx, "status", "lic_line_removed")
    return redirect("/licenses")


@page(admin=True)
def pay(ctx: Ctx) -> Response:
    """Buys exactly the lines posted with the form. A second submission of the same form buys again."""
    lines = list(zip(ctx.fields("line_tier"), ctx.fields("line_quantity"), strict=False))
    with ctx.change() as tx:
        if not lines:
            raise RuleViolation("lic_nothing_to_pay")
        if ctx.field("accept") == "":
            raise RuleViolation("lic_accept_required")
        bought = licensing.purchase(tx, ctx.email, lines)
        tx.execute("DELETE FROM cart_lines WHERE session_id = ?", (ctx.session.id,))
        for tier, quantity in bought:
            ctx.flash(tx, "status", "lic_paid", qty=quantity, tier=tier)
    return redirect("/licenses")


@page(admin=True, csrf=False)
def complete_payment(ctx: Ctx) -> Response:
    """The provider approved a card and sent the browser back here with its signed approval. The
    approval is the proof this POST needs instead of the page's CSRF token: it verifies against the
    merchant key, names an order made for this very session, and is accepted once (payments.redeem).
    Then the purchase is committed exactly as the English "Pay" commits it."""
    with ctx.change() as tx:
        session = payments.session_tag(ctx.portal.secret, ctx.session.id)
        paid = payments.redeem(tx, ctx.portal.merchant_key, ctx.field(payments.TOKEN_FIELD), session)
        bought = licensing.purchase(tx, ctx.email, paid.lines)
        tx.execute("DELETE FROM cart_lines WHERE session_id = ?", (ctx.session.id,))
        for tier, quantity in bought:
            ctx.flash(tx, "status", "lic_paid", qty=quantity, tier=tier)
    return redirect("/licenses")


@page(admin=True)
def pay_upgrade(ctx: Ctx) -> Response:
    with ctx.change() as tx:
        quote = licensing.upgrade(tx, ctx.email, ctx.field("from"), ctx.field("to"), ctx.fields("holder"))
        ctx.flash(
            tx,
            "status",
            "lic_upgraded",
            qty=len(quote.emails),
            from_tier=quote.from_tier,
            to_tier=quote.to_tier,
            amount=ctx.site.amounts.in_text(quote.amount_cents),
        )
    return redirect("/licenses")


@page(admin=True)
def remove_from_pool(ctx: Ctx) -> Response:
    tier = ctx.field("tier")
    with ctx.change() as tx:
        quantity = licensing.remove_from_pool(tx, ctx.email, tier, ctx.field("quantity"))
        ctx.flash(tx, "status", "lic_removed", qty=quantity, tier=tier)
        if ctx.site.webforms:  # RegisterStartupScript: the result page also says it in an alert()
            ctx.flash(tx, "startup_alert", "lic_removed_alert", qty=quantity, tier=tier)
    return redirect("/licenses")


ROUTES = [
    Route("/licenses", license_page, methods=["GET"]),
    Route("/licenses/upgrade", upgrade_quote, methods=["GET"]),
    Route("/licenses/upgrade", pay_upgrade, methods=["POST"]),
    Route("/licenses/cart", add_line, methods=["POST"]),
    Route("/licenses/cart/remove", remove_line, methods=["POST"]),
    Route("/licenses/pay", pay, methods=["POST"]),
    Route(payments.COMPLETION_PATH, complete_payment, methods=["POST"]),
    Route("/licenses/remove", remove_from_pool, methods=["POST"]),
]

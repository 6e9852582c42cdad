"""The user page: the users table, per-user license actions, create, CSV import, edit, delete, journals.

In fr-ca the page is a WebForms page: the list is paged, every form carries a signed __VIEWSTATE (the
page number, so a change brings the admin back to the page they were on), and the license selects of
the manage window post the page back (POST /users) to enable "Sauvegarder" server-side.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from .. import history, licensing, outbox, webforms
from ..billing import TIERS
from ..db import Tx
from ..dialects import traits
from ..directory import CSV_HEADER, ImportReport, get_user, import_csv, list_users, update_user
from ..directory import create_user as create_directory_user
from ..directory import delete_user as delete_directory_user
from ..paging import Pager
from ..rules import RuleViolation
from ..signing import BadToken
from ..web import MAX_UPLOAD_BYTES, Ctx, page, portal_of, redirect

# The AutoPostBack selects of the manage window, by id (__EVENTTARGET).
POSTBACK_CONTROLS = ("ml-new", "ml-assign")


@dataclass(frozen=True)
class ManageWindow:
    """The manage-license window as a postback re-renders it: open, for one user, at one step."""

    user_id: int
    email: str
    tier: str | None  # the license the user holds now
    choices: list[str]  # the tiers the select offers
    chosen: str  # "" until a license is picked

    @property
    def step(self) -> str:
        return "modify" if self.tier else "assign"


def _tier_names(ctx: Ctx) -> dict[str, str] | None:
    """Display names for portal.js, only when they differ from the canonical ones (fr-ca)."""
    names = {tier: ctx.t.tier(tier) for tier in TIERS}
    return names if any(name != tier for tier, name in names.items()) else None


def _list_page(
    ctx: Ctx,
    requested_page: object,
    window: ManageWindow | None = None,
    alerts: tuple[str, ...] = (),
) -> Response:
    with ctx.portal.db.read() as tx:
        users = list_users(tx)
        available = licensing.available_tiers(tx)
    size = ctx.site.users_page_size
    pager = Pager.of(len(users), requested_page, size) if size else None
    shown = users[pager.start : pager.stop] if pager else users
    context: dict[str, Any] = {
        "nav": "users",
        "users": shown,
        "available": available,
        "unlicensed": [u for u in users if not u["tier"]],
        "pager": pager,
        "tier_names": _tier_names(ctx),
        "ml": window,
        "ml_step": window.step if window else "",
        "viewstate": "",
        "postback_url": "/users",
    }
    if ctx.site.webforms:
        number = pager.page if pager else 1
        context["viewstate"] = webforms.viewstate(ctx.portal.viewstate_key, {"page": number})
        context["postback_url"] = f"/users?page={number}"
    return ctx.render("users.html", context, extra_flash=[{"kind": "error", "text": a} for a in alerts])


def _back_to_list(ctx: Ctx) -> str:
    """Where a change on the user page lands: the page of the list the form was posted from."""
    try:
        state = webforms.read_viewstate(ctx.portal.viewstate_key, ctx.field(webforms.VIEWSTATE))
    except BadToken:
        return "/users"
    number = state.get("page")
    return f"/users?page={number}" if isinstance(number, int) and number > 1 else "/users"


@page(admin=True)
def users_page(ctx: Ctx) -> Response:
    return _list_page(ctx, ctx.request.query_params.get("page", "1"))


@page(admin=True)
def _postback(ctx: Ctx) -> Response:
    """A license select changed: the page comes back with the manage window open, the license chosen
    and "Sauvegarder" enabled (WebForms enables it server-side). Nothing is saved."""
    try:
        state = webforms.read_viewstate(ctx.portal.viewstate_key, ctx.field(webforms.VIEWSTATE))
    except BadToken:  # ASP.NET: "Validation of viewstate MAC failed"
        return ctx.render("message.html", {"title_key": "csrf_title", "text_key": "csrf_text"}, 403)
    requested_page = state.get("page", 1)
    if ctx.field(webforms.EVENT_TARGET) not in POSTBACK_CONTROLS:
        return _list_page(ctx, requested_page)
    try:
        with ctx.portal.db.read() as tx:
            user = get_user(tx, ctx.int_field("user_id"))
            available = licensing.available_tiers(tx)
    except RuleViolation as refusal:
        return _list_page(ctx, requested_page, alerts=(refusal.message(ctx.t),))
    tier = str(user["tier"]) if user["tier"] else None
    choices = [t for t in available if t != tier]
    chosen = ctx.field("tier") if ctx.field("tier") in choices else ""
    window = ManageWindow(int(str(user["id"])), str(user["email"]), tier, choices, chosen)
    return _list_page(ctx, requested_page, window)


async def users_postback(request: Request) -> Response:
    # Only a WebForms page posts back to itself; the English portal answers 405 as it always has.
    if not traits(portal_of(request).runtime.dialect).webforms:
        raise HTTPException(405)
    return await _postback(request)


def _notify_holder(ctx: Ctx, tx: Tx, email: str, tier: str) -> None:
    outbox.send_email(tx, email, ctx.t("mail_license_subject"), ctx.t("mail_license_body", tier=tier))


@page(admin=True)
def assign_license(ctx: Ctx) -> Response:
    with ctx.change() as tx:
        tier = ctx.field("tier")
        user = licensing.assign(tx, ctx.email, ctx.int_field("user_id"), tier)
        _notify_holder(ctx, tx, str(user["email"]), tier)
        ctx.flash(tx, "status", "ml_now_holds", email=user["email"], tier=tier)
    return redirect(_back_to_list(ctx))


@page(admin=True)
def modify_license(ctx: Ctx) -> Response:
    with ctx.change() as tx:
        tier = ctx.field("tier")
        user = licensing.modify(tx, ctx.email, ctx.int_field("user_id"), tier)
        _notify_holder(ctx, tx, str(user["email"]), tier)
        ctx.flash(tx, "status", "ml_now_holds", email=user["email"], tier=tier)
    return redirect(_back_to_list(ctx))


@page(admin=True)
def remove_license(ctx: Ctx) -> Response:
    with ctx.change() as tx:
        user = licensing.unassign(tx, ctx.email, ctx.int_field("user_id"))
        ctx.flash(tx, "status", "ml_removed", email=user["email"])
    return redirect(_back_to_list(ctx))


@page(admin=True)
def transfer_license(ctx: Ctx) -> Response:
    with ctx.change() as tx:
        source, target = licensing.transfer(
            tx, ctx.email, ctx.int_field("from_user_id"), ctx.int_field("to_user_id")
        )
        _notify_holder(ctx, tx, str(target["email"]), str(source["tier"]))
        ctx.flash(tx, "status", "ml_transferred", from_email=source["email"], to_email=target["email"])
    return redirect(_back_to_list(ctx))


@page(admin=True)
def create_user(ctx: Ctx) -> Response:
    with ctx.change() as tx:
        email = create_directory_user(
            tx,
            ctx.email,
            ctx.field("email"),
            ctx.field("first_name"),
            ctx.field("last_name"),
            ctx.field("role"),
        )
        ctx.flash(tx, "status", "created", email=email)
    return redirect(_back_to_list(ctx))


@page(admin=True)
def edit_user(ctx: Ctx) -> Response:
    with ctx.change() as tx:
        email = update_user(
            tx,
            ctx.email,
            ctx.int_field("user_id"),
            ctx.field("first_name"),
            ctx.field("last_name"),
            ctx.field("role"),
        )
        ctx.flash(tx, "status", "updated", email=email)
    return redirect(_back_to_list(ctx))


@page(admin=True)
def delete_user(ctx: Ctx) -> Response:
    with ctx.change() as tx:
        email = delete_directory_user(tx, ctx.email, ctx.user_id, ctx.int_field("user_id"))
        ctx.flash(tx, "status", "deleted", email=email)
    return redirect(_back_to_list(ctx))


@page(admin=True)
def csv_template(_: Ctx) -> Response:
    return PlainTextResponse(
        ",".join(CSV_HEADER) + "\n",
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="users-template.csv"'},
    )


def _report_json(ctx: Ctx, report: ImportReport) -> str:
    rows = [
        {
            "row": r.row,
            "email": r.email,
            "added": r.added,
            "reason": r.refusal.message(ctx.t) if r.refusal else "",
        }
        for r in report.rows
    ]
    return json.dumps({"rows": rows, "added": report.added, "refused": report.refused})


@page(admin=True)
def import_users(ctx: Ctx) -> Response:
    filename, data = ctx.uploads.get("csv_file", ("", b""))
    with ctx.change() as tx:
        if not filename and not data:
            raise RuleViolation("import_no_file")
        if len(data) > MAX_UPLOAD_BYTES:
            raise RuleViolation("import_too_large")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise RuleViolation("import_bad_encoding") from None
        report = import_csv(tx, ctx.email, text)
        tx.execute(
            "UPDATE sessions SET import_report = ? WHERE id = ?", (_report_json(ctx, report), ctx.session.id)
        )
        return redirect("/users/import/result")
    return redirect(_back_to_list(ctx))


@page(admin=True)
def import_result(ctx: Ctx) -> Response:
    with ctx.portal.db.read() as tx:
        raw = tx.scalar("SELECT import_report FROM sessions WHERE id = ?", (ctx.session.id,))
    return ctx.render("import_result.html", {"nav": "users", "report": json.loads(raw) if raw else None})


@page(admin=True)
def journals(ctx: Ctx) -> Response:
    try:
        with ctx.portal.db.read() as tx:
            user = get_user(tx, int(ctx.request.path_params["user_id"]))
            entries = history.journal_of(tx, str(user["email"]))
    except RuleViolation:
        return ctx.render("message.html", {"title_key": "not_found_title", "text_key": "not_found_text"}, 404)
    return ctx.render("journals.html", {"nav": "users", "subject": user, "entries": entries})


ROUTES = [
    Route("/users", users_page, methods=["GET"]),
    Route("/users", users_postback, methods=["POST"]),
    Route("/users/license/assign", assign_license, methods=["POST"]),
    Route("/users/license/modify", modify_license, methods=["POST"]),
    Route("/users/license/remove", remove_license, methods=["POST"]),
    Route("/users/license/transfer", transfer_license, methods=["POST"]),
    Route("/users/create", create_user, methods=["POST"]),
    Route("/users/update", edit_user, methods=["POST"]),
    Route("/users/delete", delete_user, methods=["POST"]),
    Route("/users/import", import_users, methods=["POST"]),
    Route("/users/import/template.csv", csv_template, methods=["GET"]),
    Route("/users/import/result", import_result, methods=["GET"]),
    Route("/users/{user_id:int}/journals", journals, methods=["GET"]),
]

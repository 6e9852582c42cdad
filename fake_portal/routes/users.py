"""The user page: the users table, per-user license actions, create, CSV import, edit, delete, journals."""

from __future__ import annotations

import json

from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from .. import history, licensing, outbox
from ..db import Tx
from ..directory import CSV_HEADER, ImportReport, get_user, import_csv, list_users, update_user
from ..directory import create_user as create_directory_user
from ..directory import delete_user as delete_directory_user
from ..rules import RuleViolation
from ..web import MAX_UPLOAD_BYTES, Ctx, page, redirect


@page(admin=True)
def users_page(ctx: Ctx) -> Response:
    with ctx.portal.db.read() as tx:
        users = list_users(tx)
        available = licensing.available_tiers(tx)
    return ctx.render(
        "users.html",
        {
            "nav": "users",
            "users": users,
            "available": available,
            "unlicensed": [u for u in users if not u["tier"]],
        },
    )


def _notify_holder(ctx: Ctx, tx: Tx, email: str, tier: str) -> None:
    outbox.send_email(tx, email, ctx.t("mail_license_subject"), ctx.t("mail_license_body", tier=tier))


@page(admin=True)
def assign_license(ctx: Ctx) -> Response:
    with ctx.change() as tx:
        tier = ctx.field("tier")
        user = licensing.assign(tx, ctx.email, ctx.int_field("user_id"), tier)
        _notify_holder(ctx, tx, str(user["email"]), tier)
        ctx.flash(tx, "status", "ml_now_holds", email=user["email"], tier=tier)
    return redirect("/users")


@page(admin=True)
def modify_license(ctx: Ctx) -> Response:
    with ctx.change() as tx:
        tier = ctx.field("tier")
        user = licensing.modify(tx, ctx.email, ctx.int_field("user_id"), tier)
        _notify_holder(ctx, tx, str(user["email"]), tier)
        ctx.flash(tx, "status", "ml_now_holds", email=user["email"], tier=tier)
    return redirect("/users")


@page(admin=True)
def remove_license(ctx: Ctx) -> Response:
    with ctx.change() as tx:
        user = licensing.unassign(tx, ctx.email, ctx.int_field("user_id"))
        ctx.flash(tx, "status", "ml_removed", email=user["email"])
    return redirect("/users")


@page(admin=True)
def transfer_license(ctx: Ctx) -> Response:
    with ctx.change() as tx:
        source, target = licensing.transfer(
            tx, ctx.email, ctx.int_field("from_user_id"), ctx.int_field("to_user_id")
        )
        _notify_holder(ctx, tx, str(target["email"]), str(source["tier"]))
        ctx.flash(tx, "status", "ml_transferred", from_email=source["email"], to_email=target["email"])
    return redirect("/users")


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
    return redirect("/users")


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
    return redirect("/users")


@page(admin=True)
def delete_user(ctx: Ctx) -> Response:
    with ctx.change() as tx:
        email = delete_directory_user(tx, ctx.email, ctx.user_id, ctx.int_field("user_id"))
        ctx.flash(tx, "status", "deleted", email=email)
    return redirect("/users")


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
    return redirect("/users")


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

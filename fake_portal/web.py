"""Request plumbing shared by the pages: the Portal object, rendering, the session/role/CSRF guard
and post/redirect/get helpers."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jinja2
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from . import auth, csp
from .config import PortalConfig
from .db import Database, Tx, iso
from .dialects import Dialect, traits
from .labels import Labels
from .rules import RuleViolation
from .runtime import Runtime
from .signing import derive_key
from .webforms import ClientScript

TEMPLATES = Path(__file__).parent / "templates"
MAX_UPLOAD_BYTES = 1_000_000


@functools.lru_cache(maxsize=1)
def template_env() -> jinja2.Environment:
    """One compiled-template cache for every portal in the process (tests start many)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every user-provided text renders as text
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    # Amounts follow the dialect of the page being rendered ("29.00" in English texts, "29,00 $" in fr-ca).
    env.filters["money"] = jinja2.pass_context(lambda page, cents: page["site"].amounts.in_text(cents))
    env.filters["price"] = jinja2.pass_context(lambda page, cents: page["site"].amounts.alone(cents))
    env.filters["iso"] = iso
    env.filters["spaced"] = lambda s: " ".join(str(s))
    return env


class Portal:
    """Everything one running portal shares across requests."""

    def __init__(self, config: PortalConfig, db: Database, runtime: Runtime, secret: bytes) -> None:
        self.config = config
        self.db = db
        self.runtime = runtime
        self.secret = secret
        self.env = template_env()
        self.owned_path: str | None = None  # a temporary database to delete on close
        self.viewstate_key = derive_key(secret, "viewstate")
        self.merchant_key = derive_key(secret, "merchant")  # shared with the payment provider
        # Where the stand-in payment provider answers; known once its socket is bound (use_provider).
        self.provider_url = ""

    def use_provider(self, url: str) -> None:
        self.provider_url = url.rstrip("/")

    def close(self) -> None:
        self.db.close()
        if self.owned_path:
            for suffix in ("", "-wal", "-shm"):
                Path(self.owned_path + suffix).unlink(missing_ok=True)

    def render(
        self, template: str, context: dict[str, Any], status: int = 200, labels: Labels | None = None
    ) -> HTMLResponse:
        labels = labels or self.runtime.labels()
        scripts = ClientScript()
        base: dict[str, Any] = {
            "t": labels,
            "site": traits(labels.dialect),
            "client_script": scripts,
            "frame_origins": (),
            "user": None,
            "is_admin": False,
            "csrf": "",
            "flash": [],
            "nav": "",
            "dialect": labels.dialect,
        }
        page = base | context
        response = HTMLResponse(self.env.get_template(template).render(page), status_code=status)
        if scripts.used or page["frame_origins"]:
            # The page's own policy; SecurityHeadersMiddleware keeps a header that is already set.
            response.headers["content-security-policy"] = csp.policy(
                scripts.csp_sources(), page["frame_origins"]
            )
        return response

    def error_page(
        self, status: int, title_key: str, text_key: str, labels: Labels | None = None
    ) -> HTMLResponse:
        return self.render("message.html", {"title_key": title_key, "text_key": text_key}, status, labels)


def portal_of(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


class Ctx:
    """One signed-in request: the session, the texts in force, the posted form."""

    def __init__(
        self,
        portal: Portal,
        request: Request,
        session: auth.Session,
        labels: Labels,
        form: dict[str, list[str]],
        uploads: dict[str, tuple[str, bytes]],
    ) -> None:
        self.portal = portal
        self.request = request
        self.session = session
        self.t = labels
        self.form = form
        self.uploads = uploads

    @property
    def site(self) -> Dialect:
        return traits(self.t.dialect)

    @property
    def email(self) -> str:
        return self.session.email

    @property
    def user_id(self) -> int:
        return int(str(self.session.user["id"]))

    def field(self, name: str) -> str:
        values = self.form.get(name) or [""]
        return values[0].strip()

    def fields(self, name: str) -> list[str]:
        return [v.strip() for v in self.form.get(name, [])]

    def int_field(self, name: str) -> int:
        try:
            return int(self.field(name))
        except ValueError:
            raise RuleViolation("err_user_not_found") from None

    def flash(self, tx: Tx, kind: str, key: str, **fields: object) -> None:
        auth.push_flash(tx, self.session.id, kind, self.t(key, **fields))

    @contextmanager
    def change(self) -> Iterator[Tx]:
        """A business transaction. A refused change is rolled back and becomes an error flash;
        the caller redirects either way (post/redirect/get)."""
        try:
            with self.portal.db.write() as tx:
                yield tx
        except RuleViolation as refusal:
            with self.portal.db.write() as tx:
                auth.push_flash(tx, self.session.id, "error", refusal.message(self.t))

    def render(
        self,
        template: str,
        context: dict[str, Any],
        status: int = 200,
        extra_flash: list[dict[str, str]] | None = None,
    ) -> HTMLResponse:
        base = {
            "user": self.session.user,
            "is_admin": self.session.is_admin,
            "csrf": auth.csrf_token(self.portal.secret, "s:" + self.session.id),
            "flash": self.session.flash + (extra_flash or []),
        }
        return self.portal.render(template, base | context, status, self.t)


Handler = Callable[[Ctx], Response]


async def read_form(request: Request) -> tuple[dict[str, list[str]], dict[str, tuple[str, bytes]]]:
    form = await request.form()
    fields: dict[str, list[str]] = {}
    uploads: dict[str, tuple[str, bytes]] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            data = await value.read(MAX_UPLOAD_BYTES + 1)
            uploads[key] = (value.filename or "", data)
        else:
            fields.setdefault(key, []).append(value)
    await form.close()
    return fields, uploads


def path_with_query(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def page(
    *, admin: bool = False, csrf: bool = True
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Guard a signed-in page: session (idle timeout), 2FA completed, role checked on the server,
    CSRF token on every POST. csrf=False only for a POST that comes from another origin and carries
    its own proof, which the handler checks (the payment provider's signed token, bound to the session)."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            portal = portal_of(request)
            labels = portal.runtime.labels()
            form: dict[str, list[str]] = {}
            uploads: dict[str, tuple[str, bytes]] = {}
            if request.method == "POST":
                form, uploads = await read_form(request)
            try:
                with portal.db.write() as tx:
                    session = auth.resolve(
                        tx,
                        request.cookies.get(auth.SESSION_COOKIE),
                        portal.runtime.session_ttl_s(),
                        pop_flash=request.method == "GET",
                    )
            except auth.SessionMissing:
                return redirect(traits(labels.dialect).login_path)
            except auth.SessionExpired:
                response = redirect(traits(labels.dialect).expired_url(path_with_query(request)))
                response.delete_cookie(auth.SESSION_COOKIE, path="/")
                return response
            if session.stage != "active":
                return redirect("/login/code")
            ctx = Ctx(portal, request, session, labels, form, uploads)
            if admin and not session.is_admin:
                return ctx.render(
                    "message.html", {"title_key": "not_allowed_title", "text_key": "not_allowed_text"}, 403
                )
            if (
                csrf
                and request.method == "POST"
                and not auth.csrf_ok(portal.secret, "s:" + session.id, ctx.field("csrf"))
            ):
                return ctx.render("message.html", {"title_key": "csrf_title", "text_key": "csrf_text"}, 403)
            return handler(ctx)

        return endpoint

    return wrap

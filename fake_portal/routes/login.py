"""Sign-in: e-mail + captcha -> "check your email" -> link (same browser only) -> SMS code if 2FA.

The sign-in page is /login in the English dialects and /Connexion.aspx in fr-ca (an ASP.NET Forms
authentication login page: an expired session lands on /Connexion.aspx?ReturnUrl=<the page>). Each
dialect's other address sends there with the same query, so old links and bookmarks keep working.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import auth, history, outbox
from ..dialects import Dialect, traits
from ..web import Portal, path_with_query, portal_of, read_form, redirect

ASPX_LOGIN = "/Connexion.aspx"


def _site(portal: Portal) -> Dialect:
    return traits(portal.runtime.dialect)


def _set_cookie(response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="lax", path="/")


def _client_id(request: Request) -> tuple[str, bool]:
    existing = request.cookies.get(auth.CLIENT_COOKIE)
    return (existing, False) if existing else (auth.random_id(), True)


def _login_form(
    portal: Portal,
    client_id: str,
    is_new: bool,
    *,
    digits: str,
    email: str = "",
    alerts: tuple[str, ...] = (),
    statuses: tuple[str, ...] = (),
) -> Response:
    labels = portal.runtime.labels()
    flash = [{"kind": "error", "text": labels(k)} for k in alerts]
    flash += [{"kind": "status", "text": labels(k)} for k in statuses]
    response = portal.render(
        "login.html",
        {
            "digits": digits,
            "email": email,
            "flash": flash,
            "csrf": auth.csrf_token(portal.secret, "c:" + client_id),
        },
        labels=labels,
    )
    if is_new:
        _set_cookie(response, auth.CLIENT_COOKIE, client_id)
    return response


async def login_page(request: Request) -> Response:
    portal = portal_of(request)
    site = _site(portal)
    if request.url.path != site.login_path:
        if site.webforms:  # /login -> /Connexion.aspx, query kept
            query = request.url.query
            return redirect(site.login_path + (f"?{query}" if query else ""))
        raise HTTPException(404)  # the English portal has no .aspx page
    client_id, is_new = _client_id(request)
    with portal.db.write() as tx:
        digits = auth.current_captcha(tx, client_id)
    expired = request.query_params.get("expired") or (site.webforms and "ReturnUrl" in request.query_params)
    alerts = ("login_expired",) if expired else ()
    statuses = ("login_signed_out",) if request.query_params.get("signed_out") else ()
    return _login_form(
        portal,
        client_id,
        is_new,
        digits=digits,
        email=request.query_params.get("email", ""),
        alerts=alerts,
        statuses=statuses,
    )


def _form_expired(portal: Portal) -> Response:
    return portal.error_page(403, "csrf_title", "csrf_text")


async def new_captcha(request: Request) -> Response:
    portal = portal_of(request)
    form, _ = await read_form(request)
    client_id = request.cookies.get(auth.CLIENT_COOKIE, "")
    if not client_id or not auth.csrf_ok(portal.secret, "c:" + client_id, (form.get("csrf") or [""])[0]):
        return _form_expired(portal)
    with portal.db.write() as tx:
        auth.issue_captcha(tx, client_id)
    email = (form.get("email") or [""])[0].strip()
    site = _site(portal)
    return redirect(site.login_url(email=email) if email else site.login_path)


async def submit_login(request: Request) -> Response:
    portal = portal_of(request)
    if request.url.path == ASPX_LOGIN and not _site(portal).webforms:
        raise HTTPException(404)
    labels = portal.runtime.labels()
    form, _ = await read_form(request)
    client_id = request.cookies.get(auth.CLIENT_COOKIE, "")
    if not client_id or not auth.csrf_ok(portal.secret, "c:" + client_id, (form.get("csrf") or [""])[0]):
        return _form_expired(portal)
    email = (form.get("email") or [""])[0].strip()
    answer = (form.get("captcha") or [""])[0]
    if not email:
        with portal.db.write() as tx:
            digits = auth.current_captcha(tx, client_id)
        return _login_form(portal, client_id, False, digits=digits, alerts=("login_email_missing",))
    nonce = request.cookies.get(auth.LOGIN_COOKIE) or auth.random_id()
    with portal.db.write() as tx:
        if not auth.check_captcha(tx, client_id, answer):
            digits = auth.current_captcha(tx, client_id)
            wrong = True
        else:
            wrong = False
            # An unknown address gets the same page and no mail, like the real portal.
            token = auth.issue_login_link(tx, email, nonce)
            if token:
                link = f"{str(request.base_url).rstrip('/')}/login/link/{token}"
                user_email = email.strip().lower()
                outbox.send_email(
                    tx, user_email, labels("mail_login_subject"), labels("mail_login_body"), link
                )
    if wrong:
        return _login_form(
            portal, client_id, False, digits=digits, email=email, alerts=("login_captcha_wrong",)
        )
    response = redirect("/login/sent?" + urlencode({"email": email}))
    _set_cookie(response, auth.LOGIN_COOKIE, nonce)
    return response


async def login_sent(request: Request) -> Response:
    portal = portal_of(request)
    return portal.render("login_sent.html", {"email": request.query_params.get("email", "")})


async def follow_link(request: Request) -> Response:
    portal = portal_of(request)
    labels = portal.runtime.labels()
    token = request.path_params["token"]
    with portal.db.write() as tx:
        outcome, user = auth.redeem_login_link(tx, token, request.cookies.get(auth.LOGIN_COOKIE))
        if outcome is auth.LinkOutcome.OK and user is not None:
            sid, code = auth.start_session(tx, user)
            email = str(user["email"])
            if code:
                body = labels("sms_code_body", phone=user["phone"] or "", code=code)
                outbox.send_sms(tx, email, labels("sms_code_subject"), body, code)
            else:
                history.audit(tx, email, "login", email, "sign-in link")
    if outcome is auth.LinkOutcome.OK:
        response = redirect("/login/code" if code else "/")
        _set_cookie(response, auth.SESSION_COOKIE, sid)
        return response
    key = "login_denied_error2" if outcome is auth.LinkOutcome.OTHER_BROWSER else "login_link_invalid"
    return portal.render("login_denied.html", {"flash": [{"kind": "error", "text": labels(key)}]}, 403)


def _pending_session(portal: Portal, request: Request) -> auth.Session | Response:
    try:
        with portal.db.write() as tx:
            session = auth.resolve(
                tx, request.cookies.get(auth.SESSION_COOKIE), portal.runtime.session_ttl_s(), pop_flash=False
            )
    except auth.SessionMissing:
        return redirect(_site(portal).login_path)
    except auth.SessionExpired:
        return redirect(_site(portal).expired_url(path_with_query(request)))
    if session.stage == "active":
        return redirect("/")
    return session


def _code_form(portal: Portal, session: auth.Session, alerts: tuple[str, ...] = ()) -> Response:
    labels = portal.runtime.labels()
    return portal.render(
        "login_code.html",
        {
            "csrf": auth.csrf_token(portal.secret, "s:" + session.id),
            "flash": [{"kind": "error", "text": labels(k)} for k in alerts],
        },
        labels=labels,
    )


async def code_page(request: Request) -> Response:
    portal = portal_of(request)
    session = _pending_session(portal, request)
    return session if isinstance(session, Response) else _code_form(portal, session)


async def submit_code(request: Request) -> Response:
    portal = portal_of(request)
    form, _ = await read_form(request)
    session = _pending_session(portal, request)
    if isinstance(session, Response):
        return session
    if not auth.csrf_ok(portal.secret, "s:" + session.id, (form.get("csrf") or [""])[0]):
        return _form_expired(portal)
    with portal.db.write() as tx:
        ok = auth.verify_code(tx, session, (form.get("code") or [""])[0])
        if ok:
            history.audit(tx, session.email, "login", session.email, "sign-in link and SMS code")
    return redirect("/") if ok else _code_form(portal, session, ("code_wrong",))


async def logout(request: Request) -> Response:
    portal = portal_of(request)
    form, _ = await read_form(request)
    sid = request.cookies.get(auth.SESSION_COOKIE, "")
    if not sid or not auth.csrf_ok(portal.secret, "s:" + sid, (form.get("csrf") or [""])[0]):
        return _form_expired(portal)
    with portal.db.write() as tx:
        auth.end_session(tx, sid)
    response = redirect(_site(portal).login_url(signed_out="1"))
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


ROUTES = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", submit_login, methods=["POST"]),
    Route(ASPX_LOGIN, login_page, methods=["GET"]),
    Route(ASPX_LOGIN, submit_login, methods=["POST"]),
    Route("/login/captcha", new_captcha, methods=["POST"]),
    Route("/login/sent", login_sent, methods=["GET"]),
    Route("/login/link/{token}", follow_link, methods=["GET"]),
    Route("/login/code", code_page, methods=["GET"]),
    Route("/login/code", submit_code, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]

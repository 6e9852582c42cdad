"""create_app(config) -> the Starlette application of the fake portal (with the stand-in payment
provider's app in app.state.provider); listen(app, ...) binds both ports."""

from __future__ import annotations

import os
import secrets
import socket
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from . import test_hooks
from .config import PortalConfig
from .db import Clock, Database
from .faults import FaultMiddleware, SecurityHeadersMiddleware
from .provider import create_provider_app
from .routes import ROUTES
from .runtime import Runtime
from .seeds import parse_seed
from .serve import ByPort, bind, port_of, url_of
from .web import Portal, portal_of

STATIC = Path(__file__).parent / "static"


def open_portal(config: PortalConfig, clock: Clock | None = None) -> Portal:
    """Open (and seed when new, or when config.reset) the database behind a portal."""
    parse_seed(config.seed)
    path = config.db_path
    if path is None:
        fd, path = tempfile.mkstemp(prefix="fake-portal-", suffix=".db")
        os.close(fd)
    db = Database(path, clock)
    with db.write() as tx:
        secret = db.get_meta(tx, "secret")
        if secret is None:
            secret = secrets.token_hex(32)
            db.set_meta(tx, "secret", secret)
        has_data = tx.scalar("SELECT COUNT(*) FROM account") > 0
    portal = Portal(config, db, Runtime(config), bytes.fromhex(secret))
    portal.owned_path = path if config.db_path is None else None
    if config.reset or not has_data:
        test_hooks.reseed(portal, config.seed)
    else:
        print(
            f"fake-portal: keeping the data already in {path} (pass --reset to seed {config.seed!r})",
            file=sys.stderr,
        )
    return portal


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    return portal_of(request).error_page(status, "not_found_title", "not_found_text")


async def _server_error(request: Request, exc: Exception) -> Response:
    # Starlette re-raises after this answer, so uvicorn still logs the traceback.
    return portal_of(request).error_page(500, "server_error_title", "server_error_text")


def create_app(config: PortalConfig, *, clock: Clock | None = None) -> Starlette:
    portal = open_portal(config, clock)
    routes: list[BaseRoute] = list(ROUTES)
    if config.test_token:
        routes += test_hooks.ROUTES
    routes.append(Mount("/static", StaticFiles(directory=STATIC), name="static"))
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeadersMiddleware), Middleware(FaultMiddleware, portal=portal)],
        exception_handlers={HTTPException: _not_found, Exception: _server_error},
    )
    app.state.portal = portal
    # The stand-in payment provider: its own app (no faults, no portal pages), sharing the merchant
    # key and the clock. Served on its own port by serve_both(); tests can also drive it directly.
    app.state.provider = create_provider_app(portal.merchant_key, portal.db.clock)
    return app


@dataclass(frozen=True)
class Listening:
    """A portal ready to serve: its socket, the payment provider's socket, and the app for both."""

    sockets: list[socket.socket]  # the portal's first
    app: ASGIApp
    url: str
    provider_url: str


def listen(app: Starlette, host: str, port: int, provider_port: int = 0) -> Listening:
    """Binds the portal's port and the provider's (same host, so the provider is another origin of the
    same site) and tells the portal where the provider answers. OSError if a port is taken."""
    portal_sock = bind(host, port)
    try:
        provider_sock = bind(host, provider_port)
    except OSError:
        portal_sock.close()
        raise
    app.state.portal.use_provider(url_of(provider_sock))
    both = ByPort(app, {port_of(provider_sock): app.state.provider})
    return Listening([portal_sock, provider_sock], both, url_of(portal_sock), url_of(provider_sock))

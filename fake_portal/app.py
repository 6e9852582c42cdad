"""create_app(config) -> the Starlette application of the fake portal."""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from . import test_hooks
from .config import PortalConfig
from .db import Clock, Database
from .faults import FaultMiddleware, SecurityHeadersMiddleware
from .routes import ROUTES
from .runtime import Runtime
from .seeds import parse_seed
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
    return app

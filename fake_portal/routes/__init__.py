"""The portal's pages, one module per area; `ROUTES` is what app.py mounts."""

from __future__ import annotations

from starlette.routing import BaseRoute

from . import licenses, login, misc, users

ROUTES: list[BaseRoute] = [*login.ROUTES, *misc.ROUTES, *licenses.ROUTES, *users.ROUTES]

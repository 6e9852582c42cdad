"""Injected faults, as an ASGI middleware in front of the whole portal.

Per request whose path matches the fault paths (never /_test, /outbox, /static):
  maintenance         -> 503 page, nothing runs.
  latency + jitter    -> waits latency_ms + uniform(0, jitter_ms) before handling (any method).
  error_rate          -> POST only: 500 page *before* the handler runs, so nothing changes.
  lost_response_rate  -> POST only: the handler runs and commits, then its answer is replaced by a
                         502 page; the client cannot tell whether the change happened.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import csp
from .web import Portal


class FaultMiddleware:
    def __init__(self, app: ASGIApp, portal: Portal) -> None:
        self.app = app
        self.portal = portal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        faults = self.portal.runtime.faults
        if not faults.applies_to(scope["path"]):
            await self.app(scope, receive, send)
            return
        if faults.maintenance:
            self.portal.runtime.count_fault("maintenance")
            page = self.portal.error_page(503, "maintenance_title", "maintenance_text")
            page.headers["Retry-After"] = "60"
            await page(scope, receive, send)
            return
        runtime = self.portal.runtime
        if faults.latency_ms or faults.jitter_ms:
            await asyncio.sleep((faults.latency_ms + runtime.draw() * faults.jitter_ms) / 1000)
        if scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        if faults.error_rate and runtime.draw() < faults.error_rate:
            runtime.count_fault("server_error")
            await self.portal.error_page(500, "server_error_title", "server_error_text")(scope, receive, send)
            return
        if faults.lost_response_rate and runtime.draw() < faults.lost_response_rate:
            runtime.count_fault("lost_response")
            await self._lose_response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _lose_response(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def swallow(message: Message) -> None:
            return None

        await self.app(scope, receive, swallow)
        await self.portal.error_page(502, "bad_gateway_title", "bad_gateway_text")(scope, receive, send)


class SecurityHeadersMiddleware:
    """No inline script or style anywhere, so a strict CSP costs nothing and backs up the escaping.
    A response that sets its own CSP keeps it: a fr-ca page widens the policy by exactly the WebForms
    scripts it carries (csp.py)."""

    HEADERS = [
        (b"content-security-policy", csp.DEFAULT.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"cache-control", b"no-store"),
    ]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name for name, _ in headers}
                is_static = scope["path"].startswith("/static/")
                for name, value in self.HEADERS:
                    if name not in names and not (is_static and name == b"cache-control"):
                        headers.append((name, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)

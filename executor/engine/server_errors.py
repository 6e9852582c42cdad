"""The portal answering a page with HTTP 5xx, or not at all: the step that caused it fails at once.

Without this, a step whose form post came back as the portal's error page waits out its whole
assertion budget for elements that will never come (seconds per attempt, under faults, for every
row of a bulk run). Only documents of the page's main frame count: a failed background request
is the page's business, and 4xx pages (403 for a role) are ordinary answers runbooks check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from contextlib import suppress
from typing import TypeVar
from urllib.parse import urlsplit

from playwright.async_api import Page, Request, Response

from executor.engine.page_state import kept

T = TypeVar("T")

LOAD_WAIT_MS = 5_000


class ServerError(Exception):
    """The page is the portal's 5xx answer to what the step did, or the request got no answer."""


class ServerErrorWatch:
    def __init__(self, page: Page) -> None:
        self._page = page
        self._seen = asyncio.Event()
        self.error: str | None = None
        page.on("response", self._on_response)
        page.on("requestfailed", self._on_request_failed)

    def _is_document(self, request: Request) -> bool:
        if not request.is_navigation_request():
            return False
        try:
            return request.frame == self._page.main_frame
        except Exception:  # noqa: BLE001 - a service worker's request has no frame
            return False

    def _on_response(self, response: Response) -> None:
        if response.status < 500:
            return
        request = response.request
        if not self._is_document(request):
            return
        self.error = f"the portal answered HTTP {response.status} to {request.method} {urlsplit(response.url).path}"
        self._seen.set()

    def _on_request_failed(self, request: Request) -> None:
        # ERR_ABORTED is a navigation replaced by another one (a redirect, a second click): normal.
        failure = request.failure or ""
        if not self._is_document(request) or "ERR_ABORTED" in failure:
            return
        self.error = f"{request.method} {urlsplit(request.url).path} got no answer from the portal ({failure})"
        self._seen.set()

    async def guard(self, work: Awaitable[T]) -> T:
        """Run `work`; raise `ServerError` as soon as a 5xx document arrives while it runs.

        Only answers that arrive after the call count: a later step navigating away from an
        error page must not inherit its failure."""
        self._seen.clear()
        self.error = None
        task = asyncio.ensure_future(work)
        seen = asyncio.ensure_future(self._seen.wait())
        try:
            await asyncio.wait({task, seen}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            seen.cancel()
        if task.done():
            return task.result()
        task.cancel()
        with suppress(asyncio.CancelledError, Exception):
            await task
        # The error document is still arriving: let it load, so the failure's screenshot and HTML
        # show the portal's answer rather than a page half-way through navigating.
        with suppress(Exception):
            await self._page.wait_for_load_state("domcontentloaded", timeout=LOAD_WAIT_MS)
        raise ServerError(self.error or "the portal answered with a server error")


def watch_for(page: Page) -> ServerErrorWatch:
    """The page's watch (one per page: a listener per job would pile up on a bulk worker's page)."""
    return kept(page, "server_errors", ServerErrorWatch)

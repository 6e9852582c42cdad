"""A navigation an action started (a postback) finishes before the next step looks at the page.

Playwright's `click` waits for the navigation it starts; other actions do not. A WebForms
`AutoPostBack` select (`onchange="__doPostBack(...)"`) reloads the whole page after
`select_option` returned: the next step would find its target in the old document and act on it
while the new one arrives. So each page counts its main-frame navigations, and after an action
the engine waits for one that was requested and has not committed yet, then for the new
document's DOM.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Frame, Page, Request

from executor.engine.page_state import kept


class NavigationWatch:
    def __init__(self, page: Page) -> None:
        self._page = page
        self._pending: Request | None = None
        self._settled = asyncio.Event()
        self._settled.set()
        page.on("request", self._on_request)
        page.on("requestfailed", self._on_done)
        page.on("requestfinished", self._on_finished)
        page.on("framenavigated", self._on_committed)

    def _is_main_document(self, request: Request) -> bool:
        if not request.is_navigation_request() or request.redirected_from is not None:
            return False
        try:
            return request.frame == self._page.main_frame
        except PlaywrightError:  # a service worker's request has no frame
            return False

    def _on_request(self, request: Request) -> None:
        if self._is_main_document(request):
            self._pending = request
            self._settled.clear()

    def _on_done(self, request: Request) -> None:
        if request is self._pending:  # aborted or replaced: nothing will commit
            self._pending = None
            self._settled.set()

    async def _on_finished(self, request: Request) -> None:
        # A navigation answered with no document (204, a file download) never commits.
        if request is not self._pending:
            return
        with suppress(PlaywrightError):
            response = await request.response()
            if response is not None and (
                response.status in (204, 205)
                or "attachment" in (await response.header_value("content-disposition") or "")
            ):
                self._on_done(request)

    def _on_committed(self, frame: Frame) -> None:
        if frame == self._page.main_frame:
            self._pending = None
            self._settled.set()

    async def settle(self, timeout_ms: float) -> bool:
        """Wait for a requested navigation to commit and its DOM to load; False when none was
        pending. Bounded by `timeout_ms`; a navigation that does not come in time is the next
        step's problem (it fails on what it finds), not this one's."""
        if self._settled.is_set():
            return False
        with suppress(TimeoutError):
            await asyncio.wait_for(self._settled.wait(), timeout=max(timeout_ms, 1) / 1000)
        with suppress(PlaywrightError):
            await self._page.wait_for_load_state("domcontentloaded", timeout=max(timeout_ms, 1))
        return True


def navigation_for(page: Page) -> NavigationWatch:
    return kept(page, "navigation", NavigationWatch)

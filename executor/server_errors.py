"""The portal answering a page with HTTP 5xx: a step that caused it fails at once.

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

from playwright.async_api import Page, Response

T = TypeVar("T")


class ServerError(Exception):
    """The page is the portal's 5xx answer to what the step did."""


class ServerErrorWatch:
    def __init__(self, page: Page) -> None:
        self._page = page
        self._seen = asyncio.Event()
        self.error: str | None = None
        page.on("response", self._on_response)

    def _on_response(self, response: Response) -> None:
        if response.status < 500:
            return
        request = response.request
        if not request.is_navigation_request() or response.frame != self._page.main_frame:
            return
        self.error = f"the portal answered HTTP {response.status} to {request.method} {urlsplit(response.url).path}"
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
        raise ServerError(self.error or "the portal answered with a server error")

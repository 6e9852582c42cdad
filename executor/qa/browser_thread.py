"""One async Chromium for a whole pytest session, on an event loop in a thread of its own.

Why a thread: pytest calls items from sync code, while pytest-playwright's sync `playwright`
fixture (which its `browser_context_args` needs) keeps a greenlet-driven loop in the main thread,
where `asyncio.run` then refuses to start. A loop in its own thread keeps the async browser alive
between items (one launch per session, or per xdist worker) and never meets the sync one.

With a remote browser (a Playwright browser server, a CDP endpoint) the thread connects instead of
launching; `launch` then holds only what travels (`slow_mo`, see `options.remote_launch_args`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from contextlib import AbstractAsyncContextManager
from typing import Any, Self, TypeVar

from playwright.async_api import Browser

from executor.browser import BrowserSettings, RemoteBrowser, open_browser

T = TypeVar("T")
CLOSE_TIMEOUT_S = 30.0


class BrowserThread:
    """`with BrowserThread(launch) as thread: thread.call(coro_using(thread.browser))`."""

    def __init__(self, launch: dict[str, Any], remote: RemoteBrowser | None = None) -> None:
        self.launch = dict(launch)
        self.remote = remote
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="runbook-browser", daemon=True)
        self._opened: AbstractAsyncContextManager[Browser] | None = None
        self._browser: Browser | None = None

    @property
    def browser(self) -> Browser:
        if self._browser is None:
            raise RuntimeError("the browser is not started")
        return self._browser

    def call(self, coro: Coroutine[Any, Any, T], timeout_s: float | None = None) -> T:
        """Run `coro` on the browser's loop and wait for its result (its exception is raised here)."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout_s)

    async def _open(self) -> None:
        if self.remote is not None:
            settings = BrowserSettings(remotes=(self.remote,), slow_mo_ms=int(self.launch.get("slow_mo") or 0))
            self._opened = open_browser(settings)
        else:
            self._opened = open_browser(launch=self.launch)
        self._browser = await self._opened.__aenter__()

    async def _close(self) -> None:
        opened, self._opened, self._browser = self._opened, None, None
        if opened is not None:
            await opened.__aexit__(None, None, None)

    def start(self) -> Self:
        self._thread.start()
        try:
            self.call(self._open())
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        try:
            if self._thread.is_alive():
                # Bounded: after Ctrl-C a job may still hold the loop; closing must not hang the session.
                self.call(self._close(), timeout_s=CLOSE_TIMEOUT_S)
        finally:
            if self._thread.is_alive():
                self._loop.call_soon_threadsafe(self._loop.stop)
                self._thread.join(timeout=30)
            if not self._loop.is_running():
                self._loop.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

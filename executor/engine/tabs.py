"""The tabs of a job: which page it is on, the ones it was on before, and new ones.

A step marked `opens: tab` (an invoice link with `target=_blank`) waits for the tab its action
opens and the job continues there; `switch_tab` and `close_tab` move between them. A tab that
opens when no step said so is recorded in that step's evidence and left alone: the job stays on
its page. Every page the context opens gets the job's dialog broker, so a dialog raised by a
popup is answered too (undeclared: dismissed, and the step fails).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

from playwright.async_api import BrowserContext, Page
from playwright.async_api import Error as PlaywrightError

from executor.engine.dialogs import DialogBroker, guard_for


class TabError(Exception):
    """No such tab, or the expected new tab did not open."""


class Tabs:
    def __init__(self, page: Page, dialogs: DialogBroker) -> None:
        self.current = page
        self.context: BrowserContext = page.context
        self.history: list[Page] = []  # pages the job was on before, most recent last
        self.dialogs = dialogs
        self._expecting: asyncio.Future[Page] | None = None
        self.unexpected: list[Page] = []  # opened while no step expected a tab: noted by the step
        self._on_page: Callable[[Page], None] = self._opened

    # --- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        self.own(self.current)
        self.context.on("page", self._on_page)

    def stop(self) -> None:
        self.context.remove_listener("page", self._on_page)
        for page in (self.current, *self.history, *self.unexpected):
            guard = guard_for(page) if not page.is_closed() else None
            if guard is not None and guard.broker is self.dialogs:
                guard.broker = None

    def own(self, page: Page) -> None:
        guard_for(page).broker = self.dialogs

    def _opened(self, page: Page) -> None:
        self.own(page)
        waiting = self._expecting
        if waiting is not None and not waiting.done():
            waiting.set_result(page)
        else:
            self.unexpected.append(page)

    # --- new tabs ---------------------------------------------------------------------------------

    def expect_new(self) -> None:
        """The next action opens a tab (`opens: tab`): arm before acting."""
        self._expecting = asyncio.get_running_loop().create_future()

    async def follow_new(self, timeout_ms: float) -> Page:
        """The tab the action opened, loaded (its DOM); the job continues there."""
        waiting = self._expecting
        assert waiting is not None, "expect_new() first"
        try:
            page = await asyncio.wait_for(asyncio.shield(waiting), timeout=max(timeout_ms, 1) / 1000)
        except TimeoutError:
            raise TabError(f"the step was to open a new tab, and none opened within {timeout_ms:.0f} ms") from None
        finally:
            self._expecting = None
        try:
            await page.wait_for_load_state("domcontentloaded", timeout=max(timeout_ms, 1))
        except PlaywrightError:
            pass  # its checks say what is wrong with it
        self.switch(page)
        return page

    def cancel_expect(self) -> None:
        self._expecting = None

    def notes(self) -> list[str]:
        """Tabs that opened unasked since the last call, as evidence lines."""
        found, self.unexpected = self.unexpected, []
        return [f"a new tab opened ({_url(p)}); the job stayed on its page" for p in found]

    # --- moving between tabs ----------------------------------------------------------------------

    def switch(self, page: Page) -> None:
        if page is self.current:
            return
        if not self.current.is_closed():
            self.history.append(self.current)
        self.history = [p for p in self.history if p is not page and not p.is_closed()]
        self.current = page

    def find(self, to: str) -> Page:
        """`previous`, `first`, or `/regex/` matched against the open tabs' URLs (first match)."""
        pages = [p for p in self.context.pages if not p.is_closed()]
        if to == "previous":
            alive = [p for p in self.history if not p.is_closed()]
            if not alive:
                raise TabError("there is no previous tab")
            return alive[-1]
        if to == "first":
            return pages[0]
        match = re.fullmatch(r"/(.*)/(i?)", to, re.DOTALL)
        pattern = re.compile(match.group(1), re.IGNORECASE if match.group(2) else 0) if match else None
        for page in pages:
            if (pattern.search(page.url) if pattern else to in page.url):
                return page
        urls = ", ".join(_url(p) for p in pages)
        raise TabError(f"no open tab's URL matches {to} (open: {urls})")

    async def close_current(self) -> Page:
        """Close the current tab; the job continues on the previous one."""
        closing = self.current
        previous = next((p for p in reversed(self.history) if not p.is_closed()), None)
        if previous is None:
            raise TabError("this is the job's only tab: close_tab would leave it nowhere")
        await closing.close()
        self.history = [p for p in self.history if p is not previous and not p.is_closed()]
        self.current = previous
        await previous.bring_to_front()
        return previous


def _url(page: Page) -> str:
    try:
        return page.url
    except PlaywrightError:
        return "<closed>"

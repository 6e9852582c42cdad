"""How much JavaScript heap a worker's page holds: one of the two reasons its context is recycled.

A bulk worker's page runs hundreds of jobs. Chromium's renderer lets the garbage of every page it
showed pile up: V8 collects lazily when the machine has memory to spare. Measured on the fake
portal (bench/bulk.py --scale): the renderer's PSS grows by 3–6 MB per row, and a forced
collection brings its heap from 214 MB back to 2 MB, so it is garbage, not a leak of ours. A fresh
context (a fresh renderer) at a row boundary drops it, after N rows (`--recycle-every`) or as soon
as the heap passes a bound (`--recycle-heap-mb`), whichever comes first.

The heap is read over CDP (`Runtime.getHeapUsage`, one call, about a millisecond), which any
Chromium answers, launched here or behind a browser server; `performance.memory` would not do
(Chromium rounds it and refreshes it every 20 minutes unless started with a flag).
"""

from __future__ import annotations

from playwright.async_api import BrowserContext, CDPSession, Page
from playwright.async_api import Error as PlaywrightError

# The default bound: a fresh fake-portal page holds 20–60 MB; garbage passes 160 MB after 25–40
# rows, where a renderer's PSS is near 250 MB.
DEFAULT_HEAP_MB = 160.0


class PageMemory:
    """The JavaScript heap of a context's page, in MB; None when it cannot be read (a browser
    without CDP): then only the row count recycles."""

    def __init__(self) -> None:
        self._sessions: dict[int, tuple[Page, CDPSession]] = {}
        self.unreadable = False

    async def heap_mb(self, context: BrowserContext) -> float | None:
        if self.unreadable or not context.pages:
            return None
        page = context.pages[0]
        known = self._sessions.get(id(context))
        try:
            if known is None or known[0] is not page:
                known = (page, await context.new_cdp_session(page))
                self._sessions[id(context)] = known
            usage = await known[1].send("Runtime.getHeapUsage")
        except PlaywrightError:
            self.unreadable = True
            return None
        return float(usage["usedSize"]) / 1_048_576

    def forget(self, context: BrowserContext) -> None:
        self._sessions.pop(id(context), None)
